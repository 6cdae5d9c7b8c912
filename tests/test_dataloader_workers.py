"""DataLoader with worker processes (``num_workers > 0``), checked against independent
oracles: the same loader without workers, batches computed by hand, and torch's own
DataLoader where torch is installed (never required).

Datasets the spawn test sends to a fresh interpreter are defined at module level, so that
they pickle. A worker that dies is reported by the loader (it looks every second), and the
loaders whose workers could hang have a `timeout`, so a broken worker fails its test
instead of hanging the run."""
import gc
import multiprocessing
import os
import random
import subprocess
import sys
import textwrap
import time
import traceback
import warnings

import numpy as np
import pytest

import nbtensor as nb
from nbtensor.utils import data


@pytest.fixture(autouse=True, scope="module")
def warm_kernels():
    """Run here first what the workers run: a forked worker inherits the kernels its parent
    has loaded, and would otherwise load each (numba's per-process cost, ~1 s) itself."""
    list(data.DataLoader(Squares(3), batch_size=2))
    (nb.arange(6.0, dtype=nb.float64).reshape(2, 3) + 1).t().tolist()
    (nb.arange(4)[::2] * 2).tolist()
    nb.rand(3).tolist()
    nb.as_tensor(np.zeros(2, dtype=np.float32))


@pytest.fixture(autouse=True)
def no_workers_before():
    """Each test starts with no worker processes: loaders an earlier test left in reference
    cycles (an exception's traceback holds its frames) are collected first, so that a test's
    own ``active_children() == []`` speaks of its own loaders."""
    if multiprocessing.active_children():
        gc.collect()
    assert multiprocessing.active_children() == []


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _lists(batches):
    """Batches (tensors, or tuples/lists of them) as nested Python lists."""
    out = []
    for b in batches:
        if isinstance(b, (tuple, list)):
            out.append([x.tolist() if hasattr(x, "tolist") else x for x in b])
        else:
            out.append(b.tolist() if hasattr(b, "tolist") else b)
    return out


def _gone(pid):
    """True when no process (zombie included) has id `pid`."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


# ------------------------------------------------------------------ datasets (module level: they pickle)
class Squares(data.Dataset):
    """i -> float(i) ** 2 as a 0-d tensor, computed in the worker."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return nb.tensor(float(i)) ** 2


class Probe(Squares):
    """i -> i, the worker's id, number of workers, seed and pid, and the dataset copy's tag."""

    def __getitem__(self, i):
        info = data.get_worker_info()
        return {"i": i, "worker": info.id, "workers": info.num_workers, "seed": info.seed, "pid": os.getpid(),
                "tag": getattr(info.dataset, "tag", None)}


class Draws(data.Dataset):
    """Each worker's first draws from nbtensor, `random` and NumPy (one sample per worker)."""

    def __len__(self):
        return 2

    def __getitem__(self, i):
        info = data.get_worker_info()
        # (the CPU's generator: on another test device nb.rand draws from that device's own)
        return (info.id, info.seed, nb.rand(3, device="cpu").tolist(), random.random(), float(np.random.random()))


def tag_worker(worker_id):
    data.get_worker_info().dataset.tag = 100 + worker_id


class ShardedRange(data.IterableDataset):
    """range(lo, hi), split among workers by get_worker_info (every k-th item)."""

    def __init__(self, lo, hi, info=data.get_worker_info):
        self.lo, self.hi, self.info = lo, hi, info

    def __iter__(self):
        info = self.info()
        if info is None:
            return iter(range(self.lo, self.hi))
        return iter(range(self.lo + info.id, self.hi, info.num_workers))


class WholeRange(data.IterableDataset):
    """range(n) in every worker (not sharded), with a length."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


class Failing(data.Dataset):
    """Raises `error` for index 2."""

    def __init__(self, error):
        self.error = error

    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            raise self.error
        return i


class TwoArgError(Exception):
    def __init__(self, a, b):
        super().__init__(a, b)


# ------------------------------------------------------------------ order, batching
def test_shuffled_batches_are_those_of_the_single_process_loader_for_the_same_generator_seed():
    X, y = nb.arange(46.0).reshape(23, 2), nb.arange(23)
    ds = data.TensorDataset(X, y)
    for drop_last in (False, True):
        runs = {}
        for workers in (0, 2):
            loader = data.DataLoader(ds, batch_size=4, shuffle=True, drop_last=drop_last, num_workers=workers,
                                     generator=nb.Generator().manual_seed(11), timeout=60)
            runs[workers] = [_lists(loader) for _ in range(2)]  # two epochs
        assert runs[2] == runs[0]
        for epoch in runs[2]:
            labels = [label for _, labels in epoch for label in labels]
            assert len(epoch) == (5 if drop_last else 6)
            assert len(labels) == (20 if drop_last else 23) and len(set(labels)) == len(labels)
            assert all(row == [2.0 * label, 2.0 * label + 1] for rows, labels in epoch
                       for row, label in zip(rows, labels))
        assert runs[2][0] != runs[2][1]  # a new permutation each epoch


def test_explicit_sampler_batches_match_hand_computed_and_torch():
    order = [5, 3, 9, 0, 1, 8, 2, 7, 6, 4]
    loader = data.DataLoader(Squares(10), batch_size=3, sampler=order, num_workers=2, drop_last=False, timeout=60)
    expected = [[25.0, 9.0, 81.0], [0.0, 1.0, 64.0], [4.0, 49.0, 36.0], [16.0]]
    assert _lists(loader) == expected
    assert len(loader) == 4
    torch = _torch()
    if torch is not None:
        class TorchSquares(torch.utils.data.Dataset):
            def __len__(self):
                return 10

            def __getitem__(self, i):
                return torch.tensor(float(i)) ** 2
        theirs = torch.utils.data.DataLoader(TorchSquares(), batch_size=3, sampler=order, num_workers=2)
        assert [b.tolist() for b in theirs] == expected


def test_batches_that_arrive_early_wait_for_their_turn():
    class FirstIsSlow(Squares):
        def __getitem__(self, i):
            if i == 0:
                time.sleep(0.3)  # worker 0 is busy while worker 1 answers 1, 3, 5
            return (i, time.monotonic())

    got = list(data.DataLoader(FirstIsSlow(6), batch_size=None, num_workers=2, prefetch_factor=3, timeout=60))
    assert [i for i, _ in got] == list(range(6))
    assert got[1][1] < got[0][1]  # fetched before batch 0, yielded after it


def test_batch_sampler_collate_fn_and_getitems():
    batch_sampler = [[1, 2], [0], [3, 4, 5]]

    def collate(samples):
        return ("custom", [float(s) for s in samples])

    loader = data.DataLoader(Squares(6), batch_sampler=batch_sampler, collate_fn=collate, num_workers=2, timeout=60)
    assert list(loader) == [("custom", [1.0, 4.0]), ("custom", [0.0]), ("custom", [9.0, 16.0, 25.0])]

    class ManyAtOnce(Squares):
        def __getitems__(self, indices):
            return [("many", i, os.getpid()) for i in indices]

    got = list(data.DataLoader(ManyAtOnce(5), batch_size=2, collate_fn=list, num_workers=2, timeout=60))
    assert [[s[:2] for s in b] for b in got] == [[("many", 0), ("many", 1)], [("many", 2), ("many", 3)],
                                                [("many", 4)]]
    assert {s[2] for b in got for s in b} != {os.getpid()}  # fetched in the workers


def test_batch_size_none_converts_each_sample_as_torch_does():
    class Samples(data.Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return (np.full(2, i, dtype=np.float32), i, "s%d" % i)

    ours = list(data.DataLoader(Samples(), batch_size=None, num_workers=2, timeout=60))
    assert [type(s) for s in ours] == [list] * 3  # a tuple sample becomes a list, as in torch
    assert [(s[0].tolist(), s[1], s[2]) for s in ours] == [([0.0, 0.0], 0, "s0"), ([1.0, 1.0], 1, "s1"),
                                                          ([2.0, 2.0], 2, "s2")]
    assert ours[0][0].dtype == nb.float32
    torch = _torch()
    if torch is not None:
        theirs = list(torch.utils.data.DataLoader(Samples(), batch_size=None, num_workers=2))
        assert [(s[0].tolist(), s[1], s[2]) for s in theirs] == [(s[0].tolist(), s[1], s[2]) for s in ours]
    assert _lists(data.DataLoader(Squares(3), batch_size=None, num_workers=2)) == [0.0, 1.0, 4.0]


def test_prefetch_factor_bounds_the_batches_fetched_ahead():
    fetched = multiprocessing.get_context("fork").Value("i", 0)

    class Counting(Squares):
        def __getitem__(self, i):
            with fetched.get_lock():
                fetched.value += 1
            return i

    def settle(expected):
        deadline = time.monotonic() + 30
        while fetched.value < expected and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # time to overshoot, were the window wider
        return fetched.value

    loader = data.DataLoader(Counting(20), batch_size=1, num_workers=2, prefetch_factor=1,
                             multiprocessing_context="fork", timeout=60)
    it = iter(loader)
    assert settle(2) == 2  # prefetch_factor * num_workers
    assert next(it).tolist() == [0]
    assert settle(3) == 3
    assert [b.item() for b in it] == list(range(1, 20))


# ------------------------------------------------------------------ workers: init, info, seeds
def test_worker_init_fn_and_get_worker_info():
    assert data.get_worker_info() is None  # the main process
    loader = data.DataLoader(Probe(6), batch_size=1, num_workers=2, worker_init_fn=tag_worker, timeout=60,
                             generator=nb.Generator().manual_seed(3))
    samples = [{k: v[0] if hasattr(v, "tolist") else v for k, v in b.items()} for b in loader]
    assert [int(s["i"]) for s in samples] == list(range(6))
    assert [int(s["worker"]) for s in samples] == [0, 1, 0, 1, 0, 1]  # round-robin, in sampler order
    assert {int(s["workers"]) for s in samples} == {2}
    assert [int(s["tag"]) for s in samples] == [100, 101] * 3  # worker_init_fn ran in each worker first
    base = data._iter.draw_base_seed(nb.Generator().manual_seed(3))
    assert [int(s["seed"]) for s in samples] == [base, base + 1] * 3
    assert len({int(s["pid"]) for s in samples} | {os.getpid()}) == 3
    assert not hasattr(Probe(1), "tag")  # the main process's dataset is untouched
    info = data.WorkerInfo(id=0, num_workers=1, seed=5, dataset=None)
    with pytest.raises(RuntimeError, match="Cannot assign attributes to WorkerInfo objects"):
        info.id = 1


def _draws(seed):
    loader = data.DataLoader(Draws(), batch_size=None, num_workers=2, generator=nb.Generator().manual_seed(seed),
                             timeout=60)
    return list(loader)


def test_worker_seeds_differ_are_reproducible_and_seed_nbtensor_random_and_numpy():
    first, again, other = _draws(7), _draws(7), _draws(8)
    assert first == again and first != other
    (w0, seed0, t0, r0, n0), (w1, seed1, t1, r1, n1) = first
    assert (w0, w1) == (0, 1) and seed1 == seed0 + 1
    assert t0 != t1 and r0 != r1 and n0 != n1
    base = data._iter.draw_base_seed(nb.Generator().manual_seed(7))
    assert seed0 == base
    for worker, seed, t, r, n in first:  # oracles: each library seeded by hand as torch seeds workers
        assert seed == base + worker
        assert t == nb.rand(3, generator=nb.Generator().manual_seed(base + worker)).tolist()
        assert r == random.Random(base + worker).random()
        torch = _torch()
        words = (torch.utils.data._utils.worker._generate_state(base, worker) if torch is not None
                 else data._worker.numpy_seed(base, worker))
        assert n == np.random.RandomState(np.asarray(words, dtype=np.uint32)).random_sample()


# ------------------------------------------------------------------ errors in workers
def test_an_exception_in_a_worker_is_raised_again_with_the_worker_and_its_traceback():
    loader = data.DataLoader(Failing(ValueError("bad sample")), batch_size=1, num_workers=2, timeout=60)
    it = iter(loader)
    assert next(it).tolist() == [0] and next(it).tolist() == [1]
    with pytest.raises(ValueError) as caught:
        next(it)
    text = str(caught.value)
    assert text.startswith("Caught ValueError in DataLoader worker process 0.\nOriginal Traceback (most recent call")
    assert "raise self.error" in text and text.rstrip().endswith("ValueError: bad sample")
    assert next(it).tolist() == [3]  # as torch: the loader goes on after the failed batch
    torch = _torch()
    if torch is not None:
        try:
            list(torch.utils.data.DataLoader(Failing(ValueError("bad sample")), batch_size=1, num_workers=2))
        except ValueError as theirs:
            traceback.clear_frames(theirs.__traceback__)  # torch's workers stop now, not at a slow gc
            assert str(theirs).split("\n")[:2] == text.split("\n")[:2]
        else:
            raise AssertionError("torch raised nothing")

    with pytest.raises(KeyError) as caught:  # KeyError keeps the text readable (not its repr)
        list(data.DataLoader(Failing(KeyError("k")), batch_size=1, num_workers=2, timeout=60))
    assert str(caught.value).startswith("Caught KeyError in DataLoader worker process 0.\nOriginal Traceback")
    with pytest.raises(RuntimeError, match="Caught TwoArgError in DataLoader worker process 0"):
        list(data.DataLoader(Failing(TwoArgError(1, 2)), batch_size=1, num_workers=2, timeout=60))


def test_worker_init_fn_errors_and_worker_deaths_are_reported():
    def broken_init(worker_id):
        raise OSError("no such resource")

    with pytest.raises(OSError, match="(?s)Caught OSError in DataLoader worker process 0.*no such resource"):
        list(data.DataLoader(Squares(4), num_workers=2, worker_init_fn=broken_init, timeout=60))

    class Dies(Squares):
        def __getitem__(self, i):
            if i == 1:
                os._exit(3)
            return i

    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
        list(data.DataLoader(Dies(4), num_workers=2, timeout=60))
    assert multiprocessing.active_children() == []


def test_timeout_raises_as_torch_does():
    class Slow(Squares):
        def __getitem__(self, i):
            if i == 1:
                time.sleep(2)
            return i

    it = iter(data.DataLoader(Slow(3), num_workers=1, timeout=0.3))
    assert next(it).tolist() == [0]
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0\.3 seconds$"):
        next(it)
    assert time.monotonic() - start < 1.5
    del it
    assert multiprocessing.active_children() == []


# ------------------------------------------------------------------ tensors across processes
def test_tensors_cross_with_values_dtype_and_requires_grad():
    class Kinds(Squares):
        def __getitem__(self, i):
            base = nb.arange(6.0, dtype=nb.float64).reshape(2, 3) + i
            return {"t": base.t(), "ints": nb.arange(4)[::2] * i, "leaf": nb.ones(2, requires_grad=True)}

    ours = list(data.DataLoader(Kinds(3), batch_size=None, num_workers=2, timeout=60))
    local = list(data.DataLoader(Kinds(3), batch_size=None))
    for got, want in zip(ours, local):
        assert got["t"].tolist() == want["t"].tolist() and got["t"].dtype == nb.float64 and got["t"].shape == (3, 2)
        assert got["ints"].tolist() == want["ints"].tolist() and got["ints"].dtype == nb.int64
        assert got["leaf"].requires_grad and got["leaf"].is_leaf and got["leaf"].tolist() == [1.0, 1.0]
        assert got["t"].device == want["t"].device
    torch = _torch()
    if torch is not None:  # torch's workers also hand a leaf that requires grad over as one
        class TorchLeaf(torch.utils.data.Dataset):
            def __len__(self):
                return 1

            def __getitem__(self, i):
                return torch.ones(2, requires_grad=True)
        assert next(iter(torch.utils.data.DataLoader(TorchLeaf(), batch_size=None, num_workers=1))).requires_grad

    class NonLeaf(Squares):
        def __getitem__(self, i):
            return nb.ones(2, requires_grad=True) * 2

    with pytest.raises(RuntimeError, match="(?s)worker process 0.*Cowardly refusing to serialize non-leaf tensor"):
        list(data.DataLoader(NonLeaf(1), batch_size=None, num_workers=1, timeout=60))


@pytest.mark.cpu_only  # the CPU's parallel kernels and the fork fix (tests/test_fork.py)
def test_workers_run_tensor_math_after_the_parent_ran_parallel_kernels():
    from nbtensor.backends.cpu import tuning
    n = 4 * tuning.PARALLEL_THRESHOLD
    assert float((nb.ones(n) * 2).sum()) == 2.0 * n  # parallel kernels (OpenMP) have run here

    class Math(Squares):
        def __getitem__(self, i):
            t = nb.arange(float(n), dtype=nb.float64) * (i + 1)  # sums exact in any order
            return (t.sum(), (t - 1).amax(), tuning.PARALLEL_THRESHOLD == tuning.SERIAL)

    sums, tops, serial = zip(*(list(data.DataLoader(Math(4), batch_size=None, num_workers=2, timeout=120))))
    total = n * (n - 1) / 2
    assert [float(s) for s in sums] == [total * (i + 1) for i in range(4)]
    assert [float(t) for t in tops] == [(n - 1.0) * (i + 1) - 1 for i in range(4)]
    assert all(serial)  # the children run serial kernels (a forked GNU OpenMP would kill them)
    assert multiprocessing.active_children() == []


# ------------------------------------------------------------------ epochs, iterable datasets
def test_persistent_workers_serve_two_epochs_and_restart_cleanly_after_a_break():
    loader = data.DataLoader(Probe(7), batch_size=2, shuffle=True, num_workers=2, persistent_workers=True,
                             generator=nb.Generator().manual_seed(5), timeout=60)
    oracle = nb.Generator().manual_seed(5)
    data._iter.draw_base_seed(oracle)  # drawn once: the workers (and their seeds) persist
    pids = set()
    for epoch in range(3):
        order = nb.randperm(7, generator=oracle).tolist()
        if epoch == 0:  # a first epoch cut short, its prefetched batches dropped
            it = iter(loader)
            assert next(it)["i"].tolist() == order[:2]
            continue
        batches = list(loader)
        assert [b["i"].tolist() for b in batches] == [order[i:i + 2] for i in range(0, 7, 2)]
        pids |= {p for b in batches for p in b["pid"].tolist()}
    assert len(pids) == 2 and loader._iterator is it
    workers = list(pids)
    del loader, it
    assert multiprocessing.active_children() == [] and all(_gone(p) for p in workers)


def test_iterable_dataset_sharded_by_get_worker_info_matches_hand_computed_and_torch():
    ours = _lists(data.DataLoader(ShardedRange(0, 10), batch_size=2, num_workers=2, timeout=60))
    assert ours == [[0, 2], [1, 3], [4, 6], [5, 7], [8], [9]]  # round-robin over the workers' shares
    assert _lists(data.DataLoader(ShardedRange(0, 10), batch_size=2)) == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]
    assert _lists(data.DataLoader(ShardedRange(0, 5), batch_size=2, num_workers=2, drop_last=True)) == [[0, 2],
                                                                                                          [1, 3]]
    assert _lists(data.DataLoader(ShardedRange(0, 5), batch_size=None, num_workers=2)) == [0, 1, 2, 3, 4]
    torch = _torch()
    if torch is not None:
        class TorchShardedRange(ShardedRange, torch.utils.data.IterableDataset):
            pass
        theirs = torch.utils.data.DataLoader(TorchShardedRange(0, 10, torch.utils.data.get_worker_info),
                                             batch_size=2, num_workers=2)
        assert [b.tolist() for b in theirs] == ours
    persistent = data.DataLoader(ShardedRange(0, 5), batch_size=2, num_workers=2, persistent_workers=True)
    assert _lists(persistent) == _lists(persistent) == [[0, 2], [1, 3], [4]]


def test_unsharded_iterable_dataset_repeats_per_worker_with_torchs_length_warning():
    loader = data.DataLoader(WholeRange(5), batch_size=2, num_workers=2, timeout=60)
    assert len(loader) == 3
    with pytest.warns(UserWarning, match=r"Length of IterableDataset .* was reported to be 5\(when accessing "
                                         r"len\(dataloader\)\), but 6 samples have been fetched. For multiprocessing"):
        got = _lists(loader)
    assert got == [[0, 1], [0, 1], [2, 3], [2, 3], [4], [4]]  # what torch gives (each worker: the whole range)
    for option in ({"shuffle": True}, {"sampler": [0]}, {"batch_sampler": [[0]]}):
        name, value = next(iter(option.items()))
        with pytest.raises(ValueError, match=rf"^DataLoader with IterableDataset: expected unspecified {name} "):
            data.DataLoader(WholeRange(5), **option)


# ------------------------------------------------------------------ contexts, bad input, shutdown
@pytest.mark.cpu_only  # a spawned interpreter has not registered the test-only guarded device
def test_spawn_context_with_a_module_level_dataset():
    context = multiprocessing.get_context("spawn")
    loader = data.DataLoader(Squares(7), batch_size=2, shuffle=True, num_workers=2, multiprocessing_context=context,
                             generator=nb.Generator().manual_seed(1), worker_init_fn=tag_worker, timeout=120)
    assert loader.multiprocessing_context is context
    expected = _lists(data.DataLoader(Squares(7), batch_size=2, shuffle=True, generator=nb.Generator().manual_seed(1)))
    assert _lists(loader) == expected
    assert sorted(x for b in expected for x in b) == [float(i * i) for i in range(7)]
    assert multiprocessing.active_children() == []


BAD = [
    ({"num_workers": -1}, ValueError,
     "num_workers option should be non-negative; use num_workers=0 to disable multiprocessing."),
    ({"prefetch_factor": 2}, ValueError,
     "prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 to enable "
     "multiprocessing, otherwise set prefetch_factor to None."),
    ({"persistent_workers": True}, ValueError, "persistent_workers option needs num_workers > 0"),
    ({"num_workers": 1, "prefetch_factor": -1}, ValueError, "prefetch_factor option should be non-negative"),
    ({"timeout": -1}, ValueError, "timeout option should be non-negative"),
    ({"num_workers": 1, "multiprocessing_context": "nope"}, ValueError,
     "multiprocessing_context option should specify a valid start method in {methods!r}, but got "
     "multiprocessing_context='nope'"),
    ({"num_workers": 1, "multiprocessing_context": 3}, TypeError,
     "multiprocessing_context option should be a valid context object or a string specifying the start method, "
     "but got multiprocessing_context=3"),
    ({"multiprocessing_context": "fork"}, ValueError,
     "multiprocessing_context can only be used with multi-process loading (num_workers > 0), but got num_workers=0"),
    ({"batch_size": None, "drop_last": True}, ValueError,
     "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"),
    ({"shuffle": True, "sampler": [0]}, ValueError, "sampler option is mutually exclusive with shuffle"),
    ({"batch_sampler": [[0]], "batch_size": 2}, ValueError,
     "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"),
]


@pytest.mark.parametrize("kwargs, error, message", BAD, ids=[",".join(k) for k, _, _ in BAD])
def test_bad_arguments_raise_torchs_errors(kwargs, error, message):
    message = message.format(methods=multiprocessing.get_all_start_methods())
    with pytest.raises(error) as caught:
        data.DataLoader(Squares(3), **kwargs)
    assert str(caught.value) == message
    torch = _torch()
    if torch is not None:
        with pytest.raises(error) as theirs:
            torch.utils.data.DataLoader(list(range(3)), **kwargs)
        assert str(theirs.value) == message
    assert multiprocessing.active_children() == []


def test_loader_attributes_are_fixed_after_init():
    loader = data.DataLoader(Squares(3), batch_size=2, num_workers=1)
    with pytest.raises(ValueError, match="^batch_size attribute should not be set after DataLoader is initialized$"):
        loader.batch_size = 3
    loader.timeout = 5  # not one of them


def test_breaking_out_or_dropping_iterators_leaves_no_processes():
    loader = data.DataLoader(Probe(40), batch_size=2, num_workers=2, timeout=60)
    pids = set()
    for batch in loader:  # break out early: the iterator is dropped here
        pids |= set(batch["pid"].tolist())
        break
    del loader, batch
    assert multiprocessing.active_children() == []
    assert pids and os.getpid() not in pids and all(_gone(p) for p in pids)

    it = iter(data.DataLoader(Probe(40), batch_size=2, num_workers=2, timeout=60))
    pids = set(next(it)["pid"].tolist())
    assert len(multiprocessing.active_children()) == 2
    del it  # garbage-collected mid-epoch
    assert multiprocessing.active_children() == [] and all(_gone(p) for p in pids)

    list(data.DataLoader(Probe(4), batch_size=2, num_workers=2, timeout=60))  # exhausted
    assert multiprocessing.active_children() == []


def _running(pid):
    """True while process `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


EXIT_SCRIPT = textwrap.dedent("""
    import multiprocessing
    import nbtensor as torch
    from nbtensor.utils import data

    ds = data.TensorDataset(torch.arange(100.0))
    kept = data.DataLoader(ds, batch_size=4, num_workers=2, persistent_workers=True)
    list(kept)  # persistent workers, idle
    it = iter(data.DataLoader(ds, batch_size=4, num_workers=2))
    next(it)  # an epoch left half-way, batches in flight
    print(" ".join(str(p.pid) for p in multiprocessing.active_children()))
""")


def test_interpreter_exits_at_once_with_workers_still_running(tmp_path):
    script = tmp_path / "exit.py"
    script.write_text(EXIT_SCRIPT)
    start = time.monotonic()
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr and "Exception ignored" not in out.stderr, out.stderr[-3000:]
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 4 and not any(_running(p) for p in pids)
    assert time.monotonic() - start < 60


@pytest.mark.large  # 6000 x 784: every batch a 200 000-element gather
def test_d2l_fashion_mnist_loader_with_four_workers():
    """D2L's load_data_fashion_mnist: batch_size=256, shuffle=True, num_workers=4."""
    rng = np.random.default_rng(0)
    X = nb.tensor(rng.standard_normal((6000, 784)).astype(np.float32))
    y = nb.tensor(rng.integers(0, 10, 6000))
    ds = data.TensorDataset(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's warning on more workers than CPUs
        loader = data.DataLoader(ds, batch_size=256, shuffle=True, num_workers=4,
                                 generator=nb.Generator().manual_seed(0), timeout=120)
        single = data.DataLoader(ds, batch_size=256, shuffle=True, generator=nb.Generator().manual_seed(0))
        for _ in range(2):
            batches, reference = list(loader), list(single)
            assert len(batches) == len(loader) == 24
            assert [tuple(b[0].shape) for b in batches] == [(256, 784)] * 23 + [(112, 784)]
            seen = np.concatenate([b[1].cpu().numpy() for b in batches])
            assert np.array_equal(np.sort(seen), np.sort(y.cpu().numpy()))
            for (bx, by), (rx, ry) in zip(batches, reference):
                assert nb.equal(bx, rx) and nb.equal(by, ry)
    assert multiprocessing.active_children() == []


def test_more_workers_than_cpus_warns_as_torch():
    cpus = data._processes.usable_cpus()
    with pytest.warns(UserWarning, match=rf"This DataLoader will create {cpus + 1} worker processes in total"):
        data.DataLoader(Squares(2), num_workers=cpus + 1)
