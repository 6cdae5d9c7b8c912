"""``nbtensor.utils.data`` (torch.utils.data): datasets, samplers and the batching loader
(in this process or in worker processes).

Modules: ``dataset`` (Dataset, IterableDataset, TensorDataset, StackDataset, ConcatDataset,
ChainDataset, Subset, random_split),
``sampler``, ``collate`` (default_collate, default_convert), ``dataloader`` (DataLoader,
argument checks); behind it ``_iter`` (the iterators' shared part and the single-process
one), ``_workers_iter`` (dispatch to workers, ordering, epochs), ``_processes`` (starting,
watching and stopping the worker processes), ``_worker`` (the worker's loop, seeding,
get_worker_info), ``_fetch`` (indices to a batch), ``_transfer`` (batches as bytes across
processes) and ``_failure`` (a worker's exception raised again).
"""
from nbtensor.utils.data._worker import WorkerInfo, get_worker_info
from nbtensor.utils.data.collate import default_collate, default_convert
from nbtensor.utils.data.dataloader import DataLoader
from nbtensor.utils.data.dataset import (
    ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset, TensorDataset, random_split)
from nbtensor.utils.data.sampler import (
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset", "ChainDataset",
           "DataLoader", "random_split", "Subset", "default_collate", "default_convert", "get_worker_info",
           "WorkerInfo", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]
