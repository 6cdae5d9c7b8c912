"""Fetchers: turn one index (or list of indices) from the sampler into a collated batch.
The same fetcher runs in the main process (``num_workers=0``) and in each worker."""
import nbtensor as torch
from nbtensor.utils.data.collate import default_collate
from nbtensor.utils.data.dataset import IterableDataset, TensorDataset


class MapFetcher:
    """``dataset[i]`` for each index of a batch (or ``dataset.__getitems__(batch)`` where
    defined), then `collate_fn`. A TensorDataset with the default collate is indexed once
    per tensor and batch instead (the same batch, without a stack of rows)."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn
        self.whole_rows = auto_collation and collate_fn is default_collate and type(dataset) is TensorDataset
        getitems = getattr(dataset, "__getitems__", None) if auto_collation else None
        self.getitems = getitems or None

    def fetch(self, index):
        """The batch for `index` (a list of indices with batching, else one index)."""
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self.whole_rows:
            rows = torch.tensor(index, dtype=torch.int64)
            return [t[rows] for t in self.dataset.tensors]  # (a list: the default collate's batch)
        if self.getitems is not None:
            return self.collate_fn(self.getitems(index))
        return self.collate_fn([self.dataset[i] for i in index])


class IterableFetcher:
    """The next samples of one iterator over an IterableDataset (as many as the batch has
    indices; the indices themselves are placeholders). Raises StopIteration once the
    iterator is spent, and for a short last batch under `drop_last`."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.iterator, self.ended = iter(dataset), False
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last

    def fetch(self, index):
        """The next batch (or sample, without batching)."""
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.iterator))
        data = []
        for _ in index:
            try:
                data.append(next(self.iterator))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return self.collate_fn(data)


def make_fetcher(dataset, auto_collation, collate_fn, drop_last):
    """The fetcher for `dataset`'s kind (map-style or iterable)."""
    kind = IterableFetcher if isinstance(dataset, IterableDataset) else MapFetcher
    return kind(dataset, auto_collation, collate_fn, drop_last)
