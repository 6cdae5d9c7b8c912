"""The Transformer modules: behaviour without torch (a causal mask hides later tokens,
padded keys change nothing, gradients by gradcheck, the eval fast path's zeros at padded
positions) and, with torch installed, outputs, gradients, reprs and state-dict keys against
torch's modules given the same state (dropout off, so runs are comparable)."""
import numpy as np
import pytest

import nbtensor as nb
from nbtensor import nn
from nbtensor.autograd import gradcheck

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
RNG = np.random.default_rng(2)


def _np(t):
    return t.detach().cpu().numpy()


def test_a_causal_mask_hides_later_tokens_and_padding_hides_keys():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0).double()
    x = RNG.standard_normal((5, 1, 8))
    changed = x.copy()
    changed[3:] += 1.0  # later tokens differ
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=nb.float64)
    a, b = (_np(layer(nb.tensor(v), src_mask=mask)) for v in (x, changed))
    np.testing.assert_allclose(a[:3], b[:3], rtol=1e-12)
    assert not np.allclose(a[3:], b[3:])
    padding = nb.tensor([[False, False, False, True, True]])
    a, b = (_np(layer(nb.tensor(v), src_key_padding_mask=padding)) for v in (x, changed))
    np.testing.assert_allclose(a[:3], b[:3], rtol=1e-12)


def test_the_inference_fast_path_zeroes_padded_positions():
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2).eval()
    x = nb.tensor(RNG.standard_normal((2, 4, 8)).astype(np.float32))
    padding = nb.tensor([[False, False, True, True], [False] * 4])
    with nb.no_grad():
        fast = _np(encoder(x, src_key_padding_mask=padding))
    slow = _np(encoder(x, src_key_padding_mask=padding))  # (grad mode on: torch's ordinary path)
    assert (fast[0, 2:] == 0).all() and not (slow[0, 2:] == 0).all()
    np.testing.assert_allclose(fast[0, :2], slow[0, :2], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fast[1], slow[1], rtol=1e-5, atol=1e-6)


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
def test_gradients_match_central_differences():
    layer = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0).double()
    tgt = nb.tensor(RNG.standard_normal((3, 1, 4)), requires_grad=True)
    memory = nb.tensor(RNG.standard_normal((2, 1, 4)), requires_grad=True)
    assert gradcheck(lambda t, m, w: layer(t, m), (tgt, memory, layer.linear1.weight))


def test_transformer_initialises_every_matrix_xavier_uniform():
    model = nn.Transformer(16, 2, 1, 1, 32)
    w = _np(model.encoder.layers[0].linear1.weight)
    bound = np.sqrt(6 / (16 + 32))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert _np(model.decoder.norm.weight).tolist() == [1.0] * 16


CASES = {
    "encoder_layer": ("nn.TransformerEncoderLayer(8, 2, 16)", [(5, 3, 8)], {}),
    "encoder_layer_pre_norm_gelu": ("nn.TransformerEncoderLayer(8, 2, 16, norm_first=True, activation='gelu', "
                                    "batch_first=True)", [(3, 5, 8)], {"src_key_padding_mask": "padding"}),
    "encoder_layer_unbatched": ("nn.TransformerEncoderLayer(8, 2, 16)", [(5, 8)], {}),
    "encoder": ("nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 3, norm=nn.LayerNorm(8))",
                [(5, 3, 8)], {"mask": "causal5"}),
    "decoder_layer": ("nn.TransformerDecoderLayer(8, 2, 16)", [(4, 3, 8), (5, 3, 8)],
                      {"tgt_mask": "causal4", "memory_key_padding_mask": "padding"}),
    "decoder": ("nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, norm_first=True), 2)",
                [(4, 3, 8), (5, 3, 8)], {}),
    "transformer": ("nn.Transformer(8, 2, 2, 2, 16)", [(5, 3, 8), (4, 3, 8)],
                    {"tgt_mask": "causal4", "src_key_padding_mask": "padding"}),
    "transformer_batch_first": ("nn.Transformer(8, 2, 1, 1, 16, batch_first=True)", [(3, 5, 8), (3, 4, 8)], {}),
}


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
@needs_torch
@pytest.mark.parametrize("case", sorted(CASES))
def test_modules_match_torch(case):
    ctor, shapes, masks = CASES[case]
    padding = np.zeros((3, 5), bool)
    padding[1, 3:] = True
    named = {"padding": padding, "causal5": np.triu(np.full((5, 5), -np.inf), 1),
             "causal4": np.triu(np.full((4, 4), -np.inf), 1)}
    theirs = eval(ctor, {"nn": torch.nn}).double()
    ours = eval(ctor, {"nn": nn}).double()
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: nb.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    for module in (ours, theirs):  # (dropout off: the two libraries draw different masks)
        for m in module.modules():
            if type(m).__name__ == "Dropout":
                m.p = 0.0
            if type(m).__name__ == "MultiheadAttention":
                m.dropout = 0.0
    arrays = [RNG.standard_normal(s) for s in shapes]
    results = []
    for lib, module in ((nb, ours), (torch, theirs)):
        inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = module(*inputs, **{k: lib.tensor(named[v]) for k, v in masks.items()})
        (out * lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))).sum().backward()
        results.append([_np(out)] + [_np(x.grad) for x in inputs] + [_np(p.grad) for p in module.parameters()])
    for got, expected in zip(*results):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-11)


@needs_torch
@pytest.mark.parametrize("call", ["nn.TransformerEncoderLayer(8, 2, activation='tanh')",
                                  "nn.Transformer(8, 2, 1, 1, 16)(X(5, 3, 8), X(4, 2, 8))",
                                  "nn.Transformer(8, 2, 1, 1, 16)(X(5, 3, 6), X(4, 3, 6))"])
def test_bad_calls_raise_as_torch(call):
    with pytest.raises(Exception) as theirs:
        eval(call, {"nn": torch.nn, "X": torch.ones})
    with pytest.raises(type(theirs.value)) as ours:
        eval(call, {"nn": nn, "X": nb.ones})
    assert str(ours.value) == str(theirs.value)
