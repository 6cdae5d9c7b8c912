"""nbtensor.distributions against torch.distributions (log_prob, mean, variance) and sample
statistics; nbtensor.broadcast_shapes."""
import numpy as np
import pytest

import nbtensor as nb
from nbtensor import distributions as D

torch = pytest.importorskip("torch")


def _np(t):
    return t.detach().cpu().numpy()


CASES = [
    ("Normal", lambda m: m.distributions.Normal(m.tensor([0.0, 1.5]), m.tensor([1.0, 0.5])),
     lambda m: m.tensor([0.3, 2.0])),
    ("Uniform", lambda m: m.distributions.Uniform(m.tensor([0.0, -1.0]), m.tensor([2.0, 1.0])),
     lambda m: m.tensor([0.5, 0.25])),
    ("Bernoulli", lambda m: m.distributions.Bernoulli(m.tensor([0.3, 0.9])), lambda m: m.tensor([1.0, 0.0])),
    ("Bernoulli_logits", lambda m: m.distributions.Bernoulli(logits=m.tensor([-1.0, 2.0])),
     lambda m: m.tensor([1.0, 0.0])),
    ("Categorical", lambda m: m.distributions.Categorical(m.tensor([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])),
     lambda m: m.tensor([2, 0])),
    ("Multinomial", lambda m: m.distributions.Multinomial(10, m.tensor([0.2, 0.3, 0.5])),
     lambda m: m.tensor([2.0, 3.0, 5.0])),
]


@pytest.mark.parametrize("make, value", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_log_prob_and_moments_match_torch(make, value):
    ours, theirs = make(nb), make(torch)
    np.testing.assert_allclose(_np(ours.log_prob(value(nb))), theirs.log_prob(value(torch)).numpy(), rtol=1e-5)
    for moment in ("mean", "variance"):
        expected = getattr(theirs, moment).numpy()
        np.testing.assert_allclose(_np(getattr(ours, moment)), expected, rtol=1e-6, equal_nan=True)


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
def test_samples_have_the_right_statistics_and_follow_the_seed():
    nb.manual_seed(1)
    x = D.Normal(2.0, 3.0).sample((20000,))
    assert abs(float(x.mean()) - 2.0) < 0.1 and abs(float(x.std()) - 3.0) < 0.1
    c = D.Categorical(nb.tensor([0.1, 0.2, 0.7])).sample((20000,))
    freq = [float((c == k).float().mean()) for k in range(3)]
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.7], atol=0.015)
    counts = D.Multinomial(1000, nb.ones(6) / 6).sample()
    assert float(counts.sum()) == 1000 and counts.shape == (6,)
    nb.manual_seed(5)
    a = D.Bernoulli(nb.tensor(0.4)).sample((50,))
    nb.manual_seed(5)
    assert _np(D.Bernoulli(nb.tensor(0.4)).sample((50,))).tolist() == _np(a).tolist()
    u = D.Uniform(1.0, 3.0).sample((1000,))
    assert 1.0 <= float(u.min()) and float(u.max()) < 3.0
    with pytest.raises(ValueError, match="scale"):
        D.Normal(0.0, -1.0)


def test_broadcast_shapes_matches_torch():
    for shapes in [((2, 3), (3,)), ((2, 1), (1, 4)), (5, (3, 1)), ((),)]:
        assert tuple(nb.broadcast_shapes(*shapes)) == tuple(torch.broadcast_shapes(*shapes))
    with pytest.raises(RuntimeError, match="must match"):
        nb.broadcast_shapes((2, 3), (4,))
