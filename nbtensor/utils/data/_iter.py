"""What iterating a DataLoader returns: the part every iterator shares, and the
single-process one (``num_workers=0``)."""
import warnings

import nbtensor as torch
from nbtensor.utils.data._fetch import make_fetcher
from nbtensor.utils.data.dataset import IterableDataset


def draw_base_seed(generator):
    """One int64 from `generator` (nbtensor's default generator if None): the seed the
    workers' seeds derive from. Drawn for every new iterator, with or without workers, so
    that the sampler's order does not depend on `num_workers`."""
    return torch.empty((), dtype=torch.int64).random_(generator=generator).item()


class BaseIter:
    """An iterator over the batches of `loader`: the sampler's pass, the base seed, and
    torch's warning when an IterableDataset yields more batches than its length said."""

    def __init__(self, loader):
        self._dataset, self._index_sampler = loader.dataset, loader._index_sampler
        self._auto_collation, self._collate_fn = loader._auto_collation, loader.collate_fn
        self._drop_last, self._num_workers, self._timeout = loader.drop_last, loader.num_workers, loader.timeout
        self._base_seed = draw_base_seed(loader.generator)
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._len_called = loader._IterableDataset_len_called

    def _reset(self, loader):
        """Start a new pass of the sampler (the next epoch)."""
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._len_called = loader._IterableDataset_len_called

    def __iter__(self):
        return self

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        if (isinstance(self._dataset, IterableDataset) and self._len_called is not None
                and self._num_yielded > self._len_called):
            message = (f"Length of IterableDataset {self._dataset} was reported to be {self._len_called}"
                       f"(when accessing len(dataloader)), but {self._num_yielded} samples have been fetched. ")
            if self._num_workers > 0:
                message += ("For multiprocessing data-loading, this could be caused by not properly configuring "
                            "the IterableDataset replica at each worker. Please see "
                            "https://pytorch.org/docs/stable/data.html#torch.utils.data.IterableDataset for "
                            "examples.")
            warnings.warn(message, stacklevel=2)
        return data

    def _next_data(self):
        raise NotImplementedError

    def __len__(self):
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError(f"{type(self).__name__} cannot be pickled")


class SingleProcessIter(BaseIter):
    """Fetches each batch in this process when it is asked for."""

    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = make_fetcher(self._dataset, self._auto_collation, self._collate_fn, self._drop_last)

    def _next_data(self):
        return self._fetcher.fetch(next(self._sampler_iter))
