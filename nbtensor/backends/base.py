"""Backends: the primitives a device implements, and the one place that picks them.

A tensor's storage is a flat buffer of one dtype that its device's backend made; only the
backend reads or writes its elements. Ops reach storage through the backend of their
output's device (`backend_for`); values an op needs on the host (an index's range, a
decomposition NumPy's LAPACK computes) are fetched explicitly (`host_array`) and results
put back (`from_host`, `on_host`). On the CPU a host array is the storage's own memory, so
these cost nothing there.

Adding a backend: subclass `Backend`, implement its primitives, call `register(device_type,
backend, storage_type)`. The CPU backend is `backends.cpu.CPUBackend`; the test suite's guarded
device (tests/guarded_backend.py) is a second one.
"""
import numpy as np

from nbtensor.core.device import CPU, register_device_type
from nbtensor.core.device import device as _device_cls

__all__ = ["Backend", "register", "backend_for", "device_of", "strided_view", "COPY", "ADD", "MUL"]

# How `gather`'s indexed and along-dim moves combine a value with its destination.
COPY, ADD, MUL = 0, 1, 2


class Backend:
    """The primitives a device implements. Operands are ``(storage, offset, strides)``
    triples in elements, already validated (every index in range) and broadcast."""

    # True when the "copy" kernel converts float16 to and from other dtypes (but bool); else
    # such casts go through NumPy on the host
    converts_half = False

    def allocate(self, n, np_dtype):
        """New storage of `n` uninitialised elements of `np_dtype`."""
        raise NotImplementedError

    def from_host(self, array):
        """New storage holding a copy of the 1-D host ndarray `array`."""
        raise NotImplementedError

    def constant(self, array):
        """A one-element storage holding the host ndarray `array`'s value, for reading only
        (a scalar operand): a backend whose copies to the device are costly may reuse one."""
        return self.from_host(array)

    def to_host(self, storage, start=0, stop=None):
        """Elements [start, stop) of `storage` (default: all) as a 1-D host ndarray (the CPU:
        its own memory)."""
        raise NotImplementedError

    def write_host(self, storage, array, start=0):
        """Copy the 1-D host ndarray `array` (of `storage`'s dtype) into `storage` from
        element `start` on."""
        raise NotImplementedError

    def reinterpret(self, storage, np_dtype):
        """The same memory as elements of `np_dtype` (of the same size): ``view(dtype)``."""
        raise NotImplementedError

    def elementwise(self, name, shape, numel, out, inputs):
        """Run element-wise kernel `name` over `shape` (see `backends.cpu.elementwise.run`)."""
        raise NotImplementedError

    def launch(self, family, kernel, *args):
        """Run `kernel` of the kernel family `family` ("reduce": reductions, arg-reductions
        and scans; "gather": indexed and masked copies, scatter, compress; "sortkeys":
        sorting) with `args`, storages among them; returns what the kernel returns."""
        raise NotImplementedError

    def gather(self, name, *args):
        """Indexed data movement (see `backends.cpu.gather`): "indexed" (x[idx] and x[idx] = v,
        index_put_, index_add_), "along_dim" (gather, scatter, take_along_dim),
        "compress" (masked_select: returns new storage of the selected elements),
        "masked_fill". Operands are ``(storage, offset, strides[, index])``."""
        raise NotImplementedError

    def matmul(self, x, y, out):
        """Batched matrix product ``out[i] = x[i] @ y[i]`` for every batch index i.

        Each operand is ``(storage, offset, shape, strides)``: `x` of shape (b, n, k), `y` of
        (b, k, p), `out` of (b, n, p), strides three ints in elements (a batch stride may be
        0: a broadcast operand). The three storages hold one dtype, the compute dtype:
        floats are multiplied and summed in it (float16 operands arrive as float32),
        integers exactly in their own width, wrapping around as NumPy's integer matmul;
        bool never arrives. `out` does not overlap `x` or `y`; a k of 0 writes zeros.

        This default fetches the three storages to the host (`to_host`), runs ``np.matmul``
        on strided views of them and writes `out`'s storage back (`write_host`): correct on
        any backend, and as slow as two round trips; a device backend overrides it.
        """
        views = []
        for storage, offset, shape, strides in (x, y):
            flat = self.to_host(storage)
            views.append(strided_view(flat, shape, strides, offset, flat.dtype))
        storage, offset, shape, strides = out
        flat = np.array(self.to_host(storage))  # a writable copy: to_host may return a view
        np.matmul(views[0], views[1], out=strided_view(flat, shape, strides, offset, flat.dtype))
        self.write_host(storage, flat)

    # Optional primitives: None where the backend has none, and the op then computes on
    # the host (its values fetched with `host_array`, the CPU's code, the result put back).
    #
    # sort_rows(src, rows, n, descending) -> (values, int64 indices): new storages with each
    # of the `rows` rows of `n` elements held row-major at the start of `src` sorted stably
    # (equal elements keep their order, also descending), NaN above every number, -0.0
    # equal to +0.0; indices within each row.
    sort_rows = None
    # scan_rows(name, src, outer, n, inner) -> storage, or (values, int64 indices) for
    # cummax/cummin: the inclusive scan `name` ("cumsum", "cumprod", "logcumsumexp",
    # "cummax", "cummin") along the middle axis of the contiguous (outer, n, inner) elements
    # at the start of `src`, as the CPU computes it (float32 accumulates in float64, float16
    # in float32, integers wrap in their dtype; NaN wins and sticks; ties take the later index).
    scan_rows = None
    # random_fill(storage, kind, a, b): fill the contiguous float32/float64 `storage` with
    # "uniform" samples in [a, b) or "normal" ones (mean a, standard deviation b) from the
    # device's own generator, seeded by `seed_devices`; manual_seed(seed) reseeds it.
    random_fill = None
    manual_seed = None

    def parallel(self, work):
        """True when a kernel over `work` elements should take its parallel variant."""
        return False

    def flat_kernel(self, name):
        """Fast entry for element-wise kernel `name` over contiguous runs, called as
        ``(out, out_offset, [storage, offset, step (0 or 1)]..., n, 1)``; None where the
        backend has none (callers then take `elementwise`)."""
        return None

    def whole_kernel(self, name):
        """`flat_kernel` over whole storages, called as ``(out, storage...)``: the output's
        storage is the result and each input's holds as many elements or one (read for
        every element); None where the backend has none."""
        return None

    def nchunks(self):
        """How many pieces a parallel kernel splits its work into."""
        return 1

    def address(self, storage):
        """The address of `storage`'s first byte (overlap checks, ``data_ptr``)."""
        raise NotImplementedError

    def may_share_memory(self, a, b):
        """True when storages `a` and `b` may overlap."""
        return a is b

    def is_writable(self, storage):
        return True

    def base_of(self, storage):
        """The storage whose memory `storage` reinterprets (``reinterpret``), or None."""
        return getattr(storage, "base", None)

    def share(self, storage):
        """A new storage holding `storage`'s elements in memory that processes forked from this
        one afterwards share with it (``share_memory_``)."""
        raise NotImplementedError(f"share_memory_: {type(self).__name__} has no memory shared between processes")

    def is_shared(self, storage):
        """True when `storage` lives in memory shared between processes (made by `share`)."""
        return False

    def pinned(self, n, np_dtype):
        """New storage of `n` elements in page-locked host memory (``pin_memory``): the CPU's;
        torch's RuntimeError where no GPU is available."""
        raise RuntimeError(f"cannot pin memory of {type(self).__name__}: only dense CPU tensors can be pinned")

    def is_pinned(self, storage):
        """True when `storage` lies in page-locked host memory (made by `pinned`)."""
        return False

    def allocator_references(self, buffer):
        """How many references the backend's allocator itself holds on `buffer` (a block it
        keeps for reuse while arrays view it); they do not count as sharing its memory."""
        return 0

    def empty_cache(self):
        """Free the memory the backend's allocator keeps for reuse (no tensor holds it)."""


_BACKENDS = {}        # device type -> backend
_STORAGE_TYPES = {}   # storage type -> device


def strided_view(flat, shape, strides, offset, np_dtype):
    """An ndarray over the 1-D host array `flat` with element `offset` and `strides`."""
    item = np_dtype.itemsize
    offset *= item
    if offset > flat.nbytes and 0 in shape:
        # An empty view may start past the end of its storage (narrow(0, n, 0) of a strided
        # view, as in torch); NumPy refuses such an offset, and it reads nothing.
        offset = flat.nbytes
    return np.ndarray(shape, np_dtype, flat, offset, tuple(s * item for s in strides))


def register(device_type, backend, storage_type, device=None):
    """Make `backend` hold the tensors of devices of `device_type`, in storages of
    `storage_type`; a storage's tensor reports `device` (default: ``device(device_type)``)."""
    register_device_type(device_type)
    _BACKENDS[device_type] = backend
    if device is None:
        device = CPU if device_type == "cpu" else _device_cls(device_type)
    _STORAGE_TYPES[storage_type] = device


_device_seed = [67280421310721]  # torch's default seed of a CUDA generator


def seed_devices(seed):
    """Seed the generator of every device that has one (now, and for a backend started
    later): ``nbtensor.manual_seed`` and ``nbtensor.cuda.manual_seed`` call it."""
    _device_seed[0] = int(seed)
    for backend in _BACKENDS.values():
        if backend.manual_seed is not None:
            backend.manual_seed(seed)


def device_seed():
    """The seed device generators start from."""
    return _device_seed[0]


def backend_for(device):
    """The backend of `device` (a `device`)."""
    try:
        return _BACKENDS[device.type]
    except KeyError:
        raise RuntimeError(f"no backend holds tensors on {device}") from None


def device_of(storage):
    """The device whose backend made `storage`."""
    if type(storage) is np.ndarray:
        return CPU
    return _STORAGE_TYPES[type(storage)]
