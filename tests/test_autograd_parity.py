"""Gradients against torch's at the inputs where rules are easy to get wrong: NaN, ±inf,
ties and zeros (torch's derivative formulas pick a value at every kink and NaN). Runs when
torch is importable; an op nbtensor refuses to differentiate (NotImplementedError) is
skipped here, since refusing is not a wrong answer."""
import numpy as np
import pytest

import nbtensor as nb

torch = pytest.importorskip("torch")
F_NB, F_TH = nb.nn.functional, torch.nn.functional

OPS = {
    "abs": lambda L, F, x: x.abs().sum(), "sqrt": lambda L, F, x: x.abs().sqrt().sum(),
    "pow 0.5": lambda L, F, x: (x.abs() ** 0.5).sum(), "pow 2": lambda L, F, x: (x ** 2).sum(),
    "pow 0": lambda L, F, x: ((x ** 0) * x.detach()).sum(), "pow -1.5": lambda L, F, x: (x.abs() ** -1.5).sum(),
    "rpow": lambda L, F, x: (2 ** x).sum(), "pow tensor": lambda L, F, x: (x.abs() ** x).sum(),
    "log": lambda L, F, x: x.abs().log().sum(), "reciprocal": lambda L, F, x: (1 / x).sum(),
    "div": lambda L, F, x: (x / x.flip(1)).sum(), "norm": lambda L, F, x: x.norm(), "norm dim": lambda L, F, x: x.norm(dim=1).sum(),
    "norm 1": lambda L, F, x: x.norm(p=1), "std": lambda L, F, x: x.std(), "var dim": lambda L, F, x: x.var(1).sum(),
    "mean": lambda L, F, x: x.mean(), "sum": lambda L, F, x: x.sum(), "nansum": lambda L, F, x: x.nansum(),
    "prod": lambda L, F, x: x.prod(), "prod dim": lambda L, F, x: x.prod(1).sum(), "softmax": lambda L, F, x: (x.softmax(1) * L.arange(4.0)).sum(),
    "log_softmax": lambda L, F, x: (x.log_softmax(1) * L.arange(4.0)).sum(), "logsumexp": lambda L, F, x: x.logsumexp(1).sum(),
    "clamp": lambda L, F, x: x.clamp(-1, 1).sum(), "clamp_min": lambda L, F, x: x.clamp(min=0.0).sum(),
    "tanh": lambda L, F, x: x.tanh().sum(), "sigmoid": lambda L, F, x: x.sigmoid().sum(), "exp": lambda L, F, x: x.exp().sum(),
    "relu": lambda L, F, x: x.relu().sum(), "sign": lambda L, F, x: (x.sign() * x.detach()).sum(),
    "floor": lambda L, F, x: (x.floor() * x.detach()).sum(), "where": lambda L, F, x: L.where(x > 0, x.exp(), x).sum(),
    "masked_fill": lambda L, F, x: x.masked_fill(x < 0, 1.0).sum(), "cumsum": lambda L, F, x: (x.cumsum(1) * L.arange(4.0)).sum(),
    "maximum": lambda L, F, x: L.maximum(x, x.flip(0)).sum(), "minimum": lambda L, F, x: L.minimum(x, x.flip(1)).sum(),
    "fmax": lambda L, F, x: L.fmax(x, x.flip(0)).sum(), "fmin": lambda L, F, x: L.fmin(x, x.flip(1)).sum(),
    "max": lambda L, F, x: x.max(), "min": lambda L, F, x: x.min(), "amax dim": lambda L, F, x: x.amax(1).sum(),
    "max dim": lambda L, F, x: x.max(1)[0].sum(), "min dim": lambda L, F, x: x.min(0)[0].sum(),
    "mse_loss": lambda L, F, x: F.mse_loss(x, x.flip(0)), "cross_entropy": lambda L, F, x: F.cross_entropy(x, L.tensor([0, 3, 1])),
    "bce_with_logits": lambda L, F, x: F.binary_cross_entropy_with_logits(x, (x > 0).to(x.dtype)),
    "gather": lambda L, F, x: x.gather(1, L.tensor([[0], [1], [0]])).sum(), "index": lambda L, F, x: x[[0, 0, 2]].sum(),
    "masked_select": lambda L, F, x: x[x > 0].sum(), "t @": lambda L, F, x: (x.t() @ x).sum(),
    "centered": lambda L, F, x: (x - x.mean(1, keepdim=True)).pow(2).sum(),
    "asin of clamp": lambda L, F, x: x.clamp(-1, 1).asin().sum(), "acos of clamp": lambda L, F, x: x.clamp(-1, 1).acos().sum(),
    "std dim": lambda L, F, x: x.std(1).sum(), "var biased": lambda L, F, x: x.var(1, unbiased=False).sum(),
    "x / |x|": lambda L, F, x: (x / x.abs()).sum(), "rsqrt": lambda L, F, x: x.abs().rsqrt().sum(),
    "norm 3": lambda L, F, x: x.norm(p=3), "norm 1.5 dim": lambda L, F, x: x.norm(p=1.5, dim=1).sum(),
    "norm 0.5": lambda L, F, x: x.norm(p=0.5, dim=0).sum(), "norm inf": lambda L, F, x: x.norm(p=float("inf")),
    "norm -inf dim": lambda L, F, x: x.norm(p=float("-inf"), dim=1).sum(),
    "norm 0 and sum": lambda L, F, x: x.norm(p=0) + x.sum(),
    "sort": lambda L, F, x: (x.sort(1)[0] * L.arange(4.0)).sum(), "msort": lambda L, F, x: (L.msort(x) * L.arange(4.0)).sum(),
    "median": lambda L, F, x: x.median(),
    "median dim": lambda L, F, x: (x.median(1).values * L.arange(3.0)).sum(), "nanmedian": lambda L, F, x: x.nanmedian(),
    "nanmedian dim": lambda L, F, x: (x.nanmedian(0).values * L.arange(4.0)).sum(),
    "cummax": lambda L, F, x: (x.cummax(1)[0] * L.arange(4.0)).sum(), "cummin": lambda L, F, x: (x.cummin(0)[0] * L.arange(4.0)).sum(),
    "cumprod": lambda L, F, x: (x.cumprod(1) * L.arange(4.0)).sum(), "logcumsumexp": lambda L, F, x: (x.logcumsumexp(1) * L.arange(4.0)).sum(),
    "nanmean": lambda L, F, x: x.nanmean(), "nanmean dim": lambda L, F, x: (x.nanmean(1) * L.arange(3.0)).sum(),
    "aminmax": lambda L, F, x: (lambda r: r.min * 2 + r.max)(L.aminmax(x)),
    "var_mean": lambda L, F, x: (lambda r: (r[0] * r[1]).sum())(L.var_mean(x, 1)),
    "atan2": lambda L, F, x: L.atan2(x, x.flip(0)).sum(), "logaddexp": lambda L, F, x: L.logaddexp(x, x.flip(1)).sum(),
    "remainder": lambda L, F, x: L.remainder(x, 0.75).sum() + L.remainder(x, x.flip(0)).sum(),
    "fmod": lambda L, F, x: L.fmod(x, x.flip(1)).sum(), "copysign": lambda L, F, x: L.copysign(x, x.flip(0)).sum(),
    "lerp": lambda L, F, x: L.lerp(x, x.flip(0), x.flip(1)).sum(), "asinh": lambda L, F, x: x.asinh().sum(),
    "trace": lambda L, F, x: x[:, :3].trace(), "diag": lambda L, F, x: (x.diag(1) * L.arange(3.0)).sum(),
    "scatter_add": lambda L, F, x: (x.scatter_add(1, L.tensor([[0, 0], [3, 1], [2, 2]]), x[:, 1:3]) * L.arange(4.0)).sum(),
    "index_add": lambda L, F, x: (x.index_add(0, L.tensor([2, 2]), x[:2]) * L.arange(4.0)).sum(),
    "linalg.vector_norm": lambda L, F, x: L.linalg.vector_norm(x, 1.5, dim=1).sum(),
    # (x's gradient where x is 0 is log(y), except where y <= 0 / y <= -1)
    "xlogy": lambda L, F, x: (L.xlogy(x.relu(), x.flip(0)) * L.arange(4.0)).sum(),
    "xlog1py": lambda L, F, x: (L.special.xlog1py(x.relu(), x.flip(1)) * L.arange(4.0)).sum(),
    "xlogy number": lambda L, F, x: L.xlogy(x.relu(), 2.5).sum() + L.xlogy(1.5, x.abs()).sum(),
}
# scatter_reduce: each reduction, with and without the input's own values
for _reduce in ("sum", "mean", "amax", "amin", "prod"):
    for _include in (True, False):
        OPS[f"scatter_reduce {_reduce}{'' if _include else ' excluding self'}"] = (
            lambda L, F, x, r=_reduce, i=_include: (x[:2].scatter_reduce(
                1, L.tensor([[0, 0, 3, 1], [2, 2, 0, 0]]), x[1:], r, include_self=i) * L.arange(4.0)).sum())
        if _reduce != "sum":  # (index_reduce has no sum)
            OPS[f"index_reduce {_reduce}{'' if _include else ' excluding self'}"] = (
                lambda L, F, x, r=_reduce, i=_include: (x[:2].index_reduce(
                    1, L.tensor([3, 0, 3]), x[1:, :3], r, include_self=i) * L.arange(4.0)).sum())


def _inputs():
    rng = np.random.default_rng(7)
    base = rng.standard_normal((3, 4)) * 2
    nan, ties, infs, zeros = base.copy(), base.copy(), base.copy(), base.copy()
    nan[1, 2] = np.nan
    ties[0, :3] = ties[0, 3]
    ties[1, 1] = ties[2, 2] = 0.0
    infs[0, 1], infs[2, 0] = np.inf, -np.inf
    zeros[:, 0] = 0.0
    edges = np.array([[-1.0, 1.0, 0.5, 2.0], [2.0, 2.0, 2.0, 2.0], [1e300, 1e-300, -0.0, -3.0]])
    return {"plain": base, "nan": nan, "ties and zeros": ties, "inf": infs, "zero column": zeros,
            "bounds, constant row, extremes": edges}


INPUTS = _inputs()


@pytest.mark.parametrize("kind", sorted(INPUTS))
@pytest.mark.parametrize("name", sorted(OPS))
def test_gradient_matches_torch(name, kind):
    a = INPUTS[kind]
    grads = []
    for lib, functional in ((nb, F_NB), (torch, F_TH)):
        x = lib.tensor(a.copy(), dtype=lib.float64, requires_grad=True)
        try:
            OPS[name](lib, functional, x).backward()
        except NotImplementedError:
            pytest.skip("nbtensor refuses this derivative (loudly)")
        except RuntimeError:
            if lib is torch:
                pytest.skip("torch refuses it too")
            raise
        grads.append(x.grad.detach().cpu().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-7, atol=1e-9, equal_nan=True)


CLAMPS = {"both": lambda x, low, high: x.clamp(low, high), "min": lambda x, low, high: x.clamp(min=low),
          "max": lambda x, low, high: x.clamp(max=high), "clamp_min": lambda x, low, high: x.clamp_min(low),
          "clamp_max": lambda x, low, high: x.clamp_max(high),
          "bounds need no grad": lambda x, low, high: x.clamp(low, high)}


@pytest.mark.parametrize("form", sorted(CLAMPS))
def test_clamp_with_tensor_bounds_matches_torch(form):
    # torch's clamp_backward_min_max: a bound takes the gradient where it is the result
    # (where min > max, max is); bounds broadcast and get theirs summed back
    rng = np.random.default_rng(5)
    a, lo, hi = rng.standard_normal((3, 4)), rng.standard_normal(4) - 0.5, rng.standard_normal((3, 1)) + 0.5
    hi[0] = -2.0  # min > max on this row
    grads, names = [], []
    for lib in (nb, torch):
        x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        low = lib.tensor(lo, dtype=lib.float64, requires_grad=form != "bounds need no grad")
        high = lib.tensor(hi, dtype=lib.float64, requires_grad=form != "bounds need no grad")
        y = CLAMPS[form](x, low, high)
        names.append(y.grad_fn.name())
        (y * lib.arange(12.0, dtype=lib.float64).reshape(3, 4)).sum().backward()
        grads.append([None if t.grad is None else t.grad.detach().cpu().numpy() for t in (x, low, high)])
    assert names[0] == names[1]
    for ours, theirs in zip(*grads):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            np.testing.assert_allclose(ours, theirs, rtol=1e-12)
