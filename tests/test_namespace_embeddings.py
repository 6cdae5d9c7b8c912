"""``torch.embedding`` and ``torch.embedding_bag``: the namespace ops under F.embedding and
F.embedding_bag (weight first, torch's op arguments; the bag's 4-tuple of output, offset2bag,
bag_size and max_indices). Checked by hand, and against torch 2.13 when it is installed:
values, dtypes, shapes, gradients, and errors by class and message."""
import itertools

import numpy as np
import pytest

import nbtensor as nb

from support import SIMULATED, needs_torch, torch

W = np.random.default_rng(3).standard_normal((6, 3)).astype(np.float32)
BAG = [0, 2, 4, 1, 5, 3, 3]


def _np(t):
    return t.detach().cpu().numpy()


# ------------------------------------------------------------------ by hand
def test_embedding_takes_the_weight_first_and_a_plain_padding_row():
    w = nb.tensor(W, requires_grad=True)
    out = nb.embedding(w, nb.tensor([[0, 2], [4, 1]]))
    np.testing.assert_array_equal(_np(out), W[[[0, 2], [4, 1]]])
    assert out.grad_fn.name() == "EmbeddingBackward0"
    np.testing.assert_array_equal(_np(nb.embedding(w, nb.tensor(2))), W[2])  # (a 0-d index: one row)
    # padding_idx is a row number taken as it is: -1 (the default) and 7 meet no row
    for padding, skipped in ((-1, None), (-2, None), (7, None), (1, 1)):
        w.grad = None
        nb.embedding(w, nb.tensor([1, 1, 3]), padding).sum().backward()
        expected = np.zeros_like(W)
        expected[1], expected[3] = 2.0, 1.0
        if skipped is not None:
            expected[skipped] = 0.0
        np.testing.assert_array_equal(_np(w.grad), expected)
    assert nb.embedding(nb.ones(3, 2, dtype=nb.int64), nb.tensor([0])).dtype is nb.int64


def test_embedding_bag_returns_the_kernel_bookkeeping():
    w, idx, off = nb.tensor(W), nb.tensor(BAG), nb.tensor([0, 2, 2, 5])
    out, offset2bag, bag_size, max_indices = nb.embedding_bag(w, idx, off)  # mode 0: the sum
    np.testing.assert_allclose(_np(out), [W[[0, 2]].sum(0), np.zeros(3), W[[4, 1, 5]].sum(0), W[[3, 3]].sum(0)],
                               rtol=1e-6)
    assert offset2bag.tolist() == [] and bag_size.tolist() == [0] * 4 and max_indices.tolist() == [0] * 4
    out, offset2bag, bag_size, max_indices = nb.embedding_bag(w, idx, off, False, 1, False, None, False, 3)
    assert offset2bag.tolist() == [0, 0, 2, 2, 2, 3, 3]
    assert bag_size.tolist() == [2, 0, 3, 0] == max_indices.tolist()  # (padding indices do not count)
    np.testing.assert_allclose(_np(out)[3], [0.0] * 3)
    out, _, bag_size, max_indices = nb.embedding_bag(w, idx, off, mode=2)
    assert bag_size.tolist() == [2, 0, 3, 2]
    rows = [[0, 2], [], [4, 1, 5], [3, 3]]
    assert max_indices.tolist() == [[r[int(np.argmax(W[r, d]))] if r else 0 for d in range(3)] for r in rows]
    # int32 indices and offsets: the bookkeeping is int32 too
    assert nb.embedding_bag(w, idx.int(), off.int(), mode=1)[1].dtype is nb.int32


def test_embedding_bag_refuses_what_nbtensor_lacks():
    w, idx = nb.tensor(W), nb.tensor(BAG)
    with pytest.raises(NotImplementedError, match="sparse"):
        nb.embedding_bag(w, idx, nb.tensor([0, 2]), sparse=True)
    with pytest.raises(NotImplementedError, match="2-D"):
        nb.embedding_bag(w, idx[:6].reshape(3, 2), nb.tensor([0, 1]))


# ------------------------------------------------------------------ torch
def _bag_cases():
    cases = []
    for offsets, mode, last, padding, weight, grad in itertools.product(
            ([0, 2, 2, 5], [0, 2, 2, 7], [0, 7]), (0, 1, 2), (False, True), (None, 3, -1), ("f32", "f64", "f32t"),
            (False, True)):
        if last and offsets[-1] != len(BAG):
            continue  # (torch reads a last offset short of the indices differently by path)
        cases.append((offsets, mode, last, padding, weight, grad, None, "ll" if len(cases) % 2 else "il"))
    for offsets, padding, weight in itertools.product(([0, 2, 2, 5], [0, 7]), (None, 3), ("f32", "f64", "f32t")):
        cases.append((offsets, 0, False, padding, weight, False, "psw", "ii"))
    return cases[::7] if SIMULATED else cases  # (every 7th in the CUDA simulator, where each takes ~0.4 s)


def _bag(lib, case):
    offsets, mode, last, padding, weight, grad, psw, index_types = case
    w = (lib.tensor(W.astype(np.float64)) if weight == "f64" else
         lib.tensor(np.ascontiguousarray(W.T)).t() if weight == "f32t" else lib.tensor(W))
    if grad:
        w.requires_grad_()
    idx = lib.tensor(BAG, dtype=lib.int32 if index_types[0] == "i" else lib.int64)
    off = lib.tensor(offsets, dtype=lib.int32 if index_types[1] == "i" else lib.int64)
    weights = lib.tensor(np.linspace(0.5, 2, len(BAG)), dtype=w.dtype) if psw else None
    result = lib.embedding_bag(w, idx, off, False, mode, False, weights, last, padding)
    if grad:
        (result[0] * lib.arange(result[0].numel(), dtype=w.dtype).reshape(result[0].shape)).sum().backward()
    return [(str(t.dtype).split(".")[-1], tuple(t.shape), _np(t)) for t in result], (_np(w.grad) if grad else None)


@needs_torch
@pytest.mark.parametrize("case", _bag_cases(), ids=str)
def test_embedding_bag_matches_torch(case):
    (ours, our_grad), (theirs, their_grad) = _bag(nb, case), _bag(torch, case)
    for (d, s, a), (e, t, b) in zip(ours, theirs):
        assert (d, s) == (e, t)
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    if their_grad is not None:
        np.testing.assert_allclose(our_grad, their_grad, rtol=1e-6, atol=1e-6)


_ERRORS = {
    "mode 3": "lib.embedding_bag(w, i, o, False, 3)",
    "mode str": "lib.embedding_bag(w, i, o, False, 'sum')",
    "3-d indices": "lib.embedding_bag(w, i[:4].reshape(2, 2, 1), o)",
    "2-d offsets": "lib.embedding_bag(w, i, o.reshape(1, 2))",
    "float indices": "lib.embedding_bag(w, i.float(), o)",
    "float offsets": "lib.embedding_bag(w, i, o.double())",
    "int weight": "lib.embedding_bag(w.long(), i, o)",
    "first offset": "lib.embedding_bag(w, i, o + 1)",
    "last offset": "lib.embedding_bag(w, i, lib.tensor([0, 9]))",
    "index high": "lib.embedding_bag(w, lib.tensor([0, 7]), lib.tensor([0]))",
    "index low": "lib.embedding_bag(w, lib.tensor([0, -1]), lib.tensor([0]), False, 1)",
    "weights with mean": "lib.embedding_bag(w, i, o, False, 1, False, lib.ones(7))",
    "weights length": "lib.embedding_bag(w, i, o, False, 0, False, lib.ones(6))",
    "weights 2-d": "lib.embedding_bag(w, i, o, False, 0, False, lib.ones(7, 1))",
    "weights dtype": "lib.embedding_bag(w, i, o, False, 0, False, lib.ones(7, dtype=lib.float64))",
    "no last offset": "lib.embedding_bag(w, i, lib.tensor([], dtype=lib.int64), False, 0, False, None, True)",
    "padding row": "lib.embedding_bag(w, i, o, False, 0, False, None, False, 6)",
    "1-d weight": "lib.embedding_bag(w[0], i, o)",
    "no offsets": "lib.embedding_bag(w, i, None)",
    "2-d indices, offsets past them": "lib.embedding_bag(w, i[:6].reshape(2, 3), lib.tensor([0, 3]))",
    "embedding 1-d weight": "lib.embedding(w[0], lib.tensor([1]))",
    "embedding float indices": "lib.embedding(w, lib.tensor([1.0]))",
    "embedding index high": "lib.embedding(w, lib.tensor([6]))",
    "embedding index low": "lib.embedding(w, lib.tensor([-1]))",
    "embedding float padding": "lib.embedding(w, lib.tensor([1]), 1.5)",
    "embedding weight not a tensor": "lib.embedding(3, lib.tensor([1]))",
}


@needs_torch
@pytest.mark.parametrize("name", list(_ERRORS))
def test_errors_match_torch(name):
    def call(lib):
        names = {"lib": lib, "w": lib.tensor(W), "i": lib.tensor(BAG), "o": lib.tensor([0, 2])}
        return lambda: eval(_ERRORS[name], names)
    with pytest.raises(Exception) as want:
        call(torch)()
    with pytest.raises(want.type) as got:
        call(nb)()
    # (legacy type names carry the suite's device: torch.guarded.FloatTensor, torch.cuda.FloatTensor)
    ours = str(got.value).replace("nbtensor.", "torch.").replace("torch.guarded.", "torch.").replace("torch.cuda.", "torch.")
    assert ours == str(want.value)


@needs_torch
@pytest.mark.parametrize("padding", [-1, -2, 1, 7])
def test_embedding_values_and_gradients_match_torch(padding):
    def run(lib):
        w = lib.tensor(W, requires_grad=True)
        out = lib.embedding(w, lib.tensor([[0, 2], [4, 1], [1, 1]]), padding, True)
        (out * lib.arange(out.numel(), dtype=lib.float32).reshape(out.shape)).sum().backward()
        return _np(out), _np(w.grad)
    for a, b in zip(run(nb), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
