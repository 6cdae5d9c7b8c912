"""The iterator of a DataLoader with ``num_workers > 0``: worker processes fetch the
batches, this process hands out the index batches and yields the results in sampler order.

- Processes (``_processes.WorkerProcesses``): `num_workers` daemonic processes of the
  loader's multiprocessing context (the platform's default, fork on Linux), each with its
  own index queue; one result queue.
- Dispatch: the sampler runs here; index batches go to the workers round-robin, at most
  ``prefetch_factor * num_workers`` ahead of what has been yielded.
- Order: results carry their task number; one that arrives early waits in a buffer until
  the batches before it have been yielded.
- Shutdown: when the sampler is spent (unless the workers persist), when the iterator is
  garbage-collected (a ``weakref.finalize``), and at interpreter exit.
"""
import itertools
import multiprocessing
import weakref

from nbtensor.utils.data import _transfer
from nbtensor.utils.data._iter import BaseIter
from nbtensor.utils.data._processes import WorkerProcesses, warn_if_too_many
from nbtensor.utils.data._worker import DATA, ENDED, FAILURE, RESUMED, Resume


class WorkersIter(BaseIter):
    """Batches fetched by worker processes, yielded in the sampler's order."""

    def __init__(self, loader):
        super().__init__(loader)
        warn_if_too_many(loader.num_workers, stacklevel=3)  # the code iterating the loader
        context = loader.multiprocessing_context or multiprocessing.get_context()
        self._persistent = loader.persistent_workers
        self._window = max(loader.prefetch_factor, 1) * loader.num_workers
        self._workers = WorkerProcesses(context, loader.num_workers, (
            loader.num_workers, self._dataset, self._auto_collation, self._collate_fn, self._drop_last,
            self._base_seed, loader.worker_init_fn))
        self._shutdown = weakref.finalize(self, self._workers.stop)  # holds the workers, not this iterator
        self._start_epoch(resume=False)

    # ------------------------------------------------------------------ epochs
    def _reset(self, loader):
        """The next epoch on the same (persistent) workers."""
        super()._reset(loader)
        self._start_epoch(resume=True)

    def _start_epoch(self, resume):
        self._sent = self._received = 0
        self._tasks = {}  # task -> [worker] until its result arrives, then [worker, (kind, payload)]
        self._active = [True] * self._num_workers  # False once a worker's IterableDataset ended
        self._turn = itertools.cycle(range(self._num_workers))
        if resume:  # what the last epoch left in flight is read and dropped
            for worker in range(self._num_workers):
                self._workers.send(worker, Resume())
            pending = self._num_workers
            while pending:
                pending -= self._workers.receive(self._timeout)[2] == RESUMED
        for _ in range(self._window):
            self._dispatch()

    def _dispatch(self):
        """Send the sampler's next index batch to the next worker still fetching."""
        try:
            indices = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker = next(self._turn)
            if self._active[worker]:
                break
        else:
            return  # every worker's IterableDataset has ended
        self._workers.send(worker, (self._sent, indices))
        self._tasks[self._sent] = [worker]
        self._sent += 1

    # ------------------------------------------------------------------ batches
    def _next_data(self):
        while True:
            while self._received < self._sent:  # skip tasks that no worker will answer
                task = self._tasks.get(self._received)
                if task is not None and (len(task) == 2 or self._active[task[0]]):
                    break
                self._tasks.pop(self._received, None)
                self._received += 1
            else:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            task = self._tasks[self._received]
            if len(task) == 2:  # arrived earlier
                del self._tasks[self._received]
                self._received += 1
                return self._deliver(*task[1])
            number, worker, kind, payload = self._workers.receive(self._timeout)
            if kind == ENDED:
                self._active[worker] = False
                del self._tasks[number]
                self._dispatch()
            elif number == self._received:
                del self._tasks[number]
                self._received += 1
                return self._deliver(kind, payload)
            elif number in self._tasks:  # early: kept until its turn
                self._tasks[number].append((kind, payload))

    def _deliver(self, kind, payload):
        self._dispatch()
        if kind == FAILURE:
            payload.reraise()
        assert kind == DATA
        return _transfer.loads(payload)
