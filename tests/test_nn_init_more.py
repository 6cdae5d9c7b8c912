"""nn.init.sparse_ and torch's deprecated initialiser names."""
import math

import numpy as np
import pytest

import nbtensor as nb


@pytest.mark.parametrize("rows, sparsity", [(100, 0.3), (7, 0.5), (5, 0.0)])
def test_sparse_zeroes_that_many_rows_of_each_column(rows, sparsity):
    w = nb.empty(rows, 4)
    assert nb.nn.init.sparse_(w, sparsity, std=0.5) is w
    zeros = (w.cpu().numpy() == 0).sum(0)
    np.testing.assert_array_equal(zeros, [math.ceil(sparsity * rows)] * 4)
    kept = w.cpu().numpy()[w.cpu().numpy() != 0]
    if kept.size > 50:
        assert 0.3 < kept.std() < 0.7  # (drawn from N(0, 0.5))


def test_sparse_needs_a_matrix():
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        nb.nn.init.sparse_(nb.empty(3), 0.5)


def test_deprecated_names_warn_and_initialise():
    w = nb.empty(2, 3)
    with pytest.warns(FutureWarning, match=r"`nn.init.constant` is now deprecated in favor of `nn.init.constant_`"):
        assert nb.nn.init.constant(w, 2.0) is w
    np.testing.assert_array_equal(w.cpu().numpy(), np.full((2, 3), 2.0))
    with pytest.warns(FutureWarning, match="nn.init.eye"):
        nb.nn.init.eye(w)
    np.testing.assert_array_equal(w.cpu().numpy(), np.eye(2, 3))


@pytest.mark.parametrize("name", ["normal_", "uniform_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                  "kaiming_normal_", "trunc_normal_", "orthogonal_"])
def test_initialisers_draw_from_the_generator_given(name):
    init = getattr(nb.nn.init, name)
    a, b, c = nb.empty(3, 4), nb.empty(3, 4), nb.empty(3, 4)
    init(a, generator=nb.Generator().manual_seed(3))
    init(b, generator=nb.Generator().manual_seed(3))
    init(c, generator=nb.Generator().manual_seed(4))
    np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())  # (the generator's seed decides the values)
    assert not np.array_equal(a.cpu().numpy(), c.cpu().numpy())


def test_alpha_dropout_of_integers_and_fro_norm_over_three_dims_raise_as_torch():
    F = nb.nn.functional
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        F.alpha_dropout(nb.ones(4, dtype=nb.int64), 0.5, True)
    assert F.alpha_dropout(nb.ones(4, dtype=nb.int64), 1.0, True).dtype is nb.int64  # (all dropped: x * 0)
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"):
        nb.norm(nb.ones(2, 3, 4), "fro", dim=(0, 1, 2))
    np.testing.assert_allclose(nb.norm(nb.ones(2, 3, 4), "fro", dim=[0, 2]).cpu().numpy(), [8 ** 0.5] * 3, rtol=1e-6)
