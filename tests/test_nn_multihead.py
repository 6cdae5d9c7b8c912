"""nn.MultiheadAttention: the output and weights against NumPy from the module's own
parameters, gradients by gradcheck, and (with torch installed) outputs, weights, input and
parameter gradients, reprs, state-dict keys and errors against torch's module with the same
parameters."""
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
RNG = np.random.default_rng(9)


def _np(t):
    return t.detach().cpu().numpy()


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_output_and_weights_match_numpy():
    m = nn.MultiheadAttention(6, 2).double()
    q, k = RNG.standard_normal((4, 1, 6)), RNG.standard_normal((5, 1, 6))
    padding = np.array([[False, False, False, True, True]])
    out, weights = m(nb.tensor(q), nb.tensor(k), nb.tensor(k), key_padding_mask=nb.tensor(padding))
    w, b = _np(m.in_proj_weight), _np(m.in_proj_bias)
    pq, pk, pv = (x[:, 0] @ w[i * 6:(i + 1) * 6].T + b[i * 6:(i + 1) * 6] for i, x in enumerate((q, k, k)))
    heads = []
    for h in range(2):
        cols = slice(3 * h, 3 * h + 3)
        scores = pq[:, cols] @ pk[:, cols].T / np.sqrt(3) + np.where(padding[0], -np.inf, 0.0)
        heads.append(_softmax(scores))
    joined = np.concatenate([a @ pv[:, 3 * h:3 * h + 3] for h, a in enumerate(heads)], axis=1)
    expected = joined @ _np(m.out_proj.weight).T + _np(m.out_proj.bias)
    np.testing.assert_allclose(_np(out)[:, 0], expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(weights)[0], (heads[0] + heads[1]) / 2, rtol=1e-10, atol=1e-12)
    assert (_np(weights)[0][:, 3:] == 0).all()


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
def test_gradients_match_central_differences():
    m = nn.MultiheadAttention(4, 2, add_bias_kv=True).double()
    q = nb.tensor(RNG.standard_normal((3, 2, 4)), requires_grad=True)
    kv = nb.tensor(RNG.standard_normal((2, 2, 4)), requires_grad=True)
    assert gradcheck(lambda a, b, *params: m(a, b, b)[0], (q, kv, m.in_proj_weight, m.bias_k))


CASES = {
    "plain": ({}, "LNE", {}), "batch_first": ({"batch_first": True}, "NLE", {}),
    "masks": ({}, "LNE", {"key_padding_mask": "kpm", "attn_mask": "causal"}),
    "float_mask": ({}, "LNE", {"key_padding_mask": "kpm", "attn_mask": "float"}),
    "kdim_vdim": ({"kdim": 6, "vdim": 3, "bias": False}, "LNE", {}),
    "bias_kv_zero_attn": ({"add_bias_kv": True, "add_zero_attn": True}, "LNE", {"key_padding_mask": "kpm",
                                                                                "attn_mask": "causal"}),
    "unbatched_per_head": ({"num_heads": 4}, "LE", {"key_padding_mask": "kpm1", "attn_mask": "causal",
                                                    "average_attn_weights": False}),
    "no_weights": ({}, "LNE", {"attn_mask": "causal", "need_weights": False}),
    "mask_per_head": ({}, "LNE", {"attn_mask": "causal3", "average_attn_weights": False}),
}


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
@needs_torch
@pytest.mark.parametrize("case", sorted(CASES))
def test_module_matches_torch(case):
    options, layout, call = CASES[case]
    options = dict({"embed_dim": 8, "num_heads": 2}, **options)
    L, S, N, E = 4, 5, 3, 8
    sizes = {"LNE": [(L, N, E), (S, N, options.get("kdim", E)), (S, N, options.get("vdim", E))],
             "NLE": [(N, L, E), (N, S, E), (N, S, E)], "LE": [(L, E), (S, E), (S, E)]}[layout]
    arrays = [RNG.standard_normal(s) for s in sizes]
    kpm = np.zeros((N, S), bool)
    kpm[1, 3:] = True
    causal = np.triu(np.ones((L, S), bool), 1)
    masks = {"kpm": kpm, "kpm1": kpm[1], "causal": causal, "float": causal * -1e9,
             "causal3": np.repeat(causal[None], N * 2, 0)}
    theirs = torch.nn.MultiheadAttention(**options).double()
    ours = nn.MultiheadAttention(**options).double()
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: nb.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    results = []
    for lib, module in ((nb, ours), (torch, theirs)):
        inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
        kwargs = {k: lib.tensor(masks[v]) if isinstance(v, str) else v for k, v in call.items()}
        out, weights = module(*inputs, **kwargs)
        loss = (out * lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))).sum()
        (loss if weights is None else loss + (weights * weights).sum()).backward()
        results.append([_np(out), None if weights is None else _np(weights)]
                       + [_np(x.grad) for x in inputs] + [_np(p.grad) for p in module.parameters()])
    for got, expected in zip(*results):
        if expected is None:
            assert got is None
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("call", ["nn.MultiheadAttention(6, 4)", "nn.MultiheadAttention(0, 2)",
                                  "nn.MultiheadAttention(4, 2)(X4, X4, X4)", "nn.MultiheadAttention(4, 2)(X3, X3, X3)",
                                  "nn.MultiheadAttention(4, 2)(X3, X3, X3, is_causal=True)",
                                  "nn.MultiheadAttention(4, 2)(X3, X3, X3, attn_mask=M)"])
def test_bad_calls_raise_as_torch(call):
    def scope(lib):
        return {"nn": lib.nn, "X4": lib.ones(1, 2, 3, 4), "X3": lib.ones(3, 2, 5), "M": lib.zeros(2, 2)}
    with pytest.raises(Exception) as theirs:
        eval(call, scope(torch))
    with pytest.raises(type(theirs.value)) as ours:
        eval(call, scope(nb))
    assert str(ours.value) == str(theirs.value)
