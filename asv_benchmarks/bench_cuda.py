"""GPU workloads side by side: nbtensor on CUDA, CuPy and PyTorch CUDA (each skipped where it
or a GPU is missing: asv skips a benchmark whose setup raises NotImplementedError). Every
timed call ends with the library's synchronize, so kernels are timed, not their launch."""
import numpy as np

GPU_BACKENDS = ["nbtensor", "cupy", "torch"]


def _gpu(backend):
    """(module, to_device(ndarray), synchronize) for `backend`; NotImplementedError without
    it or a GPU (under Numba's simulator too: its timings mean nothing)."""
    if backend == "nbtensor":
        import nbtensor
        from nbtensor.backends.cuda import runtime
        if not nbtensor.cuda.is_available() or runtime.simulated():
            raise NotImplementedError("no GPU")
        return nbtensor, lambda a: nbtensor.tensor(a, device="cuda"), nbtensor.cuda.synchronize
    if backend == "cupy":
        try:
            import cupy
            cupy.cuda.runtime.getDeviceCount()
        except Exception:
            raise NotImplementedError("CuPy or a GPU is missing") from None
        return cupy, cupy.asarray, cupy.cuda.Device().synchronize
    try:
        import torch
    except ImportError:
        raise NotImplementedError("torch is not installed") from None
    if not torch.cuda.is_available():
        raise NotImplementedError("no GPU for torch")
    return torch, lambda a: torch.as_tensor(a, device="cuda"), torch.cuda.synchronize


class Elementwise:
    """a + b of 10^8 float32, a column broadcast over 8192^2, and x.t() + y."""
    params = [GPU_BACKENDS]
    param_names = ["backend"]
    timeout = 300

    def setup(self, backend):
        _, dev, self.sync = _gpu(backend)
        rng = np.random.default_rng(0)
        self.a = dev(rng.random(100_000_000, dtype=np.float32))
        self.m = dev(rng.random((8192, 8192), dtype=np.float32))
        self.c = dev(rng.random((8192, 1), dtype=np.float32))
        self.time_add()
        self.time_transposed_add()

    def time_add(self, *_):
        self.a + self.a
        self.sync()

    def time_add_column(self, *_):
        self.m + self.c
        self.sync()

    def time_transposed_add(self, *_):
        self.m.T + self.m
        self.sync()


class Reductions:
    """Sums of 8192^2 float32 over each dim and over everything."""
    params = [GPU_BACKENDS, [0, 1, None]]
    param_names = ["backend", "dim"]
    timeout = 300

    def setup(self, backend, dim):
        self.backend = backend
        _, dev, self.sync = _gpu(backend)
        self.m = dev(np.random.default_rng(0).random((8192, 8192), dtype=np.float32))
        self.time_sum(backend, dim)

    def time_sum(self, backend, dim):
        if dim is None:
            self.m.sum()
        elif backend == "cupy":
            self.m.sum(axis=dim)
        else:
            self.m.sum(dim=dim)
        self.sync()


class MatMul:
    """mm of 4096^2 float32 (cuBLAS, or nbtensor's Numba kernel without CuPy)."""
    params = [GPU_BACKENDS]
    param_names = ["backend"]
    timeout = 300

    def setup(self, backend):
        _, dev, self.sync = _gpu(backend)
        rng = np.random.default_rng(0)
        self.a, self.b = dev(rng.random((4096, 4096), dtype=np.float32)), dev(rng.random((4096, 4096), dtype=np.float32))
        self.time_mm()

    def time_mm(self, *_):
        self.a @ self.b
        self.sync()


class TinyAdd:
    """The per-op cost of a 3-element add (launch and dispatch)."""
    params = [GPU_BACKENDS]
    param_names = ["backend"]

    def setup(self, backend):
        _, dev, self.sync = _gpu(backend)
        self.a = dev(np.ones(3, np.float32))
        self.time_add()

    def time_add(self, *_):
        self.a + self.a
        self.sync()
