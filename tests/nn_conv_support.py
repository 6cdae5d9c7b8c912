"""Shared by tests/test_nn_conv.py, tests/test_nn_pool_norm.py and tests/test_nn_3d.py: the
optional torch oracle (tests/support.py's), a marker for the gradchecks, small tensor helpers
and the comparison of a function's values and gradients with torch's."""
import os
import warnings

import numpy as np
import pytest

import nbtensor as nb
from tests.support import needs_torch, torch  # noqa: F401 (re-exported)

# gradcheck runs two forwards per input element: fine on a CPU or a GPU, over a minute in the
# CUDA simulator (every kernel launch is Python); the device's gradients are checked there
# against torch and by hand instead.
not_in_simulator = pytest.mark.skipif(
    os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" and os.environ.get("NBTENSOR_TEST_DEVICE") == "cuda",
    reason="gradcheck is too slow in the CUDA simulator")


def values(t):
    """`t`'s values as a NumPy array (from any device)."""
    return t.detach().cpu().numpy()


def leaf(a):
    """A float64 leaf that requires grad."""
    return nb.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def _forward_backward(lib, fn, arrays, args, kwargs):
    """``lib.nn.functional.<fn>(*leaves, *args, **kwargs)``, the leaves made from `arrays`, then
    the backward of its output weighted by linspace(-1, 1): (output, its indices or None, the
    leaves' gradients, the names of its node and of the nodes that node feeds from)."""
    leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = getattr(lib.nn.functional, fn)(*leaves, *args, **kwargs)
    out, indices = out if isinstance(out, tuple) else (out, None)
    (out * lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))).sum().backward()
    node = out.grad_fn
    names = [node.name()] + [n.name() for n, _ in node.next_functions if n is not None]
    return (out.detach().cpu().numpy(), None if indices is None else indices.cpu().numpy(),
            [a.grad.cpu().numpy() for a in leaves], names)


def check_against_torch(fn, arrays, *args, rtol=1e-12, atol=1e-12, **kwargs):
    """nn.functional's `fn` of `arrays` (its tensor arguments, as float64 leaves) and `args`
    gives torch's values, indices (when it returns them) and gradients; returns the node
    names (ours, torch's), see `_forward_backward`."""
    ours, theirs = (_forward_backward(lib, fn, arrays, args, kwargs) for lib in (nb, torch))
    np.testing.assert_allclose(ours[0], theirs[0], rtol=rtol, atol=atol)
    if theirs[1] is not None:
        np.testing.assert_array_equal(ours[1], theirs[1])
    for g, tg in zip(ours[2], theirs[2]):
        np.testing.assert_allclose(g, tg, rtol=rtol, atol=atol)
    return ours[3], theirs[3]
