"""F.scaled_dot_product_attention: values against NumPy (plain, causal, bool and float masks,
a query with no key to attend to), gradients by gradcheck, and values, gradients and errors
against torch when it is installed."""
import numpy as np
import pytest

import nbtensor as nb
from nbtensor.autograd import gradcheck
from nbtensor.nn import functional as F

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
RNG = np.random.default_rng(5)


def _np(t):
    return t.detach().cpu().numpy()


def _attention(q, k, v, bias, scale=None):
    scores = q @ np.swapaxes(k, -1, -2) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale) + bias
    e = np.exp(scores - scores.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True) @ v


def test_attention_matches_numpy():
    q, k, v = RNG.standard_normal((2, 4, 8)), RNG.standard_normal((2, 5, 8)), RNG.standard_normal((2, 5, 3))
    tq, tk, tv = nb.tensor(q), nb.tensor(k), nb.tensor(v)
    np.testing.assert_allclose(_np(F.scaled_dot_product_attention(tq, tk, tv)), _attention(q, k, v, 0.0), rtol=1e-10)
    np.testing.assert_allclose(_np(F.scaled_dot_product_attention(tq, tk, tv, scale=0.25)),
                               _attention(q, k, v, 0.0, 0.25), rtol=1e-10)
    causal = np.where(np.tril(np.ones((4, 5), bool)), 0.0, -np.inf)
    np.testing.assert_allclose(_np(F.scaled_dot_product_attention(tq, tk, tv, is_causal=True)),
                               _attention(q, k, v, causal), rtol=1e-10)
    bias = RNG.standard_normal((4, 5))
    np.testing.assert_allclose(_np(F.scaled_dot_product_attention(tq, tk, tv, attn_mask=nb.tensor(bias))),
                               _attention(q, k, v, bias), rtol=1e-10)


def test_a_query_that_may_attend_to_nothing_gets_zeros():
    q, k, v = (nb.tensor(RNG.standard_normal(s), requires_grad=True) for s in ((3, 4), (5, 4), (5, 2)))
    allowed = np.ones((3, 5), bool)
    allowed[1] = False
    allowed[2, :2] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=nb.tensor(allowed))
    assert _np(out)[1].tolist() == [0.0, 0.0]
    np.testing.assert_allclose(_np(out)[2], _attention(_np(q)[2:], _np(k)[2:], _np(v)[2:], 0.0)[0], rtol=1e-10)
    out.sum().backward()
    assert np.isfinite(_np(q.grad)).all() and _np(q.grad)[1].tolist() == [0.0] * 4


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
def test_gradients_match_central_differences():
    q, k, v = (nb.tensor(RNG.standard_normal(s), requires_grad=True) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3)))
    mask = nb.tensor(RNG.standard_normal((3, 5)), requires_grad=True)
    assert gradcheck(lambda a, b, c, m: F.scaled_dot_product_attention(a, b, c, attn_mask=m), (q, k, v, mask))
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True), (q, k, v))


def test_dropout_of_every_weight_gives_zeros():
    q = nb.ones(2, 3, 4)
    assert _np(F.scaled_dot_product_attention(q, q, q, dropout_p=1.0)).tolist() == np.zeros((2, 3, 4)).tolist()


@needs_torch
@pytest.mark.parametrize("case", ["plain", "causal", "causal_tall", "bool", "float", "scale", "unbatched", "gqa"])
def test_values_and_gradients_match_torch(case):
    shapes = {"unbatched": ((4, 8), (5, 8), (5, 6)), "causal_tall": ((2, 3, 6, 8), (2, 3, 4, 8), (2, 3, 4, 6)),
              "gqa": ((2, 4, 4, 8), (2, 2, 5, 8), (2, 2, 5, 6))}.get(case, ((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)))
    arrays = [RNG.standard_normal(s) for s in shapes]
    allowed = np.ones((4, 5), bool)
    allowed[1], allowed[2, 3] = False, False
    options = {"causal": {"is_causal": True}, "causal_tall": {"is_causal": True}, "scale": {"scale": 0.3},
               "gqa": {"enable_gqa": True}}.get(case, {})
    mask = {"bool": allowed, "float": RNG.standard_normal((4, 5))}.get(case)
    results = []
    for lib in (nb, torch):
        tensors = [lib.tensor(a, requires_grad=True) for a in arrays]
        extra = dict(options, attn_mask=None if mask is None else lib.tensor(mask))
        out = lib.nn.functional.scaled_dot_product_attention(*tensors, **extra)
        weights = np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape))
        (out * lib.tensor(weights)).sum().backward()
        results.append([_np(out)] + [_np(t.grad) for t in tensors])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("call", ["sdpa(Q, K, V, attn_mask=M, is_causal=True)", "sdpa(Q, K[..., :3], V)",
                                  "sdpa(Q.double(), K, V)", "sdpa(Q, K, V, attn_mask=M.double())"])
def test_bad_calls_raise_as_torch(call):
    def scope(lib):
        return {"sdpa": lib.nn.functional.scaled_dot_product_attention, "Q": lib.ones(2, 4, 4), "K": lib.ones(2, 5, 4),
                "V": lib.ones(2, 5, 3), "M": lib.zeros(4, 5)}
    with pytest.raises(Exception) as theirs:
        eval(call, scope(torch))
    with pytest.raises(type(theirs.value)):
        eval(call, scope(nb))
