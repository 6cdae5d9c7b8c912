"""The CPU backend: storage is a 1-D NumPy array, kernels are Numba's (element-wise in
`elementwise`, indexed data movement in `gather`, the rendered kernel families through
`nbtensor.kernels.cpu.loader`), BLAS/LAPACK are NumPy's; large storage comes from the caching
allocator in `allocator`."""
import importlib

import numpy as np

from nbtensor.backends import base as _backend
from nbtensor.backends.cpu import allocator, direct, gather, host_memory, tuning
from nbtensor.backends.cpu import elementwise as cpu_elementwise

class CPUBackend(_backend.Backend):
    """The CPU's primitives: storage is a 1-D NumPy array; kernels are Numba's (`run`, the
    kernel families loaded by `kernels.cpu.loader`); see `backends.base.Backend`."""

    # (n, np_dtype): the fast paths call it directly. Below allocator.THRESHOLD bytes it is
    # np.empty; from there on the caching allocator's (see `allocator`).
    allocate = staticmethod(allocator.allocate)

    @staticmethod
    def empty_cache():
        allocator.default().empty_cache()

    @staticmethod
    def allocator_references(array):
        return allocator.default().references(array)

    @staticmethod
    def from_host(array):
        return np.array(array, copy=True)

    @staticmethod
    def to_host(storage, start=0, stop=None):
        return storage if start == 0 and stop is None else storage[start:stop]

    @staticmethod
    def write_host(storage, array, start=0):
        storage[start:start + array.shape[0]] = array

    @staticmethod
    def reinterpret(storage, np_dtype):
        return storage.view(np_dtype)

    elementwise = staticmethod(cpu_elementwise.run)

    @staticmethod
    def launch(family, kernel, *args):
        return getattr(_family(family), kernel)(*args)

    @staticmethod
    def joined(total, np_dtype, out_shape, parts, axis, stack):
        """A fresh row-major storage of `total` elements of `np_dtype` (`out_shape`) holding the
        concatenation along `axis` (with `stack`: the stack along a new `axis`) of `parts`,
        each (storage, offset, number of elements, shape) of a row-major tensor. Along the
        first axis each part is one block of the result: a small one is made by one
        ``np.concatenate`` (allocating and copying in one call), a large one through the
        allocator, which keeps big buffers for reuse."""
        if axis == 0 and total < _SMALL_JOIN:  # (a whole storage as it is: slicing one costs more than checking)
            return np.concatenate([storage if offset == 0 and storage.size == n else storage[offset:offset + n]
                                   for storage, offset, n, _ in parts])
        out = allocator.allocate(total, np_dtype)
        if axis == 0:
            at = 0
            for storage, offset, n, _ in parts:
                out[at:at + n] = storage[offset:offset + n]
                at += n
            return out
        views = [storage[offset:offset + n].reshape(shape) for storage, offset, n, shape in parts]
        (np.stack if stack else np.concatenate)(views, axis=axis, out=out.reshape(out_shape))
        return out

    @staticmethod
    def joined_pair(np_dtype, a, ao, na, b, bo, nb):
        """`joined` of two parts along the first axis: a fresh storage of ``na + nb``
        elements of `np_dtype` holding `a`'s `na` from `ao`, then `b`'s `nb` from `bo` (one
        kernel call: half the time of ``np.concatenate`` for small ones)."""
        out = allocator.allocate(na + nb, np_dtype)
        copy = _JOIN_PAIR.get(np_dtype)
        if copy is None:
            if np_dtype == np.float16:  # (numba has no float16)
                out[:na], out[na:] = a[ao:ao + na], b[bo:bo + nb]
                return out
            copy = _JOIN_PAIR[np_dtype] = direct.bind_on_first_call(_JOIN_PAIR, np_dtype, _family("gather").join_pair)
        copy(out, a, ao, na, b, bo, nb)
        return out

    @staticmethod
    def kernel(family, name):
        """The kernel `launch` would call, for a fast path that binds it once."""
        return getattr(_family(family), name)

    @staticmethod
    def gather(name, *args):
        return getattr(gather, name)(*args)

    @staticmethod
    def matmul(x, y, out):
        """``np.matmul`` of strided views of `x` and `y` into a view of `out` (see
        `backends.base.Backend.matmul`). The CPU's products call NumPy themselves
        (ops/linalg/products.py); this serves backends built on the CPU's primitives."""
        from nbtensor.backends.host import strided_view  # (host imports the cpu package)
        views = [strided_view(s, shape, strides, offset, s.dtype) for s, offset, shape, strides in (x, y, out)]
        np.matmul(views[0], views[1], out=views[2])

    # The CPU-only fast paths of the ops read its PARALLEL_THRESHOLD directly: a module
    # attribute costs ~50 ns less per op than calling `parallel`.
    tuning = tuning
    nchunks = staticmethod(tuning.nchunks)
    parallel = staticmethod(tuning.is_parallel)

    @staticmethod
    def flat_kernel(name):
        return cpu_elementwise.kernel(name, "_flat")

    bind_on_first_call = staticmethod(direct.bind_on_first_call)

    @staticmethod
    def whole_kernel(name):
        return cpu_elementwise.kernel(name, "_whole")

    @staticmethod
    def grid_kernel(name):
        return cpu_elementwise.kernel(name, "_2d")

    direct_layout = staticmethod(cpu_elementwise.direct_layout)

    @staticmethod
    def address(storage):
        return storage.__array_interface__["data"][0]

    @staticmethod
    def may_share_memory(a, b):
        if a is b:
            return True
        if a.base is None and b.base is None:
            return False  # two arrays that own their memory never share it
        # (pooled storage is a view of its block: NumPy's bounds check decides)
        return np.may_share_memory(a, b)

    @staticmethod
    def is_writable(storage):
        return storage.flags.writeable

    share = staticmethod(host_memory.share)
    is_shared = staticmethod(host_memory.is_shared)
    pinned = staticmethod(host_memory.pinned)
    is_pinned = staticmethod(host_memory.is_pinned)


_JOIN_PAIR = {}  # NumPy dtype -> the `join_pair` kernel's entry point for its storages

# Joined results below this many elements are made by one np.concatenate (see `joined`)
_SMALL_JOIN = 1 << 16

_FAMILIES = {}


def _family(name):
    """The module of a kernel family: "reduce" is rendered from codegen at first use, the
    others ("gather", "sortkeys") are written by hand."""
    module = _FAMILIES.get(name)
    if module is None:
        if name == "reduce":
            from nbtensor.kernels.cpu import loader  # numba and the kernel sources: on first use
            module = loader.load(name)
        else:
            module = importlib.import_module(f"nbtensor.kernels.cpu.{name}")
        _FAMILIES[name] = module
    return module


def _register():
    _backend.register("cpu", CPUBackend(), np.ndarray)


_register()
