"""Sharing GPU memory with other libraries, without copies: ``__cuda_array_interface__`` (v3),
DLPack (``__dlpack__``/``__dlpack_device__``, ``from_dlpack``) with CuPy and PyTorch CUDA
tensors. The descriptor tests run in the CUDA simulator too; the exchanges need a real GPU
and the other library."""
import numpy as np
import pytest

import nbtensor as torch
from nbtensor.backends.cuda import runtime

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU and not in the CUDA simulator")

real_gpu = pytest.mark.skipif(torch.cuda.is_available() and runtime.simulated(),
                              reason="exchanging memory needs a real GPU")


def test_interface_describes_views():
    x = torch.arange(24, dtype=torch.float32, device="cuda").view(2, 3, 4)
    cai = x.__cuda_array_interface__
    assert cai["version"] == 3 and cai["shape"] == (2, 3, 4) and cai["typestr"] == "<f4"
    assert cai["strides"] is None and cai["data"] == (x.data_ptr(), False)
    v = x[1, :, 1:3].t()
    cai = v.__cuda_array_interface__
    assert cai["shape"] == (2, 3) and cai["strides"] == (4, 16)
    assert cai["data"][0] == x.data_ptr() + (12 + 1) * 4 == v.data_ptr()
    assert torch.zeros(2, dtype=torch.int64, device="cuda").__cuda_array_interface__["typestr"] == "<i8"
    assert x.__dlpack_device__() == (2, 0)


def test_only_gpu_tensors_have_it():
    assert not hasattr(torch.ones(2, device="cpu"), "__cuda_array_interface__")
    assert torch.ones(2, device="cpu").__dlpack_device__() == (1, 0)
    with pytest.raises(RuntimeError, match="requires grad"):
        _ = torch.ones(2, device="cuda", requires_grad=True).__cuda_array_interface__


@real_gpu
def test_cupy_both_ways_share_memory():
    cupy = pytest.importorskip("cupy")
    a = cupy.arange(12, dtype=cupy.float32).reshape(3, 4)
    t = torch.from_dlpack(a)
    assert t.device == torch.device("cuda:0") and t.shape == (3, 4)
    t += 1
    np.testing.assert_array_equal(cupy.asnumpy(a), np.arange(12, dtype=np.float32).reshape(3, 4) + 1)
    rev = torch.from_dlpack(a[::-1, ::2])  # negative and gapped strides
    np.testing.assert_array_equal(rev.cpu().numpy(), cupy.asnumpy(a[::-1, ::2]))
    back = cupy.asarray(t.t())  # through __cuda_array_interface__
    back[0, 0] = -5
    assert t[0, 0].item() == -5
    via_dlpack = cupy.from_dlpack(t)
    assert via_dlpack.data.ptr == t.data_ptr()


@real_gpu
def test_torch_cuda_tensors_share_memory():
    real = pytest.importorskip("torch")
    if not real.cuda.is_available():
        pytest.skip("PyTorch without CUDA")
    r = real.arange(6, dtype=real.float64, device="cuda").view(2, 3)
    t = torch.from_dlpack(r)
    assert t.dtype is torch.float64 and t.data_ptr() == r.data_ptr()
    t.mul_(2)
    assert r.tolist() == [[0, 2, 4], [6, 8, 10]]
    r2 = real.as_tensor(t, device="cuda")  # PyTorch reads __cuda_array_interface__
    assert r2.data_ptr() == t.data_ptr()
