"""The CPU's caching allocator (nbtensor/backends/cpu/allocator.py): the memory of a dead large
tensor is handed out again, never while a tensor, view, NumPy array or DLPack consumer can
still reach it; free memory is capped and given back by ``empty_cache``. Oracles: addresses
(``data_ptr``) and NumPy's values."""
import pickle
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import nbtensor as torch
from nbtensor.backends.cpu import allocator
from nbtensor.dispatch.tensor import _overlaps

pytestmark = pytest.mark.cpu_only  # the CPU backend's own memory

MIB = 1 << 20
N = MIB  # float32 elements: 4 MiB, well above the threshold


@pytest.fixture(autouse=True)
def _empty_pool():
    """Each test starts and ends with no free blocks in the process's pool."""
    torch.empty_cache()
    yield
    torch.empty_cache()


def _block_of(t):
    return t._storage.base


def test_small_storage_is_plain_numpy_memory():
    x = torch.empty(allocator.THRESHOLD // 4 - 1)
    assert x._storage.base is None and allocator.default().references(x._storage) == 0


def test_a_dead_tensor_s_memory_is_handed_out_again():
    x = torch.empty(N)
    ptr = x.data_ptr()
    assert allocator.default().references(_block_of(x)) == 1
    smaller = torch.from_numpy(np.zeros(N - 100, np.float32))  # (its own memory: not pooled)
    del x
    y = torch.exp(smaller)  # the same bin: a request a little smaller
    assert y.data_ptr() == ptr


_HOLDERS = {
    "numpy()": lambda x: x.numpy(),
    "numpy() of a slice": lambda x: x.numpy()[5:],
    "NumPy's from_dlpack": lambda x: np.from_dlpack(x),
    "an unconsumed DLPack capsule": lambda x: x.__dlpack__(),
    "from_numpy(numpy())": lambda x: torch.from_numpy(x.numpy()),
    "a view": lambda x: x[10:],
    "a reinterpreting view": lambda x: x.view(torch.int32),
    "a view of a view": lambda x: x.view(2, -1).t()[3],
}


@pytest.mark.parametrize("holder", _HOLDERS, ids=list(_HOLDERS))
def test_memory_still_referenced_is_not_handed_out(holder):
    x = torch.full((N,), 7.0)
    ptr = x.data_ptr()
    held = _HOLDERS[holder](x)
    del x
    y = torch.empty(N).fill_(1.0)
    assert y.data_ptr() != ptr
    assert _still_sevens(held)  # never overwritten
    ptr_y = y.data_ptr()
    del held, y
    # both dead now: both blocks come back, with their addresses
    again = [torch.empty(N), torch.empty(N)]
    assert {t.data_ptr() for t in again} == {ptr, ptr_y}


def _still_sevens(held):
    """True when the float32 bits `held` reaches are all 7.0 (an opaque capsule: not read)."""
    if type(held).__name__ == "PyCapsule":
        return True
    values = held.numpy() if isinstance(held, torch.Tensor) else held
    return bool((np.ascontiguousarray(values).view(np.float32) == 7.0).all())


def test_storage_kept_alive_through_a_view_tensor():
    x = torch.full((N,), 3.0)
    ptr = x.data_ptr()
    view = x[N // 2:]
    del x
    y = torch.empty(N)
    assert y.data_ptr() != ptr and view.data_ptr() == ptr + N // 2 * 4
    assert float(view.min()) == 3.0


def _poison(nbytes, count=3):
    """Free pooled blocks of `nbytes` full of 0xff bytes (NaN as floats, -1 as integers);
    returns their addresses."""
    blocks = [torch.full((nbytes,), 255, dtype=torch.uint8) for _ in range(count)]
    return {b.data_ptr() for b in blocks}


def _ops():
    """Ops whose output is pooled memory: (the op, NumPy's result)."""
    rng = np.random.default_rng(0)
    R, C = 384, 1024  # 1.5 MiB of float32
    a_np = rng.random((R, C), dtype=np.float32)
    b_np = rng.random((R, C), dtype=np.float32)
    w_np = rng.random((2, R * C))
    idx_np = rng.integers(0, R * C, R * C)
    cols_np = rng.integers(0, C, (R, C))
    a, b, w, idx, cols = (torch.from_numpy(v) for v in (a_np, b_np, w_np, idx_np, cols_np))
    return {
        "exp": (lambda: torch.exp(a), np.exp(a_np)),
        "add": (lambda: a + b, a_np + b_np),
        "mul scalar": (lambda: a * 2.5, a_np * np.float32(2.5)),
        "sub broadcast": (lambda: a - b[0], a_np - b_np[0]),
        "clamp": (lambda: a.clamp(0.2, 0.8), a_np.clip(0.2, 0.8)),
        "where": (lambda: torch.where(a > 0.5, a, b), np.where(a_np > 0.5, a_np, b_np)),
        "softmax": (lambda: torch.softmax(a, 1), np.exp(a_np) / np.exp(a_np).sum(1, keepdims=True)),
        "clone": (lambda: a.clone(), a_np),
        "contiguous of a transpose": (lambda: a.t().contiguous(), a_np.T),
        "cat": (lambda: torch.cat([a[:100], a[100:]]), a_np),
        "stack": (lambda: torch.stack([a[:R // 2], a[R // 2:]]), a_np.reshape(2, R // 2, C)),
        "sum over dim 0, float64": (lambda: w.sum(0), w_np.sum(0)),
        "amax over dim 0": (lambda: w.amax(0), w_np.max(0)),
        "argmax over dim 0": (lambda: w.argmax(0), w_np.argmax(0)),
        "zeros": (lambda: torch.zeros(R, C), np.zeros((R, C), np.float32)),
        "ones": (lambda: torch.ones(R, C), np.ones((R, C), np.float32)),
        "full": (lambda: torch.full((R, C), 3.0), np.full((R, C), 3.0, np.float32)),
        "index": (lambda: a.reshape(-1)[idx], a_np.reshape(-1)[idx_np]),
        "gather": (lambda: torch.gather(a, 1, cols), np.take_along_axis(a_np, cols_np, 1)),
        "masked_fill": (lambda: a.masked_fill(a > 0.5, 0.0), np.where(a_np > 0.5, 0, a_np)),
        "to float64": (lambda: a.to(torch.float64), a_np.astype(np.float64)),
    }


_OPS = _ops()


@pytest.mark.parametrize("name", _OPS, ids=list(_OPS))
def test_outputs_written_into_reused_memory_hold_no_garbage(name):
    op, expected = _OPS[name]
    poisoned = _poison(expected.nbytes)
    got = op()
    assert got.data_ptr() in poisoned  # (else this test checks nothing)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_out_of_place_results_in_pooled_memory_do_not_overlap_their_inputs():
    x, y = torch.empty(N), torch.empty(N)
    assert not _overlaps(x, y)
    assert _overlaps(x, x[1:]) and _overlaps(x[1:], x.view(torch.int32))


def test_a_pooled_out_tensor_grows_and_refuses_to_when_shared():
    a = torch.ones(2 * N)
    out = torch.empty(N)
    with pytest.warns(UserWarning, match="resized"):
        torch.add(a, a, out=out)
    assert out.shape == (2 * N,) and float(out.min()) == 2.0
    out = torch.empty(N)
    seen = out.numpy()
    with pytest.raises(RuntimeError, match="shared"):
        torch.add(a, a, out=out)
    del seen


def test_pickle_and_save_of_pooled_tensors(tmp_path):
    x = torch.rand(N)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(x)).numpy(), x.numpy())
    torch.save(x[3:], tmp_path / "x.pt")
    np.testing.assert_array_equal(torch.load(tmp_path / "x.pt").numpy(), x.numpy()[3:])


def test_empty_cache_drops_free_blocks_only():
    pool = allocator.default()
    live = torch.full((N,), 5.0)
    dead = torch.empty(2 * N)
    del dead
    assert pool.idle() >= 8 * MIB
    torch.empty_cache()
    assert pool.idle() == 0 and pool.references(_block_of(live)) == 1
    assert float(live.min()) == 5.0


def test_the_cap_drops_the_least_recently_used_free_blocks():
    pool = allocator.CachingAllocator(limit=3 * MIB, caching=True)
    sizes = [MIB, MIB + MIB // 4, MIB + MIB // 2]  # three bins
    first = [pool.allocate(s, np.uint8) for s in sizes]
    addresses = [a.__array_interface__["data"][0] for a in first]
    del first
    assert pool.idle() == sum(sizes)  # nothing takes a new block yet: nothing dropped
    keep = pool.allocate(2 * MIB, np.uint8)  # a new bin: 5.75 MiB held, 3.75 idle
    assert pool.idle() == sizes[1] + sizes[2] <= 3 * MIB  # the oldest (1 MiB) went
    assert pool.held == sizes[1] + sizes[2] + 2 * MIB
    again = [pool.allocate(s, np.uint8) for s in sizes[1:]]
    assert [a.__array_interface__["data"][0] for a in again] == addresses[1:]
    del keep


def test_a_fresh_allocator_without_caching_hands_out_plain_numpy_arrays(monkeypatch):
    monkeypatch.setenv("NBTENSOR_CPU_CACHING", "0")
    pool = allocator.CachingAllocator()
    a = pool.allocate(N, np.float32)
    assert a.base is None and pool.held == 0


@pytest.mark.parametrize("text, limit", [("1048576", MIB), ("512M", 512 * MIB), ("2G", 2 << 30),
                                         ("1.5g", 3 << 29), ("64KiB", 64 << 10), (" 0 ", 0)])
def test_cache_limit_from_the_environment(text, limit):
    assert allocator.cache_limit({"NBTENSOR_CPU_CACHE_LIMIT": text}) == limit


def test_cache_limit_default_and_errors():
    assert 0 < allocator.cache_limit({}) <= 1 << 30
    with pytest.raises(ValueError, match="NBTENSOR_CPU_CACHE_LIMIT"):
        allocator.cache_limit({"NBTENSOR_CPU_CACHE_LIMIT": "lots"})


def _run(code, **env):
    import os
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         timeout=300, env={**os.environ, **env})
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip()


def test_the_environment_switches_the_process_s_pool_off():
    assert _run("""
        import nbtensor as torch
        from nbtensor.backends.cpu import allocator
        x = torch.exp(torch.ones(1 << 20))
        print(x._storage.base is None, allocator.default().held, allocator.default().limit)
    """, NBTENSOR_CPU_CACHING="0", NBTENSOR_CPU_CACHE_LIMIT="2M") == f"True 0 {2 * MIB}"


def test_a_forked_child_starts_without_the_parent_s_free_blocks():
    assert _run("""
        import os
        import numpy as np
        import nbtensor as torch
        from nbtensor.backends.cpu import allocator

        pool = allocator.default()
        live = torch.full((1 << 20,), 2.0)
        del_me = torch.empty(1 << 20)
        del del_me
        assert pool.idle() > 0
        pid = os.fork()
        if pid == 0:
            ok = pool.idle() == 0 and pool.references(live._storage.base) == 1
            y = torch.exp(live)  # the child's own pool works, and the inherited tensor is intact
            ok = ok and np.allclose(y.numpy(), np.exp(2.0)) and float(live.min()) == 2.0
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        live.fill_(3.0)
        print(os.waitstatus_to_exitcode(status), pool.idle() > 0, float(live.min()))
    """) == "0 True 3.0"


def test_threads_never_get_one_block_at_once():
    errors = []

    def work():
        try:
            for _ in range(30):
                x = torch.empty(N)
                x.fill_(threading.get_ident() % 1000)
                assert float((x == threading.get_ident() % 1000).all()) == 1.0
        except AssertionError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
