"""What D2L readers print or rely on outside the tensor core, checked against torch 2.13's
observed output (written out here, so these run without torch): the DataLoader's batches,
copy.deepcopy of tensors and models, and torch.distributions as the book imports and
prints it."""
import copy

import numpy as np
import pytest

import nbtensor as nb
from nbtensor.utils import data


def _np(t):
    return t.detach().cpu().numpy()


# ------------------------------------------------------------------ the DataLoader's batches
def test_a_batch_of_a_tensor_dataset_is_a_list_as_torch_prints_it():
    # D2L 3.3 prints next(iter(data_iter)): torch's default collate makes a list
    X, y = nb.arange(8.0).reshape(4, 2), nb.arange(4)
    batch = next(iter(data.DataLoader(data.TensorDataset(X, y), batch_size=2)))
    assert type(batch) is list and len(batch) == 2
    np.testing.assert_array_equal(_np(batch[0]), [[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(_np(batch[1]), [0, 1])


def test_default_collate_of_python_numbers_and_sequences():
    collate = data.default_collate
    floats = collate([1.5, 2.5])
    assert floats.dtype is nb.float64  # (Python floats are doubles, as in torch)
    np.testing.assert_array_equal(_np(floats), [1.5, 2.5])
    assert collate([1, 2]).dtype is nb.int64 and collate([True, False]).dtype is nb.bool
    assert collate([np.float32(1), np.float32(2)]).dtype is nb.float32
    pairs = collate([(1, 2.0), (3, 4.0)])
    assert type(pairs) is list
    np.testing.assert_array_equal(_np(pairs[0]), [1, 3])
    assert pairs[1].dtype is nb.float64
    rows = collate([[1, 2], [3, 4]])  # a list per position
    assert type(rows) is list
    np.testing.assert_array_equal(_np(rows[1]), [2, 4])
    assert collate(["a", "b"]) == ["a", "b"]


# ------------------------------------------------------------------ copy.deepcopy
def test_deepcopy_of_a_leaf_is_a_leaf_with_its_own_memory_and_grad():
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    x.grad = nb.tensor([3.0, 4.0])
    y = copy.deepcopy(x)
    assert y.is_leaf and y.requires_grad and y.grad_fn is None
    np.testing.assert_array_equal(_np(y.grad), [3.0, 4.0])
    assert y.grad is not x.grad
    with nb.no_grad():
        y.add_(10)
    np.testing.assert_array_equal(_np(x), [1.0, 2.0])
    (y * y).sum().backward()
    np.testing.assert_array_equal(_np(y.grad), [3.0 + 22.0, 4.0 + 24.0])


def test_deepcopy_of_a_non_leaf_raises_torchs_error():
    x = nb.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
        copy.deepcopy(x * 2)


def test_deepcopy_keeps_one_copy_per_tensor():
    a = nb.arange(3.0)
    first, second = copy.deepcopy([a, a])
    assert first is second


def test_deepcopy_of_a_model_trains_the_copy_only():
    # (early stopping keeps copy.deepcopy(net): its parameters must be trainable leaves)
    net = nb.nn.Linear(2, 1)
    best = copy.deepcopy(net)
    for p in best.parameters():
        assert p.is_leaf and p.requires_grad and isinstance(p, nb.nn.Parameter)
    before = _np(net.weight).copy()
    trainer = nb.optim.SGD(best.parameters(), lr=0.5)
    best(nb.ones(1, 2)).sum().backward()
    trainer.step()
    np.testing.assert_allclose(_np(best.weight), before - 0.5, rtol=1e-6)  # d(sum)/dw = 1
    np.testing.assert_array_equal(_np(net.weight), before)
    assert net.weight.grad is None


# ------------------------------------------------------------------ torch.distributions
def test_distributions_import_as_the_book_writes_it():
    from nbtensor.distributions.multinomial import Multinomial
    from nbtensor.distributions.normal import Normal
    assert Multinomial is nb.distributions.Multinomial and Normal is nb.distributions.Normal
    counts = Multinomial(10, nb.ones(6) / 6).sample()
    assert counts.shape == (6,) and float(counts.sum()) == 10.0


def test_distribution_reprs_as_torch_prints_them():
    D = nb.distributions
    assert repr(D.Normal(0, 1)) == "Normal(loc: 0.0, scale: 1.0)"
    assert repr(D.Normal(nb.zeros(2), 1)) == "Normal(loc: nbtensor.Size([2]), scale: nbtensor.Size([2]))"
    assert repr(D.Uniform(0, 2)) == "Uniform(low: 0.0, high: 2.0)"
    assert repr(D.Bernoulli(0.3)) == "Bernoulli(probs: 0.30000001192092896)"  # (float32 0.3)
    assert repr(D.Bernoulli(logits=nb.tensor(0.0))) == "Bernoulli(logits: 0.0)"
    assert repr(D.Categorical(nb.tensor([0.2, 0.8]))) == "Categorical(probs: nbtensor.Size([2]))"
    assert repr(D.Multinomial(10, nb.tensor([0.5, 0.5]))) == "Multinomial()"


def test_the_namespaces_math_constants():
    import math
    assert (nb.pi, nb.e, nb.inf) == (math.pi, math.e, math.inf) and math.isnan(nb.nan)
    assert type(nb.pi) is float  # (Python floats, as torch's)
