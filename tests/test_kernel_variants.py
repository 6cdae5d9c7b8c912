"""The lowered thresholds of tests/conftest.py (used by the ``kernel_variants`` tests) make
small tensors take the parallel and tiled element-wise kernels, and are undone afterwards.
If this fails after a change to the CPU engine, update SMALL_THRESHOLDS in conftest.py."""
import numpy as np
import pytest

import nbtensor as nb
from nbtensor.backends.cpu import elementwise as cpu_elementwise
from nbtensor.backends.cpu import tuning

pytestmark = pytest.mark.cpu_kernels  # the CPU's kernels themselves


def _spy_variants(monkeypatch):
    seen = []
    real = cpu_elementwise.kernel

    def kernel(op, variant):
        seen.append(variant)
        return real(op, variant)

    monkeypatch.setattr(cpu_elementwise, "kernel", kernel)
    return seen


def test_small_thresholds_reach_parallel_and_tiled_kernels(small_kernel_thresholds, monkeypatch):
    seen = _spy_variants(monkeypatch)
    a = np.arange(24.0).reshape(4, 6)
    t = nb.as_tensor(a)
    np.testing.assert_array_equal((t + 1).cpu().numpy(), a + 1)
    assert "_flat_par" in seen
    # a transposed operand strides the inner loop: the N-d kernel walks it in tiles
    shape_arr, _, row_block, col_block = cpu_elementwise._layout((6, 4), ((4, 1), (1, 6)))[:4]
    assert (row_block, col_block) == (tuning.TILE, tuning.TILE) and tuning.TILE < shape_arr[-1]
    np.testing.assert_array_equal(t.t().contiguous().cpu().numpy(), a.T)
    assert "_nd_par" in seen


def test_default_thresholds_keep_small_tensors_serial(monkeypatch):
    seen = _spy_variants(monkeypatch)
    a = np.arange(24.0).reshape(2, 3, 4)
    t = nb.as_tensor(a)
    np.testing.assert_array_equal(t[0].t().contiguous().cpu().numpy(), a[0].T)  # 2-D
    np.testing.assert_array_equal(t.permute(2, 1, 0).contiguous().cpu().numpy(), a.transpose(2, 1, 0))  # N-d
    assert seen == ["_2d", "_nd"]
    _, _, row_block, col_block = cpu_elementwise._layout((6, 4), ((4, 1), (1, 6)))[:4]
    assert (row_block, col_block) == (tuning.ROW_BLOCK, 4)  # 4 columns: no tiling by default
