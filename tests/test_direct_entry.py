"""The CPU fast paths call kernels by their compiled entry points (backends/cpu/direct.py):
the entry must be the kernel's own code for those types, refuse what it cannot take, and
the storages it is given must be what it assumes (1-D, C-contiguous)."""
import mmap

import numpy as np
import pytest

import nbtensor as torch
from nbtensor.backends.cpu import direct

pytestmark = pytest.mark.cpu_only

numba = pytest.importorskip("numba")


@numba.njit(cache=False)
def _scaled_sum(out, x, offset, n, scale):
    total = 0.0
    for i in range(n):
        total += x[offset + i]
    out[0] = total * scale


def test_entry_point_computes_what_the_dispatcher_does():
    x = np.arange(10, dtype=np.float32)
    out, expected = np.zeros(1, np.float64), np.zeros(1, np.float64)
    _scaled_sum(expected, x, 2, 5, 0.5)
    entry = direct.entry_for(_scaled_sum, (out, x, 2, 5, 0.5))
    assert entry is not _scaled_sum
    entry(out, x, 2, 5, 0.5)
    assert out[0] == expected[0] == (2 + 3 + 4 + 5 + 6) * 0.5


def test_entry_point_refuses_another_dtype():
    x = np.arange(4, dtype=np.float32)
    entry = direct.entry_for(_scaled_sum, (np.zeros(1), x, 0, 4, 1.0))
    with pytest.raises(TypeError):
        entry(np.zeros(1), np.arange(4, dtype=np.float64), 0, 4, 1.0)


@pytest.mark.parametrize("odd", [np.zeros((2, 2)), np.zeros(8)[::2], [1.0], True, np.int64(3)])
def test_other_arguments_keep_the_dispatcher(odd):
    args = [np.zeros(1), np.zeros(4, np.float32), 0, 4, 1.0]
    args[1 if isinstance(odd, (np.ndarray, list)) else 2] = odd
    assert direct.entry_for(_scaled_sum, tuple(args)) is _scaled_sum


def test_a_slot_binds_on_its_first_call_and_keeps_the_entry():
    slots = [None]
    slots[0] = direct.bind_on_first_call(slots, 0, _scaled_sum)
    x = np.arange(4, dtype=np.float32)
    out = np.zeros(1)
    slots[0](out, x, 0, 4, 2.0)
    assert out[0] == 12.0
    bound = slots[0]
    assert bound is not _scaled_sum and getattr(bound, "__name__", "") != "first_call"
    bound(out, x, 1, 3, 1.0)
    assert out[0] == 6.0
    assert slots[0] is bound


def _storages():
    """Tensors made every way a storage can come from outside nbtensor."""
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    readonly = np.arange(6, dtype=np.float64)
    readonly.flags.writeable = False
    buffer = mmap.mmap(-1, 64)
    from_readonly = torch.from_numpy(readonly)
    made = [torch.from_numpy(base), torch.from_numpy(base[:, ::2]), torch.from_numpy(base.T),
            torch.from_numpy(base[1:3, 2:5]), torch.as_tensor(base[::-1].copy()), from_readonly,
            torch.frombuffer(bytearray(40), dtype=torch.float32, offset=4), torch.frombuffer(buffer, dtype=torch.int64),
            torch.from_dlpack(np.arange(5.0)), torch.tensor([[1, 2], [3, 4]]), torch.ones(3, 3).t(),
            torch.arange(10.0)[::3], torch.zeros(2, 3).expand(4, 2, 3)]
    shared = torch.ones(4)
    shared.share_memory_()
    return made + [shared]


def test_every_storage_is_one_dimensional_and_contiguous():
    for t in _storages():
        storage = t._storage
        assert type(storage) is np.ndarray
        assert storage.ndim == 1 and storage.flags.c_contiguous, (t.shape, storage.shape, storage.strides)


def test_fast_paths_on_outside_storages_match_numpy():
    for t in _storages():
        if not t.dtype.is_floating_point:
            continue
        expected = t.numpy().astype(np.float64)
        np.testing.assert_allclose((t + t).numpy(), expected * 2, rtol=1e-6)
        np.testing.assert_allclose(t.exp().numpy(), np.exp(expected), rtol=1e-6)
        np.testing.assert_allclose(t.sum().item(), expected.sum(), rtol=1e-6)
