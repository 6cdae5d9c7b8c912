"""The CUDA device model: devices, moves between host and GPU, torch's errors, printing, the
caching allocator's counters, and the D2L "tensors on the GPU" section. Runs where a GPU is
available, or in Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1); the CPU-only run checks
the no-GPU errors in tests/test_creation.py instead."""
import numpy as np
import pytest

import nbtensor as torch
from nbtensor.backends.cuda import runtime

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU and not in the CUDA simulator")


def test_availability_and_names():
    assert torch.cuda.is_available() and torch.cuda.device_count() >= 1
    assert torch.cuda.current_device() == 0
    assert isinstance(torch.cuda.get_device_name(), str) and torch.cuda.get_device_name(0)
    torch.cuda.set_device(0)
    torch.cuda.synchronize()
    assert torch.cuda.is_initialized()
    props = torch.cuda.get_device_properties(0)
    assert props.name == torch.cuda.get_device_name(0)
    assert (props.major, props.minor) == torch.cuda.get_device_capability(0)
    assert props.multi_processor_count >= 1 and repr(props).startswith("_CudaDeviceProperties(name=")
    free, total = torch.cuda.mem_get_info()
    assert 0 <= free <= total and props.total_memory == total
    assert torch.cuda.is_bf16_supported() is False
    with torch.cuda.device(0), torch.cuda.device_of(torch.ones(2, device="cuda")), torch.cuda.device(None):
        assert torch.cuda.current_device() == 0
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        with torch.cuda.device(7):
            pass


def test_cuda_means_cuda_0_and_moves_both_ways():
    x = torch.arange(6, dtype=torch.float32, device="cpu").view(2, 3)
    g = x.cuda()
    assert g.device == torch.device("cuda", 0) and g.is_cuda and not g.is_cpu
    assert str(g.device) == "cuda:0" and g.device != torch.device("cuda")  # torch: cuda:0 != cuda
    assert g.to("cuda") is g and g.cuda() is g and g.to(torch.device("cuda:0")) is g
    back = g.cpu()
    assert back.device == torch.device("cpu")
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    wide = g.to("cpu", torch.float64)
    assert wide.dtype is torch.float64 and wide.device.type == "cpu"
    np.testing.assert_array_equal(wide.numpy(), x.numpy().astype(np.float64))
    other = torch.zeros(1, dtype=torch.int64, device="cuda")
    like = x.to(other)
    assert like.device == other.device and like.dtype is torch.int64
    assert x.to("cuda", non_blocking=True).device.type == "cuda"
    assert x.cuda(0).device == torch.device("cuda:0")
    # a non-contiguous view moves with its values
    np.testing.assert_array_equal(x.t().cuda().cpu().numpy(), x.numpy().T)


@pytest.mark.parametrize("make", [
    lambda d: torch.zeros(2, 3, device=d), lambda d: torch.ones(4, dtype=torch.int32, device=d),
    lambda d: torch.full((2,), 7.5, device=d), lambda d: torch.arange(5, device=d),
    lambda d: torch.tensor([[1, 2], [3, 4]], device=d), lambda d: torch.eye(3, device=d),
    lambda d: torch.rand(3, device=d), lambda d: torch.empty(2, device=d),
    lambda d: torch.linspace(0, 1, 5, device=d), lambda d: torch.randn(2, 2, device=d)])
def test_creators_take_device(make):
    t = make("cuda")
    assert t.device == torch.device("cuda:0")
    if t.dtype.is_floating_point and not t.numel() == 0:
        t.cpu().numpy()  # readable


def test_mixing_devices_raises_except_cpu_scalars():
    g = torch.ones(3, device="cuda")
    c = torch.ones(3, device="cpu")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but found at least "
                                           "two devices, cpu and cuda:0!"):
        g + c
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        torch.mm(torch.ones(2, 2, device="cuda"), torch.ones(2, 2, device="cpu"))
    # torch lets a 0-d CPU tensor and a Python number join a GPU op
    r = g + torch.tensor(2.0, device="cpu")
    assert r.device.type == "cuda"
    np.testing.assert_array_equal((g * 3).cpu().numpy(), [3, 3, 3])
    np.testing.assert_array_equal(r.cpu().numpy(), [3, 3, 3])


def test_bad_devices():
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        torch.ones(2, device="cuda:7")
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        torch.ones(2, device="gpu")
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        torch.cuda.get_device_name(7)


def test_numpy_refuses_and_item_tolist_copy():
    g = torch.tensor([[1.5, 2.0], [3.0, 4.0]], device="cuda")
    with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu\(\) "
                                        "to copy the tensor to host memory first."):
        g.numpy()
    assert g[0, 0].item() == 1.5
    assert g.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert bool(g[1, 1] > 3) is True
    assert float(g.sum()) == 10.5


def test_printing_names_the_device():
    assert repr(torch.tensor([1.5], device="cuda")) == "tensor([1.5000], device='cuda:0')"
    assert repr(torch.tensor(3, device="cuda")) == "tensor(3, device='cuda:0')"
    assert repr(torch.zeros(0, 2, dtype=torch.int64, device="cuda")) == (
        "tensor([], device='cuda:0', size=(0, 2), dtype=torch.int64)".replace("torch.", "nbtensor."))


def test_allocator_counts_reuses_and_empties():
    torch.cuda.empty_cache()
    base_alloc = torch.cuda.memory_allocated()
    x = torch.empty(1000, device="cuda")  # 4000 bytes -> a 4096-byte block
    assert torch.cuda.memory_allocated() == base_alloc + 4096
    reserved = torch.cuda.memory_reserved()
    assert reserved >= torch.cuda.memory_allocated()
    assert torch.cuda.max_memory_allocated() >= base_alloc + 4096
    del x
    assert torch.cuda.memory_allocated() == base_alloc
    assert torch.cuda.memory_reserved() == reserved  # pooled, not freed
    y = torch.empty(1000, device="cuda")  # the same block again: nothing new reserved
    assert torch.cuda.memory_reserved() == reserved
    del y
    torch.cuda.empty_cache()
    assert torch.cuda.memory_reserved() == reserved - 4096
    torch.cuda.reset_peak_memory_stats()
    assert torch.cuda.max_memory_allocated() == torch.cuda.memory_allocated()


def test_block_sizes():
    from nbtensor.backends.cuda.allocator import block_size
    assert block_size(0) == 512 and block_size(1) == 512 and block_size(513) == 1024
    assert block_size(1 << 20) == 1 << 20
    big = (1 << 24) + 1
    assert big <= block_size(big) <= big * 1.25 + 512  # quarter-octave bins: under 25% spare


def test_a_dead_tensors_view_keeps_its_block():
    x = torch.arange(8, dtype=torch.int32, device="cuda")
    v = x.view(torch.float32)  # reinterprets x's memory: a storage over x's block
    bits = v.view(torch.int32)
    del x, v
    fresh = torch.full((8,), -1, dtype=torch.int32, device="cuda")  # must not take the block
    assert bits.cpu().tolist() == list(range(8))
    assert fresh.cpu().tolist() == [-1] * 8


def test_out_of_memory_frees_the_cache_then_raises(monkeypatch):
    backend = torch.cuda._backend()
    cuda = runtime.cuda()
    calls = []

    def failing(size, dtype):
        calls.append(size)
        raise MemoryError("out of memory (simulated)")

    torch.empty(4096, device="cuda")  # leaves a pooled block of 16384 bytes that the retry frees
    allocated, reserved = backend.allocator.allocated, backend.allocator.reserved
    assert reserved - allocated >= 16384
    monkeypatch.setattr(cuda, "device_array", failing)
    with pytest.raises(torch.cuda.OutOfMemoryError, match=r"CUDA out of memory. Tried to allocate 1.00 GiB"):
        torch.empty(1 << 28, device="cuda")
    assert issubclass(torch.cuda.OutOfMemoryError, RuntimeError)
    assert calls == [1 << 30, 1 << 30]  # tried, emptied the cache, tried again
    # the failed request is not counted, and the pool went back to the driver
    assert backend.allocator.allocated == allocated
    assert backend.allocator.reserved == allocated and not any(backend.allocator._pool.values())


def test_d2l_tensors_on_the_gpu():
    # D2L 6.7 (GPUs), as the book writes it
    def try_gpu(i=0):
        if torch.cuda.device_count() >= i + 1:
            return torch.device(f"cuda:{i}")
        return torch.device("cpu")

    def try_all_gpus():
        return [torch.device(f"cuda:{i}") for i in range(torch.cuda.device_count())]

    assert try_gpu() == torch.device("cuda:0") and try_gpu(10) == torch.device("cpu")
    assert try_all_gpus()[0] == torch.device("cuda:0")
    x = torch.tensor([1, 2, 3], device="cpu")  # (the suite may run with cuda as the default)
    assert x.device == torch.device("cpu")
    X = torch.ones(2, 3, device=try_gpu())
    assert repr(X) == "tensor([[1., 1., 1.],\n        [1., 1., 1.]], device='cuda:0')"
    Y = torch.rand(2, 3, device=try_gpu(10))  # no such GPU: on the CPU
    Z = X.cuda(0)
    assert Z.cuda(0) is Z
    np.testing.assert_allclose((Y.to(Z.device) + Z).cpu().numpy(), Y.numpy() + 1, rtol=1e-6)
    net = torch.nn.Sequential(torch.nn.Linear(3, 1))
    net = net.to(device=try_gpu())
    out = net(X)
    assert out.device == torch.device("cuda:0") and out.shape == (2, 1)
    assert net[0].weight.data.device == torch.device("cuda:0")
    w, b = net[0].weight.detach().cpu().numpy(), net[0].bias.detach().cpu().numpy()
    np.testing.assert_allclose(out.detach().cpu().numpy(), np.ones((2, 3)) @ w.T + b, rtol=1e-5)


def test_gpu_random_fills_are_seeded_and_distributed():
    torch.manual_seed(3)
    a = torch.rand(1000, device="cuda")
    n = torch.randn(2000, device="cuda", dtype=torch.float64)
    torch.manual_seed(3)
    assert torch.equal(torch.rand(1000, device="cuda"), a)  # the seed gives the same draws again
    torch.cuda.manual_seed(3)
    assert torch.equal(torch.rand(1000, device="cuda"), a)
    assert torch.cuda.initial_seed() == 3
    values = a.cpu().numpy()
    assert values.dtype == np.float32 and 0 <= values.min() and values.max() < 1
    assert abs(values.mean() - 0.5) < 0.05 and abs(values.std() - 12 ** -0.5) < 0.03
    normal = n.cpu().numpy()
    assert normal.dtype == np.float64 and abs(normal.mean()) < 0.1 and abs(normal.std() - 1) < 0.1
    u = torch.empty(3, 400, device="cuda").t().uniform_(-2, 3)  # a transposed view is filled too
    assert -2 <= u.min().item() and u.max().item() < 3
    g = torch.empty(1500, dtype=torch.float16, device="cuda").normal_(4.0, 0.5)
    assert g.dtype is torch.float16 and abs(g.float().mean().item() - 4) < 0.1
    # an explicit generator draws on the host, as on the CPU: the same values on both devices
    cpu = torch.rand(5, generator=torch.Generator().manual_seed(9), device="cpu")
    gpu = torch.rand(5, generator=torch.Generator().manual_seed(9), device="cuda")
    np.testing.assert_array_equal(gpu.cpu().numpy(), cpu.numpy())
