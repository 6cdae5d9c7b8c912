"""``nbtensor.utils.data`` (torch.utils.data): datasets and the batching loader."""
import numpy as np

import nbtensor as torch

__all__ = ["Dataset", "TensorDataset", "DataLoader", "random_split", "Subset", "default_collate"]


class Dataset:
    """Map-style dataset: ``__getitem__(i)`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")


class TensorDataset(Dataset):
    """Samples are the i-th rows of `tensors` (which share their first dimension)."""

    def __init__(self, *tensors):
        if any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=None):
    """Split `dataset` into non-overlapping random subsets of the given lengths (or fractions)."""
    n = len(dataset)
    if all(0 <= x <= 1 for x in lengths) and abs(sum(lengths) - 1) < 1e-9 and sum(lengths) != n:
        counts = [int(n * f) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    order = torch.randperm(n, generator=generator).tolist()
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, order[start:start + length]))
        start += length
    return out


def default_collate(batch):
    """Stack a list of samples into a batch (tensors, numbers, tuples, dicts)."""
    first = batch[0]
    if isinstance(first, torch.Tensor):
        return torch.stack(list(batch))
    if isinstance(first, (bool, int, float, np.number)):
        return torch.tensor(batch)
    if isinstance(first, np.ndarray):
        return torch.tensor(np.stack(batch))
    if isinstance(first, dict):
        return {key: default_collate([b[key] for b in batch]) for key in first}
    if isinstance(first, (tuple, list)):
        return type(first)(default_collate(list(samples)) for samples in zip(*batch)) \
            if not hasattr(first, "_fields") else type(first)(*(default_collate(list(s)) for s in zip(*batch)))
    return batch


class DataLoader:
    """Mini-batches of a dataset: `batch_size`, `shuffle` (with a `generator`), `drop_last`,
    `collate_fn`. A TensorDataset without a collate_fn is batched by indexing its tensors
    once per batch."""

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 generator=None, **kwargs):
        if num_workers:
            raise NotImplementedError("DataLoader(num_workers > 0) is not implemented in nbtensor yet: use 0")
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle
        self.drop_last, self.collate_fn, self.generator = drop_last, collate_fn, generator
        self.sampler = sampler

    def _order(self):
        n = len(self.dataset)
        if self.sampler is not None:
            return list(self.sampler)
        if self.shuffle:
            return torch.randperm(n, generator=self.generator).tolist()
        return list(range(n))

    def __iter__(self):
        order = self._order()
        size = self.batch_size
        stop = len(order) - (len(order) % size if self.drop_last else 0)
        fast = self.collate_fn is None and isinstance(self.dataset, TensorDataset)
        for i in range(0, stop, size):
            idx = order[i:i + size]
            if fast:
                index = torch.tensor(idx)
                yield tuple(t[index] for t in self.dataset.tensors)
            else:
                yield (self.collate_fn or default_collate)([self.dataset[j] for j in idx])

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
