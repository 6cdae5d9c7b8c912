"""The worker processes of one DataLoader iterator and their queues: start them, send to
one, receive from all (noticing a worker that died, and the loader's `timeout`), stop them.

Kept apart from the iterator on purpose: the iterator stops its workers through a
``weakref.finalize`` on this object's ``stop``, which therefore holds no reference back to
the iterator. So an iterator dropped inside a reference cycle (an exception's traceback
holds its frames) still finds its queues alive when the collector gets to it, and the
finalizer also runs at interpreter exit."""
import os
import queue
import time
import warnings

from nbtensor.utils.data._worker import CHECK_INTERVAL, worker_loop


def usable_cpus():
    """How many CPUs this process may run on (None if unknown)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


def warn_if_too_many(num_workers, stacklevel):
    """torch's warning when a loader would start more workers than there are CPUs
    (`stacklevel` counted from the caller: 1 points at it)."""
    cpus = usable_cpus()
    if not num_workers or (cpus is not None and num_workers <= cpus):
        return
    if cpus is None:
        suggested = "DataLoader is not able to compute a suggested max number of worker in current system."
    else:
        unset = "" if hasattr(os, "sched_getaffinity") else " (`cpuset` is not taken into account)"
        suggested = (f"Our suggested max number of worker in current system is {cpus}{unset}, which is smaller "
                     "than what this DataLoader is going to create.")
    warnings.warn(f"This DataLoader will create {num_workers} worker processes in total. {suggested} Please be "
                  "aware that excessive worker creation might get DataLoader running slow or even freeze, lower "
                  "the worker number to avoid potential slowness/freeze if necessary.", stacklevel=stacklevel + 1)


class WorkerProcesses:
    """`num_workers` daemonic processes of `context` running ``worker_loop(worker_id,
    *args, index_queue, result_queue, done_event, parent_pid)``, each with its own index
    queue, sharing one result queue."""

    def __init__(self, context, num_workers, args):
        self.owner, self.stopped = os.getpid(), False
        self.result_queue, self.done = context.Queue(), context.Event()
        self.index_queues, self.processes = [], []
        try:
            for worker_id in range(num_workers):
                index_queue = context.Queue()
                index_queue.cancel_join_thread()  # a dead worker leaves it full: never wait to flush it
                process = context.Process(target=worker_loop, daemon=True, args=(
                    worker_id, *args, index_queue, self.result_queue, self.done, self.owner))
                process.start()
                self.index_queues.append(index_queue)
                self.processes.append(process)
        except BaseException:
            self.stop()
            raise

    def send(self, worker_id, message):
        """Put `message` on worker `worker_id`'s index queue."""
        self.index_queues[worker_id].put(message)

    def receive(self, timeout):
        """The next message of the result queue. RuntimeError (torch's words) when a
        worker has died, or `timeout` seconds (> 0) pass first."""
        deadline = time.monotonic() + timeout if timeout > 0 else None
        while True:
            wait = CHECK_INTERVAL if deadline is None else max(0.0, min(CHECK_INTERVAL, deadline - time.monotonic()))
            try:
                return self.result_queue.get(timeout=wait)
            except queue.Empty:
                pass
            dead = [p for p in self.processes if not p.is_alive()]
            if dead:
                self.stop()
                pids = ", ".join(str(p.pid) for p in dead)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {timeout} seconds")

    def stop(self):
        """Ask every worker to exit, wait up to CHECK_INTERVAL, terminate those still
        running, and close the queues. Once; only in the process that started them (a
        forked child inherits this object and must leave its parent's workers alone)."""
        if self.stopped or os.getpid() != self.owner:
            return
        self.stopped = True
        try:
            self.done.set()
            for index_queue in self.index_queues:
                index_queue.put(None)
            deadline = time.monotonic() + CHECK_INTERVAL
            for process in self.processes:
                process.join(max(0.0, deadline - time.monotonic()))
            for process in self.processes:
                if process.is_alive():
                    process.terminate()
                    process.join()
        finally:
            for q in (*self.index_queues, self.result_queue):
                q.cancel_join_thread()
                q.close()
