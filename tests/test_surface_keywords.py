"""Issue 9: torch's keyword names (``input=``, ``other=``, ``dim=``, ``exponent=``, ...)
work on the public functions and methods; each keyword call equals its positional twin."""
import numpy as np
import pytest
from support import needs_torch, torch

import nbtensor as nb

X = nb.arange(6.0).reshape(2, 3)
Y = nb.ones(2, 3)
V = nb.arange(3.0)
M = nb.eye(3)
IX = nb.tensor([[0, 1, 0]])

# name -> (keyword call, positional call)
CALLS = {
    "max_other": (lambda T: T.max(input=X, other=Y), lambda T: T.max(X, Y)),
    "min_other": (lambda T: T.min(input=X, other=Y), lambda T: T.min(X, Y)),
    "max_dim": (lambda T: T.max(input=X, dim=1, keepdim=True).values, lambda T: T.max(X, 1, True).values),
    "add": (lambda T: T.add(input=X, other=Y, alpha=2), lambda T: T.add(X, Y, alpha=2)),
    "pow": (lambda T: T.pow(input=X, exponent=2), lambda T: T.pow(X, 2)),
    "pow_scalar_base": (lambda T: T.pow(self=2, exponent=X), lambda T: T.pow(2, X)),
    "atan2": (lambda T: T.atan2(input=X, other=Y), lambda T: T.atan2(X, Y)),
    "copysign": (lambda T: T.copysign(input=X, other=-Y), lambda T: T.copysign(X, -Y)),
    "sum": (lambda T: T.sum(input=X, dim=1, keepdim=True, dtype=T.float64), lambda T: T.sum(X, 1, True, dtype=T.float64)),
    "cumsum": (lambda T: T.cumsum(input=X, dim=1), lambda T: T.cumsum(X, 1)),
    "median": (lambda T: T.median(input=X, dim=1).values, lambda T: T.median(X, 1).values),
    "reshape": (lambda T: T.reshape(input=X, shape=(3, 2)), lambda T: T.reshape(X, (3, 2))),
    "flatten": (lambda T: T.flatten(input=X, start_dim=0, end_dim=-1), lambda T: T.flatten(X)),
    "transpose": (lambda T: T.transpose(input=X, dim0=0, dim1=1), lambda T: T.transpose(X, 0, 1)),
    "permute": (lambda T: T.permute(input=X, dims=(1, 0)), lambda T: T.permute(X, (1, 0))),
    "squeeze": (lambda T: T.squeeze(input=X[None], dim=0), lambda T: T.squeeze(X[None], 0)),
    "unsqueeze": (lambda T: T.unsqueeze(input=X, dim=0), lambda T: T.unsqueeze(X, 0)),
    "t": (lambda T: T.t(input=X), lambda T: T.t(X)),
    "narrow": (lambda T: T.narrow(input=X, dim=1, start=0, length=2), lambda T: T.narrow(X, 1, 0, 2)),
    "select": (lambda T: T.select(input=X, dim=0, index=1), lambda T: T.select(X, 0, 1)),
    "chunk": (lambda T: T.chunk(input=X, chunks=3, dim=1)[1], lambda T: T.chunk(X, 3, 1)[1]),
    "split": (lambda T: T.split(tensor=X, split_size_or_sections=1, dim=0)[1], lambda T: T.split(X, 1, 0)[1]),
    "unbind": (lambda T: T.unbind(input=X, dim=0)[1], lambda T: T.unbind(X, 0)[1]),
    "movedim": (lambda T: T.movedim(input=X, source=0, destination=1), lambda T: T.movedim(X, 0, 1)),
    "moveaxis": (lambda T: T.moveaxis(input=X, source=0, destination=1), lambda T: T.moveaxis(X, 0, 1)),
    "swapaxes": (lambda T: T.swapaxes(input=X, axis0=0, axis1=1), lambda T: T.swapaxes(X, 0, 1)),
    "swapdims": (lambda T: T.swapdims(input=X, dim0=0, dim1=1), lambda T: T.swapdims(X, 0, 1)),
    "diagonal": (lambda T: T.diagonal(input=M, offset=0, dim1=0, dim2=1), lambda T: T.diagonal(M)),
    "broadcast_to": (lambda T: T.broadcast_to(input=V, size=(2, 3)), lambda T: T.broadcast_to(V, (2, 3))),
    "unflatten": (lambda T: T.unflatten(input=V, dim=0, sizes=(1, 3)), lambda T: T.unflatten(V, 0, (1, 3))),
    "dot": (lambda T: T.dot(input=V, tensor=V), lambda T: T.dot(V, V)),
    "det": (lambda T: T.det(input=M), lambda T: T.det(M)),
    "index_put": (lambda T: T.index_put(input=X, indices=(T.tensor([0]),), values=T.tensor(1.0)),
                  lambda T: T.index_put(X, (T.tensor([0]),), T.tensor(1.0))),
    "scatter_reduce": (lambda T: T.scatter_reduce(input=X, dim=0, index=IX, src=Y, reduce="sum"),
                       lambda T: T.scatter_reduce(X, 0, IX, Y, "sum")),
    "asarray": (lambda T: T.asarray(obj=[1, 2]), lambda T: T.asarray([1, 2])),
    "method_add": (lambda T: X.add(other=Y), lambda T: X.add(Y)),
    "method_pow": (lambda T: X.pow(exponent=2), lambda T: X.pow(2)),
    "method_reshape": (lambda T: X.reshape(shape=(3, 2)), lambda T: X.reshape(3, 2)),
    "method_max_other": (lambda T: X.max(other=Y), lambda T: X.max(Y)),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_keyword_call_equals_positional(name):
    keyword, positional = CALLS[name]
    a, b = keyword(nb), positional(nb)
    assert a.dtype is b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())


def test_randint_keywords():
    nb.manual_seed(0)
    r = nb.randint(low=2, high=5, size=(100,))
    assert r.dtype is nb.int64 and r.shape == (100,)
    assert r.min().item() >= 2 and r.max().item() < 5
    assert nb.randint(high=3, size=(4,)).max().item() < 3


def test_asarray_copy():
    assert nb.asarray(X) is X
    c = nb.asarray(X, copy=True)
    assert c.data_ptr() != X.data_ptr()
    with pytest.raises(ValueError, match="copy=False"):
        nb.asarray(X, dtype=nb.float64, copy=False)


def test_unknown_keywords_raise_type_error():
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        nb.pow(X, foo=2)
    with pytest.raises(TypeError, match="unexpected keyword argument 'sz'"):
        X.reshape(sz=2)
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        X.atan2(foo=2)


@needs_torch
@pytest.mark.parametrize("name", sorted(CALLS))
def test_keyword_calls_match_torch(name):
    keyword, _ = CALLS[name]
    tX, tY, tV, tM, tI = (torch.from_numpy(t.cpu().numpy().copy()) for t in (X, Y, V, M, IX))

    class TorchNamespace:
        def __getattr__(self, attr):
            return getattr(torch, attr)

    # re-evaluate the same call on torch tensors: swap the module-level operands in
    g = keyword.__globals__
    saved = {k: g[k] for k in ("X", "Y", "V", "M", "IX")}
    g.update(X=tX, Y=tY, V=tV, M=tM, IX=tI)
    try:
        want = keyword(TorchNamespace())
    finally:
        g.update(saved)
    got = keyword(nb)
    assert tuple(got.shape) == tuple(want.shape)
    assert got.cpu().numpy().dtype == want.cpu().numpy().dtype
    if got.device.type == "cuda" and got.dtype.is_floating_point:
        # the GPU's math library (and the simulator's NumPy) may differ from the CPU's libm
        # by an ulp in transcendental functions, as torch's CUDA results do
        np.testing.assert_allclose(got.cpu().numpy(), want.cpu().numpy(), rtol=4e-7, atol=0)
    else:
        np.testing.assert_array_equal(got.cpu().numpy(), want.cpu().numpy())
