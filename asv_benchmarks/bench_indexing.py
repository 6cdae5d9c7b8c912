"""Advanced indexing, selection, joining and sorting at 10^6 float32 elements, side by side:
nbtensor, NumPy (x[mask], take_along_axis, take, concatenate, sort) and PyTorch."""
import numpy as np

from ._backends import BACKENDS, array, load

N = 10 ** 6
SIDE = 1000


class Indexing:
    """x[mask], gather along dim 1, index_select (1-D and rows), cat, sort."""
    params = [BACKENDS]
    param_names = ["backend"]

    def setup(self, backend):
        self.mod = mod = load(backend)
        rng = np.random.default_rng(0)
        x = rng.random(N, dtype=np.float32)
        x2 = rng.random((SIDE, SIDE), dtype=np.float32)
        self.x, self.x2 = array(backend, x), array(backend, x2)
        self.mask = array(backend, rng.random(N) < 0.5)
        self.gidx = array(backend, rng.integers(0, SIDE, (SIDE, SIDE)))
        self.sidx = array(backend, rng.integers(0, N, N))
        self.ridx = array(backend, rng.integers(0, SIDE, SIDE))
        self.halves = [array(backend, x[:N // 2]), array(backend, x[N // 2:])]
        self.x64 = array(backend, x.astype(np.float64))
        if backend == "numpy":
            self.ops = {
                "mask": lambda: self.x[self.mask],
                "gather": lambda: np.take_along_axis(self.x2, self.gidx, 1),
                "index_select": lambda: np.take(self.x, self.sidx),
                "index_select_rows": lambda: np.take(self.x2, self.ridx, axis=0),
                "cat": lambda: np.concatenate(self.halves),
                "cat_dim1": lambda: np.concatenate([self.x2, self.x2], 1),
                "sort": lambda: np.sort(self.x),
                "sort_float64": lambda: np.sort(self.x64),
            }
        else:
            self.ops = {
                "mask": lambda: self.x[self.mask],
                "gather": lambda: mod.gather(self.x2, 1, self.gidx),
                "index_select": lambda: mod.index_select(self.x, 0, self.sidx),
                "index_select_rows": lambda: mod.index_select(self.x2, 0, self.ridx),
                "cat": lambda: mod.cat(self.halves),
                "cat_dim1": lambda: mod.cat([self.x2, self.x2], 1),
                "sort": lambda: mod.sort(self.x),
                "sort_float64": lambda: mod.sort(self.x64),
            }
        for op in self.ops.values():  # compile / load the kernels outside the timing
            op()

    def time_mask(self, backend):
        self.ops["mask"]()

    def time_gather(self, backend):
        self.ops["gather"]()

    def time_index_select(self, backend):
        self.ops["index_select"]()

    def time_index_select_rows(self, backend):
        self.ops["index_select_rows"]()

    def time_cat(self, backend):
        self.ops["cat"]()

    def time_cat_dim1(self, backend):
        self.ops["cat_dim1"]()

    def time_sort(self, backend):
        self.ops["sort"]()

    def time_sort_float64(self, backend):
        self.ops["sort_float64"]()
