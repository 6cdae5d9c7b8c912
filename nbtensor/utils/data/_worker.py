"""The worker side of a multi-process DataLoader: seeding, ``get_worker_info`` and the loop
that turns index batches into batches.

Protocol. The main process puts on a worker's own index queue ``(task, indices)``, a
``Resume`` (a new epoch of persistent workers) or None (exit). The worker answers on the
shared result queue ``(task, worker_id, kind, payload)``: ``DATA`` with the batch pickled
by ``_transfer.dumps``, ``FAILURE`` with a ``WorkerFailure``, ``ENDED`` when its iterator
over an IterableDataset is spent (it then ignores tasks until a ``Resume``), or, for a
``Resume``, ``RESUMED``."""
import os
import queue
import random

import numpy as np

import nbtensor as torch
from nbtensor.utils.data import _transfer
from nbtensor.utils.data._failure import WorkerFailure
from nbtensor.utils.data._fetch import make_fetcher
from nbtensor.utils.data.dataset import IterableDataset

DATA, FAILURE, ENDED, RESUMED = "data", "failure", "ended", "resumed"
# How often (seconds) a waiting worker checks that its parent still lives, and a waiting
# main process that its workers do.
CHECK_INTERVAL = 1.0

_info = None


class Resume:
    """Start the next epoch (persistent workers): a new iterator over an IterableDataset."""


class WorkerInfo:
    """What ``get_worker_info()`` returns in a worker: its `id`, `num_workers`, the `seed`
    it was given and its copy of the `dataset`. Read-only."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, **fields):
        for name in self.__slots__:
            object.__setattr__(self, name, fields[name])

    def __setattr__(self, name, value):
        raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)}' for n in self.__slots__)})"


def get_worker_info():
    """In a DataLoader worker, its ``WorkerInfo`` (`id`, `num_workers`, `seed`,
    `dataset`); None in the main process. An IterableDataset uses it to give each worker
    its share of the samples."""
    return _info


def numpy_seed(base_seed, worker_id):
    """The seed of NumPy's global generator in worker `worker_id`: four 32-bit words mixed
    by NumPy's SeedSequence from the worker id and the loader's base seed (the words torch
    seeds its workers' NumPy with), so that NumPy's stream differs from the one Python's
    `random` draws from the same integer seed."""
    entropy = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0]
    return np.random.SeedSequence(entropy).generate_state(4)


def seed_worker(base_seed, worker_id):
    """Seed nbtensor's and Python's generators with ``base_seed + worker_id`` and NumPy's
    global one with ``numpy_seed``; returns the seed."""
    seed = base_seed + worker_id
    random.seed(seed)
    torch.manual_seed(seed)
    np.random.seed(numpy_seed(base_seed, worker_id))
    return seed


def worker_loop(worker_id, num_workers, dataset, auto_collation, collate_fn, drop_last, base_seed, init_fn,
                index_queue, result_queue, done_event, parent_pid):
    """The body of worker process `worker_id`: seed, run `init_fn(worker_id)`, then answer
    the index queue until told to stop, or until the parent process has gone."""
    global _info
    try:
        seed = seed_worker(base_seed, worker_id)
        _info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)

        def start():
            return make_fetcher(dataset, auto_collation, collate_fn, drop_last)

        fetcher = failure = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = start()
        except Exception:
            failure = WorkerFailure(worker_id)  # the answer to every task
        ended, iterable = False, isinstance(dataset, IterableDataset)
        while True:
            try:
                message = index_queue.get(timeout=CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent_pid:
                    break
                continue
            if message is None:
                break
            if isinstance(message, Resume):
                ended = False
                if iterable and failure is None:
                    try:
                        fetcher = start()
                    except Exception:
                        failure = WorkerFailure(worker_id)
                result_queue.put((None, worker_id, RESUMED, None))
                continue
            if ended or done_event.is_set():
                continue
            task, indices = message
            kind, payload = _answer(fetcher, failure, indices, worker_id, iterable)
            ended = kind == ENDED
            result_queue.put((task, worker_id, kind, payload))
            del payload
    except KeyboardInterrupt:
        pass  # the main process has it too, and shuts the workers down
    if done_event.is_set():  # nobody reads what is still queued: do not wait to flush it
        result_queue.cancel_join_thread()
        result_queue.close()


def _answer(fetcher, failure, indices, worker_id, iterable):
    """(kind, payload) for one task."""
    if failure is not None:
        return FAILURE, failure
    try:
        return DATA, _transfer.dumps(fetcher.fetch(indices))
    except StopIteration:
        if iterable:  # the worker's iterator is spent (from a map-style dataset it is an error)
            return ENDED, None
        return FAILURE, WorkerFailure(worker_id)
    except Exception:
        return FAILURE, WorkerFailure(worker_id)
