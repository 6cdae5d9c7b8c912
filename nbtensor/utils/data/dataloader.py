"""``DataLoader``: batches of a dataset, fetched in this process or by worker processes."""
import multiprocessing
import multiprocessing.context
import warnings

import nbtensor as torch
from nbtensor.utils.data._iter import SingleProcessIter
from nbtensor.utils.data._processes import warn_if_too_many
from nbtensor.utils.data._workers_iter import WorkersIter
from nbtensor.utils.data.collate import default_collate, default_convert
from nbtensor.utils.data.dataset import IterableDataset
from nbtensor.utils.data.sampler import BatchSampler, InfiniteConstantSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader"]

_FIXED_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


class DataLoader:
    """Mini-batches of `dataset`, as torch's DataLoader.

    Order: `sampler` or `batch_sampler` if given, else the indices in order or, with
    `shuffle`, a random permutation per epoch drawn from `generator`. Batching:
    `batch_size` samples (None: no batching, each sample through `default_convert`) joined
    by `collate_fn` (`default_collate`), the last batch dropped if short and `drop_last`.
    A TensorDataset with the default collate is indexed once per batch.

    Workers: with ``num_workers > 0`` that many processes of `multiprocessing_context`
    (the platform's default: fork on Linux; or 'spawn', 'forkserver', a context) fetch the
    batches, `prefetch_factor` (default 2) each ahead, and the batches come back in the
    sampler's order, the same batches as with no workers. Each worker calls
    `worker_init_fn(worker_id)` after seeding nbtensor and `random` with base_seed +
    worker_id (NumPy too), base_seed being drawn from `generator` once per iterator; see
    `get_worker_info`. An exception in a worker is raised here again, saying which worker,
    with its traceback. `timeout` (seconds, 0 = wait forever) bounds the wait for one
    batch. `persistent_workers` keeps the workers from one epoch to the next; otherwise
    they stop when an epoch ends or its iterator is dropped. `pin_memory` is accepted and
    does nothing (batches are built on the CPU or the dataset's device). Tensors cross from
    the workers pickled by value (a leaf that requires grad still does).
    """

    __initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers "
                             "> 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        if isinstance(dataset, IterableDataset):
            for name, value in (("shuffle", shuffle), ("sampler", sampler), ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, "
                                     f"but got {name}={value}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")
        if sampler is None:
            if isinstance(dataset, IterableDataset):
                sampler = InfiniteConstantSampler()
            else:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        if pin_memory:
            _warn_pin_memory()

        self.dataset, self.num_workers, self.prefetch_factor = dataset, num_workers, prefetch_factor
        self.pin_memory, self.pin_memory_device, self.in_order = pin_memory, pin_memory_device, in_order
        self.timeout, self.worker_init_fn, self.generator = timeout, worker_init_fn, generator
        self.batch_size, self.drop_last, self.sampler, self.batch_sampler = batch_size, drop_last, sampler, batch_sampler
        self.multiprocessing_context = multiprocessing_context
        self.collate_fn = collate_fn or (default_collate if batch_sampler is not None else default_convert)
        self.persistent_workers = persistent_workers
        self._IterableDataset_len_called = None
        self._iterator = None
        self.__initialized = True
        warn_if_too_many(num_workers, stacklevel=2)

    @property
    def multiprocessing_context(self):
        """The multiprocessing context the workers start in (None: the default one)."""
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context):
        self.__multiprocessing_context = _check_context(context, self.num_workers)

    def __setattr__(self, name, value):
        if self.__initialized and name in _FIXED_AFTER_INIT:
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        """An iterator over one epoch's batches. With persistent workers, the same one each
        epoch, restarted."""
        if self.num_workers == 0:
            return SingleProcessIter(self)
        if not self.persistent_workers:
            return WorkersIter(self)
        if self._iterator is None:
            self._iterator = WorkersIter(self)
        else:
            self._iterator._reset(self)
        return self._iterator

    def __len__(self):
        if not isinstance(self.dataset, IterableDataset):
            return len(self._index_sampler)
        length = self._IterableDataset_len_called = len(self.dataset)
        if self.batch_size is not None:
            length = length // self.batch_size if self.drop_last else -(-length // self.batch_size)
        return length


def _check_context(context, num_workers):
    """`multiprocessing_context` as a context object (None stays None), or torch's errors."""
    if context is None:
        return None
    if num_workers <= 0:
        raise ValueError("multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
                         f"but got num_workers={num_workers}")
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError(f"multiprocessing_context option should specify a valid start method in {methods!r}, "
                             f"but got multiprocessing_context={context!r}")
        context = multiprocessing.get_context(context)
    if not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError("multiprocessing_context option should be a valid context object or a string specifying "
                        f"the start method, but got multiprocessing_context={context}")
    return context


def _warn_pin_memory():
    if not torch.cuda.is_available():
        warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                      "memory won't be used.", stacklevel=3)

