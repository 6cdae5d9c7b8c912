"""Turning samples into batches (torch.utils.data default_collate / default_convert)."""
import collections.abc

import numpy as np

import nbtensor as torch

__all__ = ["default_collate", "default_convert"]


def default_collate(batch):
    """Stack a list of samples into a batch, as torch's: tensors are stacked; Python floats
    become a float64 tensor, ints int64, bools bool, NumPy scalars keep their dtype; dicts
    and named tuples are collated per field, other sequences (tuples too) into a list of
    per-position batches; anything else is returned as it is."""
    first = batch[0]
    if isinstance(first, torch.Tensor):
        return torch.stack(list(batch))
    if isinstance(first, float):
        return torch.tensor(batch, dtype=torch.float64)
    if isinstance(first, (bool, int)):
        return torch.tensor(batch)
    if isinstance(first, np.number):
        return torch.as_tensor(np.array(batch))
    if isinstance(first, np.ndarray):
        return torch.tensor(np.stack(batch))
    if isinstance(first, dict):
        return {key: default_collate([b[key] for b in batch]) for key in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(first, (tuple, list)):
        return [default_collate(list(samples)) for samples in zip(*batch)]
    return batch


def default_convert(data):
    """What a loader without batching (``batch_size=None``) does to each sample: NumPy
    arrays and scalars become tensors, inside dicts, named tuples and sequences too (a
    tuple becomes a list, as torch's); anything else is returned as it is."""
    if isinstance(data, torch.Tensor):
        return data
    if isinstance(data, (np.ndarray, np.number, np.bool_)):
        return data if data.dtype.kind in "OSUV" else torch.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(value) for key, value in data.items()}
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
