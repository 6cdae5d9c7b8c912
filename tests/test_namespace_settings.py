"""torch's process-wide settings (threads, determinism, matmul precision) and the functions
its namespace shares with torch.nn.functional."""
import numpy as np
import pytest

import nbtensor as nb
from nbtensor.backends.cpu import tuning

try:
    import torch
except ImportError:  # the parity checks run where torch is installed
    torch = None


@pytest.fixture
def restore_threads():
    threads, threshold = nb.get_num_threads(), tuning.PARALLEL_THRESHOLD
    yield
    nb.set_num_threads(threads)
    assert tuning.PARALLEL_THRESHOLD == threshold


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
def test_one_thread_runs_every_kernel_serially(restore_threads):
    x = nb.rand(300_000)
    nb.set_num_threads(1)
    assert nb.get_num_threads() == 1 and tuning.PARALLEL_THRESHOLD == tuning.SERIAL
    np.testing.assert_allclose(x.exp().cpu().numpy(), np.exp(x.cpu().numpy()), rtol=1e-6)
    nb.set_num_threads(2)
    assert nb.get_num_threads() == 2 and tuning.PARALLEL_THRESHOLD != tuning.SERIAL
    nb.set_num_threads(512)
    assert nb.get_num_threads() == 512  # (torch reports what was asked)
    np.testing.assert_allclose(x.sum().item(), x.cpu().numpy().astype(np.float64).sum(), rtol=1e-5)


@pytest.mark.parametrize("value, message", [(0, "set_num_threads expects a positive integer"),
                                            (-1, "set_num_threads expects a positive integer"),
                                            (2.5, "set_num_threads expects an int, but got float")])
def test_set_num_threads_bad_input(value, message):
    with pytest.raises(RuntimeError, match=message):
        nb.set_num_threads(value)


def test_deterministic_switches_report_what_was_asked():
    try:
        assert not nb.are_deterministic_algorithms_enabled()
        nb.use_deterministic_algorithms(True, warn_only=True)
        assert nb.are_deterministic_algorithms_enabled() and nb.is_deterministic_algorithms_warn_only_enabled()
        assert nb.get_deterministic_debug_mode() == 1
        nb.set_deterministic_debug_mode("error")
        assert nb.get_deterministic_debug_mode() == 2 and not nb.is_deterministic_algorithms_warn_only_enabled()
        with pytest.raises(RuntimeError, match="expected one of `default`, `warn`, `error`, but got x"):
            nb.set_deterministic_debug_mode("x")
        with pytest.raises(RuntimeError, match="expected 0, 1, or 2, but got 5"):
            nb.set_deterministic_debug_mode(5)
        with pytest.raises(TypeError, match="debug_mode must be str or int"):
            nb.set_deterministic_debug_mode(2.5)
    finally:
        nb.set_deterministic_debug_mode(0)
    assert not nb.are_deterministic_algorithms_enabled() and nb.get_deterministic_debug_mode() == 0


def test_float32_matmul_precision():
    try:
        assert nb.get_float32_matmul_precision() == "highest"
        nb.set_float32_matmul_precision("medium")
        assert nb.get_float32_matmul_precision() == "medium"
        with pytest.warns(UserWarning, match="low is not one of 'highest', 'high', or 'medium'"):
            nb.set_float32_matmul_precision("low")
        assert nb.get_float32_matmul_precision() == "medium"
    finally:
        nb.set_float32_matmul_precision("highest")


def test_namespace_forms_of_functional():
    x = nb.tensor([[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]]])
    np.testing.assert_array_equal(nb.max_pool1d(x, 2).cpu().numpy(), [[[1.0, 3.0], [5.0, 7.0]]])
    np.testing.assert_array_equal(nb.threshold(x, 3.0, -1.0).cpu().numpy(), np.where(x.cpu().numpy() > 3, x.cpu().numpy(), -1.0))
    np.testing.assert_allclose(nb.pdist(nb.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])).cpu().numpy(), [5.0, 10.0, 5.0])
    assert nb.dropout(x, 0.5, False) is not None and np.array_equal(nb.dropout(x, 0.5, False).cpu().numpy(), x.cpu().numpy())
    y = nb.ones(4)
    assert nb.dropout_(y, 0.0, True) is y
    with pytest.raises(TypeError):
        nb.dropout(x, 0.5)  # (torch's namespace form requires `train`)
    assert not nb.detach(nb.ones(1, requires_grad=True)).requires_grad
    assert nb.is_complex(nb.ones(1)) is False


@pytest.mark.skipif(torch is None, reason="needs torch")
def test_namespace_forms_of_functional_match_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 8)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3)).astype(np.float32)
    for lib in (nb, torch):
        lib_x, lib_w = lib.tensor(x), lib.tensor(w)
        got = [lib.conv1d(lib_x, lib_w, None, 1, 1), lib.layer_norm(lib_x, (8,)), lib.selu(lib_x),
               lib.celu(lib_x, 0.5), lib.hardshrink(lib_x, 0.3), lib.cosine_similarity(lib_x, lib_x + 1, 2),
               lib.avg_pool1d(lib_x, 2), lib.adaptive_avg_pool1d(lib_x, 3), lib.group_norm(lib_x, 3)]
        if lib is nb:
            mine = [g.cpu().numpy() for g in got]
        else:
            for a, b in zip(mine, got):
                np.testing.assert_allclose(a, b.cpu().numpy(), rtol=1e-5, atol=1e-5)
