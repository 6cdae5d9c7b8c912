"""Linear algebra side by side: nbtensor, NumPy, PyTorch (matrix products, inverse, SVD)."""
import numpy as np

from ._backends import BACKENDS, array, load


def _rand(backend, shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return array(backend, rng.standard_normal(shape).astype(dtype))


def _t(backend, x):
    """The transpose of the last two dimensions (a view in every backend)."""
    return np.swapaxes(x, -1, -2) if backend == "numpy" else x.transpose(-1, -2)


class MM:
    """Square matrix product (n x n) @ (n x n)."""
    params = [BACKENDS, [64, 256, 1024, 2048], ["float32", "float64"]]
    param_names = ["backend", "n", "dtype"]
    timeout = 120

    def setup(self, backend, n, dtype):
        mod = load(backend)
        self.a, self.b = _rand(backend, (n, n), dtype, 0), _rand(backend, (n, n), dtype, 1)
        self.mm = mod.matmul if backend == "numpy" else mod.mm
        self.mm(self.a, self.b)

    def time_mm(self, backend, n, dtype):
        self.mm(self.a, self.b)


class BMM:
    """Batched product of many small matrices: 64 x (64 x 64) @ 64 x (64 x 64)."""
    params = [BACKENDS, ["float32", "float64"]]
    param_names = ["backend", "dtype"]

    def setup(self, backend, dtype):
        mod = load(backend)
        self.a, self.b = _rand(backend, (64, 64, 64), dtype, 0), _rand(backend, (64, 64, 64), dtype, 1)
        self.bmm = mod.matmul if backend == "numpy" else mod.bmm
        self.bmm(self.a, self.b)

    def time_bmm(self, backend, dtype):
        self.bmm(self.a, self.b)


class MatmulTransposed:
    """``a @ b.T`` with a transposed (column-major) view as the right operand."""
    params = [BACKENDS, [256, 1024], ["float32"]]
    param_names = ["backend", "n", "dtype"]

    def setup(self, backend, n, dtype):
        load(backend)
        self.a, self.b = _rand(backend, (n, n), dtype, 0), _rand(backend, (n, n), dtype, 1)
        self.bt = _t(backend, self.b)
        self.a @ self.bt

    def time_matmul_transposed(self, backend, n, dtype):
        self.a @ self.bt


class Decompositions:
    """inverse and SVD of a 256 x 256 matrix."""
    params = [BACKENDS, ["float32", "float64"]]
    param_names = ["backend", "dtype"]

    def setup(self, backend, dtype):
        self.mod = load(backend)
        rng = np.random.default_rng(0)
        a = rng.standard_normal((256, 256)) + 16 * np.eye(256)
        self.a = array(backend, a.astype(dtype))
        self.mod.linalg.inv(self.a)
        self.mod.linalg.svd(self.a)

    def time_inverse(self, backend, dtype):
        self.mod.linalg.inv(self.a)

    def time_svd(self, backend, dtype):
        self.mod.linalg.svd(self.a)
