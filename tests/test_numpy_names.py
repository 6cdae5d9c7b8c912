"""``axis=``/``keepdims=`` accepted wherever torch takes ``dim=``/``keepdim=`` (D2L uses them)."""
import numpy as np
import pytest

import nbtensor as nt

from support import check

A = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


@pytest.mark.parametrize("call, expected", [
    (lambda t: t.sum(axis=1, keepdims=True), A.sum(axis=1, keepdims=True)),
    (lambda t: nt.sum(t, axis=(0, 2)), A.sum(axis=(0, 2))),
    (lambda t: t.sum(axis=[0, 1, 2]), A.sum()),
    (lambda t: t.mean(axis=0), A.mean(axis=0)),
    (lambda t: nt.amax(t, axis=-1, keepdims=True), A.max(axis=-1, keepdims=True)),
    (lambda t: t.argmax(axis=2), A.argmax(axis=2)),
    (lambda t: t.cumsum(axis=1), A.cumsum(axis=1)),
    (lambda t: nt.cat((t, t), axis=2), np.concatenate((A, A), axis=2)),
    (lambda t: nt.stack((t, t), axis=1), np.stack((A, A), axis=1)),
    (lambda t: t.unsqueeze(axis=0), A[None]),
    (lambda t: t.max(axis=1).values, A.max(axis=1)),
    (lambda t: nt.sort(-t, axis=0).values, np.sort(-A, axis=0)),
    (lambda t: nt.linalg.vector_norm(t, axis=2), np.sqrt((A * A).sum(axis=2))),
])
def test_numpy_keyword_names(call, expected):
    result = call(nt.as_tensor(A.copy()))
    np.testing.assert_allclose(result.cpu().numpy(), expected, rtol=1e-6)
    assert tuple(result.shape) == expected.shape


def test_std_and_any_with_axis():
    np.testing.assert_allclose(nt.as_tensor(A).std(axis=1).cpu().numpy(), A.std(axis=1, ddof=1), rtol=1e-6)
    check(nt.as_tensor(A > 10).any(axis=2, keepdims=True), (A > 10).any(axis=2, keepdims=True))


def test_both_spellings_at_once_is_a_type_error():
    t = nt.as_tensor(A)
    with pytest.raises(TypeError, match="dim"):
        t.sum(axis=0, dim=1)
    with pytest.raises(TypeError, match="keepdim"):
        nt.mean(t, 0, keepdim=True, keepdims=True)


def test_unknown_keywords_still_raise():
    with pytest.raises(TypeError):
        nt.as_tensor(A).sum(axes=0)
