"""The recurrent layers of D2L chapters 9–10: RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU and
nn.utils.rnn (pad_sequence, packing). Each is checked against a NumPy version of torch's
cell equations (so the tests mean something without torch), and, when torch 2.13 is
installed, against torch with the same weights: outputs, final states and gradients,
parameter names and shapes, repr and error messages. Sizes are tiny (sequence 2-3, batch
1-2, hidden 2-3): the file also runs in Numba's CUDA simulator."""
import warnings

import numpy as np
import pytest

import nbtensor as nb
from nbtensor import nn
from nbtensor.nn.utils import rnn as nbrnn
from tests.support import needs_torch, torch
from tests.support import numpy_of as _np

RNG = np.random.default_rng(5)


def _rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _flat(out):
    """The tensors of an (output, h) / (output, (h, c)) result, in order."""
    return [y for x in out for y in _flat(x)] if isinstance(out, (tuple, list)) else [out]


# ------------------------------------------------------------------ NumPy reference
def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _np_step(mode, x, state, p):
    """torch's cell equations in NumPy; `p` holds w_ih, w_hh, b_ih, b_hh (and w_hr)."""
    gi, gh = x @ p["w_ih"].T + p.get("b_ih", 0), state[0] @ p["w_hh"].T + p.get("b_hh", 0)
    if mode == "RNN":
        return (np.tanh(gi + gh),)
    if mode == "GRU":
        (i_r, i_z, i_n), (h_r, h_z, h_n) = np.split(gi, 3, axis=1), np.split(gh, 3, axis=1)
        r, z = _sigmoid(i_r + h_r), _sigmoid(i_z + h_z)
        n = np.tanh(i_n + r * h_n)
        return ((1 - z) * n + z * state[0],)
    i, f, g, o = np.split(gi + gh, 4, axis=1)
    c = _sigmoid(f) * state[1] + _sigmoid(i) * np.tanh(g)
    h = _sigmoid(o) * np.tanh(c)
    return (h @ p["w_hr"].T if "w_hr" in p else h), c


def _np_params(module, suffix=""):
    """A module's parameters (those of one layer-direction `suffix`) as NumPy arrays."""
    names = {"w_ih": "weight_ih", "w_hh": "weight_hh", "b_ih": "bias_ih", "b_hh": "bias_hh", "w_hr": "weight_hr"}
    return {k: _np(getattr(module, v + suffix)) for k, v in names.items()
            if getattr(module, v + suffix, None) is not None}


def _np_layers(mode, module, x, states):
    """The multi-layer, maybe bidirectional recurrence of `module` in NumPy; x (L, N, H_in),
    states a tuple of (layers * directions, N, size) arrays: (output, final states)."""
    directions = 2 if module.bidirectional else 1
    finals = [[] for _ in states]
    for layer in range(module.num_layers):
        outs = []
        for d in range(directions):
            k, p = layer * directions + d, _np_params(module, f"_l{layer}" + ("_reverse" if d else ""))
            state, ys = tuple(s[k] for s in states), [None] * len(x)
            for t in (reversed(range(len(x))) if d else range(len(x))):
                state = _np_step(mode, x[t], state, p)
                ys[t] = state[0]
            outs.append(np.stack(ys))
            for f, s in zip(finals, state):
                f.append(s)
        x = np.concatenate(outs, -1)
    return x, tuple(np.stack(f) for f in finals)


# ------------------------------------------------------------------ 1. cells by hand
def test_rnn_cell_by_hand():
    cell = nn.RNNCell(3, 2)
    x, h = _rand(2, 3), _rand(2, 2)
    p = _np_params(cell)
    expected = np.tanh(x @ p["w_ih"].T + p["b_ih"] + h @ p["w_hh"].T + p["b_hh"])
    np.testing.assert_allclose(_np(cell(nb.tensor(x), nb.tensor(h))), expected, rtol=1e-5, atol=1e-6)
    relu = nn.RNNCell(3, 2, bias=False, nonlinearity="relu")
    q = _np_params(relu)
    out = relu(nb.tensor(x[0]))  # unbatched, zero state
    assert tuple(out.shape) == (2,)
    np.testing.assert_allclose(_np(out), np.maximum(x[0] @ q["w_ih"].T, 0), rtol=1e-5, atol=1e-6)


def test_lstm_cell_by_hand():
    cell = nn.LSTMCell(2, 3)
    x, h, c = _rand(1, 2), _rand(1, 3), _rand(1, 3)
    p = _np_params(cell)
    gates = x @ p["w_ih"].T + p["b_ih"] + h @ p["w_hh"].T + p["b_hh"]
    i, f, g, o = _sigmoid(gates[:, 0:3]), _sigmoid(gates[:, 3:6]), np.tanh(gates[:, 6:9]), _sigmoid(gates[:, 9:])
    c_new = f * c + i * g
    h_new, c_out = cell(nb.tensor(x), (nb.tensor(h), nb.tensor(c)))
    np.testing.assert_allclose(_np(c_out), c_new, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(h_new), o * np.tanh(c_new), rtol=1e-5, atol=1e-6)
    h1, c1 = cell(nb.tensor(x[0]))
    assert tuple(h1.shape) == tuple(c1.shape) == (3,)


def test_gru_cell_by_hand_and_gradient():
    cell = nn.GRUCell(2, 2)
    x, h = _rand(1, 2), _rand(1, 2)
    p = _np_params(cell)
    gi, gh = x @ p["w_ih"].T + p["b_ih"], h @ p["w_hh"].T + p["b_hh"]
    r, z = _sigmoid(gi[:, :2] + gh[:, :2]), _sigmoid(gi[:, 2:4] + gh[:, 2:4])
    n = np.tanh(gi[:, 4:] + r * gh[:, 4:])  # r scales W_hn h + b_hn, as torch's
    hx = nb.tensor(h, requires_grad=True)
    out = cell(nb.tensor(x), hx)
    np.testing.assert_allclose(_np(out), (1 - z) * n + z * h, rtol=1e-5, atol=1e-6)
    out.sum().backward()  # d/dh of sum(h') through z and the direct path, by central differences
    eps, grad = 1e-3, np.zeros_like(h)
    for j in range(2):
        step = np.zeros_like(h)
        step[0, j] = eps
        grad[0, j] = (_np(cell(nb.tensor(x), nb.tensor(h + step))).sum()
                      - _np(cell(nb.tensor(x), nb.tensor(h - step))).sum()) / (2 * eps)
    np.testing.assert_allclose(_np(hx.grad), grad, rtol=1e-2, atol=1e-3)
    assert all(q.grad is not None for q in cell.parameters())


# ------------------------------------------------------------------ 2. layers by hand
@pytest.mark.parametrize("mode, kwargs", [
    ("RNN", {"num_layers": 2}),
    ("LSTM", {"bidirectional": True}),
    ("GRU", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
])
def test_layers_match_numpy_recurrence(mode, kwargs):
    layer = getattr(nn, mode)(2, 2, **kwargs)
    x = _rand(2, 2, 2)  # (L, N, H_in)
    rows = layer.num_layers * (2 if layer.bidirectional else 1)
    states = tuple(_rand(rows, 2, 2) for _ in range(2 if mode == "LSTM" else 1))
    expected_out, expected_states = _np_layers(mode, layer, x, states)
    given = [nb.tensor(s) for s in states]
    out, hidden = layer(nb.tensor(x.transpose(1, 0, 2).copy() if layer.batch_first else x),
                        tuple(given) if mode == "LSTM" else given[0])
    if layer.batch_first:
        expected_out = expected_out.transpose(1, 0, 2)
    np.testing.assert_allclose(_np(out), expected_out, rtol=1e-5, atol=1e-6)
    for got, want in zip(_flat(hidden), expected_states):
        np.testing.assert_allclose(_np(got), want, rtol=1e-5, atol=1e-6)
    assert out.grad_fn is not None


def test_unbatched_input_and_lstm_projection_shapes():
    lstm = nn.LSTM(2, 3, proj_size=1, num_layers=2, bidirectional=True)
    out, (h, c) = lstm(nb.tensor(_rand(3, 2)))
    assert (tuple(out.shape), tuple(h.shape), tuple(c.shape)) == ((3, 2), (4, 1), (4, 3))
    p = _np_params(lstm, "_l0")
    x = _rand(1, 2)
    h1, c1 = _np_step("LSTM", x, (np.zeros((1, 1), np.float32), np.zeros((1, 3), np.float32)), p)
    one = nn.LSTM(2, 3, proj_size=1)
    one.load_state_dict({k: v for k, v in lstm.state_dict().items() if k.endswith("_l0")})
    got, (gh, gc) = one(nb.tensor(x))
    np.testing.assert_allclose(_np(got), h1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(gc), c1, rtol=1e-5, atol=1e-6)
    gru_out, gru_h = nn.GRU(2, 2, batch_first=True)(nb.tensor(_rand(3, 2)))
    assert (tuple(gru_out.shape), tuple(gru_h.shape)) == ((3, 2), (1, 2))


# ------------------------------------------------------------------ 3. structure
def test_parameters_repr_and_helpers():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    shapes = [(n, tuple(p.shape)) for n, p in lstm.named_parameters()]
    assert shapes[:5] == [("weight_ih_l0", (16, 3)), ("weight_hh_l0", (16, 2)), ("bias_ih_l0", (16,)),
                          ("bias_hh_l0", (16,)), ("weight_hr_l0", (2, 4))]
    assert shapes[10] == ("weight_ih_l1", (16, 4)) and shapes[15][0] == "weight_ih_l1_reverse"
    assert list(lstm.state_dict()) == [n for n, _ in shapes]
    assert [[tuple(w.shape) for w in ws] for ws in nn.GRU(2, 3, bias=False).all_weights] == [[(9, 2), (9, 3)]]
    assert lstm.flatten_parameters() is None
    bound = 1 / np.sqrt(4)
    assert all(np.abs(_np(p)).max() <= bound for p in lstm.parameters())
    assert repr(nn.LSTM(10, 20, num_layers=2, batch_first=True)) == "LSTM(10, 20, num_layers=2, batch_first=True)"
    assert repr(lstm) == "LSTM(3, 4, proj_size=2, num_layers=2, bidirectional=True)"
    assert repr(nn.GRU(3, 4, bias=False, dropout=0.5, num_layers=2)) == "GRU(3, 4, num_layers=2, bias=False, dropout=0.5)"
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4)"
    assert repr(nn.RNNCell(3, 2, bias=False, nonlinearity="relu")) == "RNNCell(3, 2, bias=False, nonlinearity=relu)"
    assert repr(nn.LSTMCell(3, 2)) == "LSTMCell(3, 2)" and repr(nn.GRUCell(3, 2, False)) == "GRUCell(3, 2, bias=False)"
    assert [tuple(p.shape) for p in nn.LSTMCell(3, 2).parameters()] == [(8, 3), (8, 2), (8,), (8,)]
    assert nn.GRUCell(3, 2, bias=False).bias_ih is None


def test_dropout_between_layers():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(2, 2, dropout=0.5)
    dropping = nn.RNN(2, 2, num_layers=2, dropout=1.0)
    plain = nn.RNN(2, 2, num_layers=2)
    plain.load_state_dict(dropping.state_dict())
    x = nb.tensor(_rand(2, 1, 2))
    np.testing.assert_allclose(_np(dropping.eval()(x)[0]), _np(plain(x)[0]), rtol=1e-6)
    out = _np(dropping.train()(x)[0])  # layer 1 sees zeros: its output comes from the biases alone
    p = _np_params(plain, "_l1")
    h = np.zeros((1, 2), np.float32)
    for t in range(2):
        h = np.tanh(p["b_ih"] + h @ p["w_hh"].T + p["b_hh"])
        np.testing.assert_allclose(out[t], h, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ 4. errors
ERRORS = [
    (lambda m: m.LSTM(3, 2)(m.zeros(2, 1, 5)), RuntimeError,
     "input.size(-1) must be equal to input_size. Expected 3, got 5"),
    (lambda m: m.LSTM(3, 2)(m.zeros(2, 1, 3), (m.zeros(1, 1, 3), m.zeros(1, 1, 2))), RuntimeError,
     "Expected hidden[0] size (1, 1, 2), got [1, 1, 3]"),
    (lambda m: m.LSTM(3, 2)(m.zeros(2, 1, 3), (m.zeros(1, 1, 2), m.zeros(1, 2, 2))), RuntimeError,
     "Expected hidden[1] size (1, 1, 2), got [1, 2, 2]"),
    (lambda m: m.LSTM(3, 2)(m.zeros(2, 1, 3), (m.zeros(1, 2), m.zeros(1, 2))), RuntimeError,
     "For batched 3-D input, hx and cx should also be 3-D but got (2-D, 2-D) tensors"),
    (lambda m: m.GRU(3, 2)(m.zeros(2, 1, 3), m.zeros(2, 1, 2)), RuntimeError,
     "Expected hidden size (1, 1, 2), got [2, 1, 2]"),
    (lambda m: m.GRU(3, 2)(m.zeros(2, 3), m.zeros(1, 1, 2)), RuntimeError,
     "For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"),
    (lambda m: m.RNN(3, 2)(m.zeros(1, 1, 1, 3)), ValueError, "RNN: Expected input to be 2D or 3D, got 4D tensor instead"),
    (lambda m: m.GRU(3, 2)(m.zeros(3)), ValueError, "GRU: Expected input to be 2D or 3D, got 1D instead"),
    (lambda m: m.RNN(3, 2)(m.zeros(2, 1, 3, dtype=m.float64)), ValueError,
     "RNN input dtype (torch.float64) does not match weight dtype (torch.float32). Convert input: "
     "input.to(torch.float32), or convert model: model.to(torch.float64)"),
    (lambda m: m.RNNCell(3, 2)(m.zeros(2, 5)), RuntimeError, "input has inconsistent input_size: got 5 expected 3"),
    (lambda m: m.GRUCell(3, 2)(m.zeros(2, 3), m.zeros(1, 2)), RuntimeError,
     "Input batch size 2 doesn't match hidden0 batch size 1"),
    (lambda m: m.LSTMCell(3, 2)(m.zeros(2, 3), (m.zeros(2, 2), m.zeros(2, 4))), RuntimeError,
     "hidden1 has inconsistent hidden_size: got 4, expected 2"),
    (lambda m: m.LSTMCell(3, 2)(m.zeros(1, 1, 3)), ValueError, "LSTMCell: Expected input to be 1D or 2D, got 3D instead"),
    (lambda m: m.RNNCell(3, 2, nonlinearity="x")(m.zeros(1, 3)), RuntimeError, "Unknown nonlinearity: x"),
    (lambda m: m.RNN(3, 2, nonlinearity="x"), ValueError, "Unknown nonlinearity 'x'. Select from 'tanh' or 'relu'."),
    (lambda m: m.GRU(3, 2, proj_size=1), ValueError, "proj_size argument is only supported for LSTM, not RNN or GRU"),
    (lambda m: m.LSTM(3, 2, proj_size=2), ValueError, "proj_size has to be smaller than hidden_size"),
    (lambda m: m.LSTM(3, 2, dropout=2), ValueError,
     "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"),
    (lambda m: m.RNN(3, 2, 0), ValueError, "num_layers must be greater than zero"),
    (lambda m: m.RNN(3.0, 2), TypeError, "input_size should be of type int, got: float"),
    (lambda m: m.LSTM(3, 2, bias=1), TypeError, "bias should be of type bool, got: int"),
]


def _errors_of(lib):
    class Namespace:  # the library's layers and creators under one name
        def __getattr__(self, name):
            return getattr(lib.nn, name, None) or getattr(lib, name)
    return Namespace()


@pytest.mark.parametrize("index", range(len(ERRORS)))
def test_errors(index):
    call, error, message = ERRORS[index]
    with pytest.raises(error) as caught:
        call(_errors_of(nb))
    assert str(caught.value) == message
    if torch is not None:
        with pytest.raises(error) as caught:
            call(_errors_of(torch))
        assert str(caught.value) == message


# ------------------------------------------------------------------ 5. pad_sequence and packing
def test_pad_sequence_by_hand():
    a, b = nb.tensor([[1.0], [2.0]], requires_grad=True), nb.tensor([[3.0]], requires_grad=True)
    padded = nbrnn.pad_sequence([a, b], padding_value=-1.0)
    assert _np(padded).tolist() == [[[1.0], [3.0]], [[2.0], [-1.0]]]
    assert _np(nbrnn.pad_sequence([a, b], batch_first=True, padding_side="left")).tolist() == \
        [[[1.0], [2.0]], [[0.0], [3.0]]]
    (padded * nb.tensor([[[1.0], [2.0]], [[3.0], [4.0]]])).sum().backward()
    assert _np(a.grad).tolist() == [[1.0], [3.0]] and _np(b.grad).tolist() == [[2.0]]
    with pytest.raises(RuntimeError, match="received an empty list of sequences"):
        nbrnn.pad_sequence([])


def test_pack_and_pad_packed_by_hand():
    x = nb.tensor([[1.0, 4.0], [2.0, 5.0], [3.0, 0.0]])  # (T, B), lengths 3 and 2 (flipped below: unsorted)
    packed = nbrnn.pack_padded_sequence(x.flip(1), [2, 3], enforce_sorted=False)
    assert _np(packed.data).tolist() == [1.0, 4.0, 2.0, 5.0, 3.0]
    assert packed.batch_sizes.tolist() == [2, 2, 1] and packed.sorted_indices.tolist() == [1, 0]
    padded, lengths = nbrnn.pad_packed_sequence(packed, batch_first=True, total_length=4)
    assert _np(padded).tolist() == [[4.0, 5.0, 0.0, 0.0], [1.0, 2.0, 3.0, 0.0]] and lengths.tolist() == [2, 3]
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        nbrnn.pack_padded_sequence(x, [2, 3])
    rnn = nn.RNN(1, 2)
    out, h = rnn(nbrnn.pack_sequence([nb.tensor([[1.0], [2.0]]), nb.tensor([[3.0]])]))
    single = [rnn(nb.tensor(s))[1] for s in ([[1.0], [2.0]], [[3.0]])]  # each sequence alone
    np.testing.assert_allclose(_np(h[0]), np.concatenate([_np(s) for s in single]), rtol=1e-5, atol=1e-6)
    assert tuple(out.data.shape) == (3, 2)


# ------------------------------------------------------------------ 6. against torch
def _copy_weights(theirs, ours):
    ours.load_state_dict({k: nb.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


def _compare(theirs, ours, x, states=None):
    """Run both modules on `x` (and `states`, a list of arrays: h or (h, c)); compare
    outputs, states and the gradients of their sum for the input, states and parameters."""
    _copy_weights(theirs, ours)
    results = []
    for lib, module in ((torch, theirs), (nb, ours)):
        inputs = [lib.tensor(a, requires_grad=True) for a in [x] + list(states or [])]
        hx = None if states is None else (tuple(inputs[1:]) if len(inputs) == 3 else inputs[1])
        out = _flat(module(inputs[0], hx))
        sum(o.sum() for o in out).backward()
        results.append(([o.detach().cpu().numpy() for o in out], [i.grad.cpu().numpy() for i in inputs],
                        [(n, p.grad.cpu().numpy()) for n, p in module.named_parameters()]))
    for got, want in zip(results[1][0] + results[1][1], results[0][0] + results[0][1]):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    for (name, got), (their_name, want) in zip(results[1][2], results[0][2]):
        assert name == their_name
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@needs_torch
@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_torch(name):
    theirs, ours = getattr(torch.nn, name)(3, 2), getattr(nn, name)(3, 2)
    _compare(theirs, ours, _rand(2, 3), [_rand(2, 2) for _ in range(2 if name == "LSTMCell" else 1)])
    _compare(theirs, ours, _rand(3))  # unbatched, zero state


@needs_torch
@pytest.mark.parametrize("name, kwargs, shape", [
    ("RNN", {"nonlinearity": "relu", "bias": False}, (3, 1, 2)),
    ("LSTM", {"num_layers": 2, "batch_first": True, "bidirectional": True}, (2, 2, 2)),
    ("LSTM", {"proj_size": 1}, (2, 2)),
    ("GRU", {"num_layers": 2, "bidirectional": True}, (2, 2)),
    ("GRU", {"batch_first": True}, (2, 3, 2)),
])
def test_layers_match_torch(name, kwargs, shape):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: "LSTM with projections is not supported with oneDNN"
        theirs, ours = getattr(torch.nn, name)(2, 2, **kwargs), getattr(nn, name)(2, 2, **kwargs)
        assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
        assert repr(ours) == repr(theirs)
        _compare(theirs, ours, _rand(*shape))
        if name != "LSTM" and "bidirectional" not in kwargs:  # with an initial state
            rows = theirs.num_layers * (2 if theirs.bidirectional else 1)
            batch = () if len(shape) == 2 else (shape[0] if theirs.batch_first else shape[1],)
            _compare(theirs, ours, _rand(*shape), [_rand(rows, *batch, 2)])


@needs_torch
def test_lstm_with_state_and_packed_gru_match_torch():
    theirs, ours = torch.nn.LSTM(2, 2), nn.LSTM(2, 2)
    _compare(theirs, ours, _rand(2, 2, 2), [_rand(1, 2, 2), _rand(1, 2, 2)])
    theirs, ours = torch.nn.GRU(2, 2, bidirectional=True), nn.GRU(2, 2, bidirectional=True)
    _copy_weights(theirs, ours)
    x = _rand(2, 2, 2)
    results = []
    for lib, module, utils in ((torch, theirs, torch.nn.utils.rnn), (nb, ours, nbrnn)):
        leaf = lib.tensor(x, requires_grad=True)
        out, h = module(utils.pack_padded_sequence(leaf, [1, 2], enforce_sorted=False))
        padded, lengths = utils.pad_packed_sequence(out, batch_first=True)
        (padded.sum() + h.sum()).backward()
        results.append([padded.detach().cpu().numpy(), h.detach().cpu().numpy(), leaf.grad.cpu().numpy(),
                        lengths.numpy()])
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
