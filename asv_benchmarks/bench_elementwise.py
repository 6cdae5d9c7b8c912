"""Element-wise ops and reductions, side by side: nbtensor, NumPy, PyTorch."""
import numpy as np

from ._backends import BACKENDS, array, load


class SmallAdd:
    """Per-op cost: 3x3 float32 a + b."""
    params = [BACKENDS]
    param_names = ["backend"]

    def setup(self, backend):
        load(backend)
        rng = np.random.default_rng(0)
        self.a = array(backend, rng.random((3, 3), dtype=np.float32))
        self.b = array(backend, rng.random((3, 3), dtype=np.float32))
        self.a + self.b

    def time_add(self, backend):
        self.a + self.b


class Large:
    """10^7 float32: add, exp, full sum."""
    params = [BACKENDS]
    param_names = ["backend"]

    def setup(self, backend):
        self.mod = load(backend)
        rng = np.random.default_rng(0)
        self.a = array(backend, rng.random(10 ** 7, dtype=np.float32))
        self.b = array(backend, rng.random(10 ** 7, dtype=np.float32))
        self.a + self.b
        self.mod.exp(self.a)
        self.a.sum()

    def time_add(self, backend):
        self.a + self.b

    def time_exp(self, backend):
        self.mod.exp(self.a)

    def time_sum(self, backend):
        self.a.sum()


class Matrix:
    """4096x4096 float32: broadcasting, transposed operands, axis sums."""
    params = [BACKENDS]
    param_names = ["backend"]

    def setup(self, backend):
        load(backend)
        rng = np.random.default_rng(0)
        self.x = array(backend, rng.random((4096, 4096), dtype=np.float32))
        self.y = array(backend, rng.random((4096, 4096), dtype=np.float32))
        self.col = array(backend, rng.random((4096, 1), dtype=np.float32))
        self.row = array(backend, rng.random((1, 4096), dtype=np.float32))
        self.xt = self.x.T if backend == "numpy" else self.x.t()
        for f in (self.time_add_column, self.time_add_row, self.time_transposed_add,
                  self.time_transpose_contiguous, self.time_sum_dim0, self.time_sum_dim1):
            f(backend)

    def time_add_column(self, backend):
        self.x + self.col

    def time_add_row(self, backend):
        self.x + self.row

    def time_transposed_add(self, backend):
        self.xt + self.y

    def time_transpose_contiguous(self, backend):
        if backend == "numpy":
            np.ascontiguousarray(self.xt)
        else:
            self.xt.contiguous()

    def time_sum_dim0(self, backend):
        self.x.sum(0)

    def time_sum_dim1(self, backend):
        self.x.sum(1)
