"""nbtensor.utils.data additions: ConcatDataset, ChainDataset, StackDataset, Subset's
__getitems__, SubsetRandomSampler, WeightedRandomSampler and random_split with fractions,
checked by hand and, where torch is installed, against torch's."""
import warnings

import numpy as np
import pytest

import nbtensor as nb
from nbtensor.utils import data
from tests.support import needs_torch, torch


class _Range(data.IterableDataset):
    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self):
        return self.stop - self.start


class _Rows(data.Dataset):
    """A map-style dataset that records the batches asked of __getitems__."""

    def __init__(self, n):
        self.n, self.asked = n, []

    def __getitem__(self, i):
        return i * 10

    def __getitems__(self, indices):
        self.asked.append(list(indices))
        return [i * 10 for i in indices]

    def __len__(self):
        return self.n


def test_concat_dataset_indexes_across_parts():
    both = data.ConcatDataset([[0, 1, 2], [10, 11]])
    assert len(both) == 5 and both.cumulative_sizes == [3, 5]
    assert [both[i] for i in range(5)] == [0, 1, 2, 10, 11] and both[-1] == 11 and both[-5] == 0
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        both[-6]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        data.ConcatDataset([])
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        data.ConcatDataset([_Range(0, 2)])
    tensors = data.TensorDataset(nb.arange(3.0)) + data.TensorDataset(nb.arange(10.0, 12.0))
    assert isinstance(tensors, data.ConcatDataset) and tensors[3][0].item() == 10.0
    batches = list(data.DataLoader(tensors, batch_size=2))
    assert [b[0].cpu().numpy().tolist() for b in batches] == [[0.0, 1.0], [2.0, 10.0], [11.0]]


def test_chain_dataset_iterates_lazily():
    chained = _Range(0, 2) + _Range(5, 7)
    assert isinstance(chained, data.ChainDataset)
    assert list(chained) == [0, 1, 5, 6] and len(chained) == 4
    bad = data.ChainDataset([[1, 2]])
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(bad)
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        len(bad)
    batches = list(data.DataLoader(chained, batch_size=3))
    assert [b.cpu().numpy().tolist() for b in batches] == [[0, 1, 5], [6]]


def test_stack_dataset_zips_by_position_or_name():
    rows = _Rows(3)
    stacked = data.StackDataset([1, 2, 3], rows)
    assert len(stacked) == 3 and stacked[1] == (2, 10)
    assert stacked.__getitems__([0, 2]) == [(1, 0), (3, 20)] and rows.asked == [[0, 2]]
    named = data.StackDataset(x=[1, 2, 3], y=rows)
    assert named[2] == {"x": 3, "y": 20} and named.__getitems__([1]) == [{"x": 2, "y": 10}]
    batch = next(iter(data.DataLoader(named, batch_size=3)))
    assert batch["x"].cpu().numpy().tolist() == [1, 2, 3] and batch["y"].cpu().numpy().tolist() == [0, 10, 20]
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        data.StackDataset([1], [1, 2])
    with pytest.raises(ValueError, match="At least one dataset should be passed"):
        data.StackDataset()
    with pytest.raises(ValueError, match=r"Supported either ``tuple``- \(via ``args``\) or``dict``-"):
        data.StackDataset([1], y=[2])


def test_subset_passes_batches_to_getitems():
    rows = _Rows(6)
    part = data.Subset(rows, [5, 3, 1])
    assert part[0] == 50 and part.__getitems__([0, 2]) == [50, 10] and rows.asked == [[5, 1]]
    assert next(iter(data.DataLoader(part, batch_size=3))).cpu().numpy().tolist() == [50, 30, 10]


@pytest.mark.parametrize("n, fractions, lengths", [
    (10, [0.3, 0.3, 0.4], [3, 3, 4]),
    (5, [0.5, 0.5], [3, 2]),       # floor(2.5) each, the remainder to the first
    (7, [0.1, 0.2, 0.7], [1, 2, 4]),  # floors 0, 1, 4: two left over, dealt from the first
])
def test_random_split_fractions(n, fractions, lengths):
    nb.manual_seed(0)
    parts = data.random_split(range(n), fractions)
    assert [len(p) for p in parts] == lengths
    assert sorted(i for p in parts for i in p) == list(range(n))
    if torch is not None:
        assert [len(p) for p in torch.utils.data.random_split(range(n), fractions)] == lengths


def test_random_split_reproducible_and_checked():
    g1, g2 = nb.Generator().manual_seed(3), nb.Generator().manual_seed(3)
    assert [list(p) for p in data.random_split(range(6), [4, 2], generator=g1)] == \
        [list(p) for p in data.random_split(range(6), [4, 2], generator=g2)]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        data.random_split(range(3), [1, 1])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        data.random_split(range(3), [1.2, -0.2])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        data.random_split(range(1), [0.9, 0.1])


def test_subset_random_sampler():
    sampler = data.SubsetRandomSampler([10, 20, 30, 40])
    nb.manual_seed(5)
    first = list(sampler)
    nb.manual_seed(5)
    assert list(sampler) == first and sorted(first) == [10, 20, 30, 40] and len(sampler) == 4
    g = nb.Generator().manual_seed(1)
    loader = data.DataLoader(list(range(100)), batch_size=2, sampler=data.SubsetRandomSampler([7, 8, 9], generator=g))
    assert sorted(int(i) for b in loader for i in b.cpu().numpy()) == [7, 8, 9]


def test_weighted_random_sampler():
    sampler = data.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 12)
    assert sampler.weights.dtype is nb.float64 and len(sampler) == 12
    nb.manual_seed(2)
    drawn = list(sampler)
    nb.manual_seed(2)
    assert list(sampler) == drawn and len(drawn) == 12 and set(drawn) <= {1, 3}
    distinct = list(data.WeightedRandomSampler([1.0, 2.0, 0.5, 1.0], 4, replacement=False,
                                               generator=nb.Generator().manual_seed(0)))
    assert sorted(distinct) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        data.WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="replacement should be a boolean value, but got replacement=1"):
        data.WeightedRandomSampler([1.0], 2, replacement=1)
    with pytest.raises(ValueError, match=r"weights should be a 1d sequence but given weights have shape \(1, 1\)"):
        data.WeightedRandomSampler([[1.0]], 2)


@needs_torch
def test_batch_sampler_and_collate_match_torch():
    for drop_last in (False, True):
        mine = list(data.BatchSampler(data.SequentialSampler(range(7)), 3, drop_last))
        theirs = list(torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(7)), 3, drop_last))
        assert mine == theirs
    samples = [{"a": 1.5, "b": (1, np.float32(2.0))}, {"a": 2.5, "b": (3, np.float32(4.0))}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mine, theirs = data.default_collate(samples), torch.utils.data.default_collate(samples)
    assert mine["a"].dtype is nb.float64 and theirs["a"].dtype is torch.float64
    assert mine["a"].cpu().numpy().tolist() == theirs["a"].numpy().tolist()
    assert [x.cpu().numpy().tolist() for x in mine["b"]] == [x.numpy().tolist() for x in theirs["b"]]
    assert str(mine["b"][1].dtype).split(".")[-1] == str(theirs["b"][1].dtype).split(".")[-1]
