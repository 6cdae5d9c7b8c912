"""The CUDA matrix product (nbtensor/backends/cuda/matmul.py and its kernels in
kernels/cuda/matmul.py) against ``np.matmul``, in Numba's CUDA simulator.

Run with ``NUMBA_ENABLE_CUDASIM=1`` (skipped otherwise). Operands are views into padded
flat storages (offsets, row- and column-major, non-unit strides, broadcast batch stride 0);
`out` is a strided view too, and the whole out storage, gaps included, must come back as
expected. Shapes straddle the simulator's 4 x 4 tiles (ragged edges, several k steps, more
tiles than the simulator's 2 x 2 x 2 grid so that the grid-stride loops run). Integer
products must be exact in their dtype, wrapping around as NumPy's do.

What reaches the backend: the facade (ops/linalg/products.py) never sends an empty result
or bool, and sends float16 as float32; it fills k == 0 products itself, but the kernel's
contract covers k == 0 (zeros) and it is tested here. Each launch costs ~0.3 s here
(every GPU thread is a Python thread), so the cases are few and small.
"""
import os

import numpy as np
import pytest

if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
    pytest.skip("the CUDA kernels are tested in Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1)",
                allow_module_level=True)

from numba import config, cuda  # noqa: E402

from nbtensor.backends.cuda import matmul as gpu  # noqa: E402
from nbtensor.kernels.cuda import matmul as kernels  # noqa: E402

if not config.ENABLE_CUDASIM:  # numba was imported before the variable was set
    pytest.skip("numba.cuda is not the simulator in this process", allow_module_level=True)

pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # NumPy's wrapping oracle


# --------------------------------------------------------------------------- operands
def _values(rng, dtype, n):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return rng.standard_normal(n).astype(dtype)
    info = np.iinfo(dtype)
    if dtype.itemsize >= 8:  # products and sums that overflow 64 bits
        return rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
    return rng.integers(info.min, info.max, n, endpoint=True).astype(dtype)


def _layout(shape, order, pad=0):
    """(strides, extent) of a (b, r, c) view: order "C" row-major, "F" columns, "S" every
    other element of row-major, "B" (broadcast) batch stride 0 over a row-major matrix."""
    b, r, c = shape
    if order == "C":
        strides = (r * c, c, 1)
    elif order == "F":
        strides = (r * c, 1, r)
    elif order == "S":
        strides = (2 * r * c + 1, 2 * c, 2)
    elif order == "B":
        strides = (0, c, 1)
    else:
        raise ValueError(order)
    extent = 1 + sum((n - 1) * s for n, s in zip(shape, strides))
    return strides, extent + pad


class Operand:
    """A (b, r, c) view at `offset` into a random flat storage, on the host and the device."""

    def __init__(self, rng, dtype, shape, order, offset=0):
        self.strides, extent = _layout(shape, order, pad=3)
        self.offset, self.shape = offset, shape
        self.host = _values(rng, dtype, offset + extent)
        self.device = cuda.to_device(self.host)
        self.dtype = self.host.dtype

    def view(self, flat=None):
        flat = self.host if flat is None else flat
        item = flat.itemsize
        return np.ndarray(self.shape, flat.dtype, flat, self.offset * item, tuple(s * item for s in self.strides))

    def spec(self):
        return (self.device, self.offset, self.shape, self.strides)


def _check(dtype, b, n, k, p, xorder="C", yorder="C", oorder="C", seed=0, offsets=(0, 0, 0)):
    rng = np.random.default_rng(seed)
    x = Operand(rng, dtype, (b, n, k), xorder, offsets[0])
    y = Operand(rng, dtype, (b, k, p), yorder, offsets[1])
    out = Operand(rng, dtype, (b, n, p), oorder, offsets[2])
    expected = out.host.copy()
    with np.errstate(over="ignore"):
        np.matmul(x.view(), y.view(), out=out.view(expected))
    gpu.matmul(x.spec(), y.spec(), out.spec())
    got = out.device.copy_to_host()
    if np.dtype(dtype).kind == "f":
        inside = np.zeros(got.shape, bool)
        out.view(inside)[...] = True
        np.testing.assert_array_equal(got[~inside], expected[~inside])  # the gaps are untouched
        scale = np.matmul(np.abs(x.view()), np.abs(y.view())) + 1  # error bound of any summation order
        tol = 8 * k * np.finfo(dtype).eps
        assert np.all(np.abs(out.view(got) - out.view(expected)) <= tol * scale)
    else:
        np.testing.assert_array_equal(got, expected)


# --------------------------------------------------------------------------- the kernel path
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.int16, np.int8, np.uint8])
def test_every_dtype_with_mixed_layouts(dtype):
    # x column-major, y strided, out row-major at an offset; 2 batches; ragged 4 x 4 tiles
    _check(dtype, 2, 5, 6, 3, xorder="F", yorder="S", offsets=(1, 2, 3))


@pytest.mark.parametrize("xorder,yorder,oorder", [
    ("C", "C", "C"), ("F", "F", "S"), ("C", "F", "F"), ("S", "C", "C"),
    ("B", "C", "C"), ("C", "B", "C"), ("B", "B", "C"),
])
def test_layouts(xorder, yorder, oorder):
    _check(np.float32, 3, 4, 5, 6, xorder, yorder, oorder, seed=1, offsets=(2, 0, 1))


@pytest.mark.parametrize("seed", range(8))
def test_random_shapes_layouts_and_dtypes(seed):
    rng = np.random.default_rng(100 + seed)
    dtype = rng.choice([np.float32, np.float64, np.int64, np.int32, np.uint8])
    b, n, k, p = int(rng.integers(1, 4)), *(int(v) for v in rng.integers(1, 8, 3))
    orders = [str(v) for v in rng.choice(["C", "F", "S", "B"], 2)] + [str(rng.choice(["C", "F", "S"]))]
    _check(dtype, b, n, k, p, *orders, seed=seed, offsets=tuple(int(v) for v in rng.integers(0, 3, 3)))


def test_more_tiles_than_blocks_runs_the_grid_stride_loops():
    # 3 x 3 output tiles and 3 batches over the simulator's grid of at most 2 x 2 x 2 blocks
    assert gpu.runtime.simulated() and kernels.TILE == 4
    _check(np.float64, 3, 9, 3, 10, seed=2)


@pytest.mark.parametrize("n,k,p", [(1, 7, 1), (1, 5, 6), (6, 9, 1), (1, 1, 1)])
def test_vectors_and_single_elements(n, k, p):
    _check(np.float64, 1, n, k, p, seed=3)


def test_k_zero_writes_zeros():
    _check(np.float32, 2, 3, 0, 2, seed=4)
    _check(np.int32, 1, 2, 0, 3, seed=4)


def test_integer_products_wrap_around_in_their_width():
    rng = np.random.default_rng(5)
    for dtype in (np.uint8, np.int8):
        info = np.iinfo(dtype)
        x = Operand(rng, dtype, (1, 2, 6), "C")
        x.host[:] = info.max
        x.device = cuda.to_device(x.host)
        y = Operand(rng, dtype, (1, 6, 3), "F")
        out = Operand(rng, dtype, (1, 2, 3), "C")
        gpu.matmul(x.spec(), y.spec(), out.spec())
        with np.errstate(over="ignore"):
            expected = np.matmul(x.view(), y.view())
        np.testing.assert_array_equal(out.view(out.device.copy_to_host()), expected)
        wide = np.matmul(x.view().astype(np.int64), y.view().astype(np.int64))
        assert (wide != expected).any()  # the case did overflow


def test_empty_result_is_a_no_op():
    out = cuda.to_device(np.full(4, 7.0))
    gpu.matmul((cuda.to_device(np.ones(4)), 0, (1, 0, 2), (0, 2, 1)),
               (cuda.to_device(np.ones(4)), 0, (1, 2, 2), (0, 2, 1)), (out, 0, (1, 0, 2), (0, 2, 1)))
    assert (out.copy_to_host() == 7).all()


def test_mixed_dtypes_and_dtypes_without_a_kernel_raise():
    f, d = cuda.to_device(np.ones(4, np.float32)), cuda.to_device(np.ones(4))
    with pytest.raises(TypeError, match="one dtype"):
        gpu.matmul((f, 0, (1, 2, 2), (0, 2, 1)), (d, 0, (1, 2, 2), (0, 2, 1)), (f, 0, (1, 2, 2), (0, 2, 1)))
    h = cuda.to_device(np.ones(4, np.float16))
    with pytest.raises(TypeError, match="no CUDA kernel for float16"):
        gpu.matmul((h, 0, (1, 2, 2), (0, 2, 1)), (h, 0, (1, 2, 2), (0, 2, 1)), (h, 0, (1, 2, 2), (0, 2, 1)))


# --------------------------------------------------------------------------- the cuBLAS path
class _FakeCuPy:
    """Just enough of CuPy for `_cublas`: arrays over the simulator's host copies of the
    storages (as CuPy's are over their device memory), NumPy's matmul, and a log of calls."""

    def __init__(self):
        self.calls = []
        fake = self

        class UnownedMemory:
            def __init__(self, ptr, size, owner):
                assert ptr == gpu.runtime.address(owner) and size == owner.nbytes
                self.owner = owner

        class MemoryPointer:
            def __init__(self, mem, offset):
                self.mem, self.offset = mem, offset

        def ndarray(shape, dtype, memptr, strides):
            return np.ndarray(shape, dtype, memptr.mem.owner._ary, memptr.offset, strides)

        def matmul(a, b, out):
            fake.calls.append((a.shape, b.shape, out.shape))
            np.matmul(a, b, out=out)

        self.cuda = type("cuda", (), {"UnownedMemory": UnownedMemory, "MemoryPointer": MemoryPointer})
        self.ndarray, self.matmul = ndarray, matmul


def test_cublas_path_wraps_the_storages_without_copying(monkeypatch):
    assert gpu.path(np.dtype(np.float32)) == "kernel"  # no CuPy in the simulator
    fake = _FakeCuPy()
    monkeypatch.setattr(gpu, "cupy", lambda: fake)
    assert gpu.path(np.dtype(np.float32)) == "cublas" and gpu.path(np.dtype(np.float64)) == "cublas"
    assert gpu.path(np.dtype(np.int32)) == "kernel" and gpu.path(np.dtype(np.float32), k=0) == "kernel"
    _check(np.float32, 1, 3, 4, 2, xorder="F", offsets=(1, 2, 0))            # one product: 2-D arrays
    _check(np.float64, 3, 2, 4, 5, xorder="B", yorder="F", offsets=(2, 1, 1))  # x broadcast: a batch of 1
    assert fake.calls == [((3, 4), (4, 2), (3, 2)), ((1, 2, 4), (3, 4, 5), (3, 2, 5))]
    _check(np.float64, 2, 2, 3, 2, xorder="B", yorder="B")  # both broadcast: the kernel
    assert len(fake.calls) == 2
    monkeypatch.setattr(gpu, "USE_CUBLAS", False)
    assert gpu.path(np.dtype(np.float32)) == "kernel"
