"""``Tensor.untyped_storage()`` and ``Tensor.storage()``: the memory a tensor and its views
share, as bytes and as elements, against NumPy's view of the same values and torch."""
import warnings

import numpy as np
import pytest

import nbtensor as nt
from nbtensor.ops import storages


def _bytes_of(values, dtype):
    return np.ascontiguousarray(np.asarray(values, dtype)).view(np.uint8).tolist()


def test_views_share_one_storage_and_its_address(device):
    x = nt.arange(12.0, device=device).reshape(3, 4)
    views = [x[1:], x.t(), x[:, 2], x.view(-1)]
    for v in views:
        assert v.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
        assert v.untyped_storage().nbytes() == 48
    # the storage begins where the tensor's own first element is at offset 0
    assert x[1:].data_ptr() - x.untyped_storage().data_ptr() == 4 * x[1:].storage_offset()
    assert nt.arange(12.0, device=device).untyped_storage().data_ptr() != x.untyped_storage().data_ptr()


def test_a_copy_has_its_own_storage(device):
    x = nt.ones(3, device=device)
    assert x.clone().untyped_storage().data_ptr() != x.untyped_storage().data_ptr()


@pytest.mark.parametrize("dtype, np_dtype", [(nt.float32, np.float32), (nt.int64, np.int64), (nt.bool, np.bool_),
                                             (nt.float64, np.float64)])
def test_untyped_storage_holds_the_whole_memory_as_bytes(device, dtype, np_dtype):
    values = [1, 0, 3, 2, 5]
    x = nt.tensor(values, dtype=dtype, device=device)[1:4]  # (a view: the storage is all five)
    s = x.untyped_storage()
    expected = _bytes_of(values, np_dtype)
    assert s.size() == s.nbytes() == len(s) == len(expected)
    assert s.tolist() == expected and list(s) == expected
    assert s[1] == expected[1] and s[-1] == expected[-1] and s[2:5] == expected[2:5]
    assert s.element_size() == 1 and s.dtype is nt.uint8 and s.device == x.device


def test_typed_storage_holds_the_elements_and_warns_once(device, monkeypatch):
    monkeypatch.setattr(storages, "_warned", False)  # (as in a fresh process)
    x = nt.tensor([[1.5, -2.0], [3.25, 4.0]], device=device).t()
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        s = x.storage()
    assert s.size() == len(s) == 4 and s.dtype is nt.float32 and s.element_size() == 4
    assert s.tolist() == [1.5, -2.0, 3.25, 4.0] and s[2] == 3.25 and s[-1] == 4.0
    assert s.nbytes() == 16 and s.data_ptr() == x.untyped_storage().data_ptr()
    assert s.untyped().tolist() == _bytes_of([1.5, -2.0, 3.25, 4.0], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.storage()  # (the deprecation warning came once, as torch's)


def test_storage_index_out_of_range_names_the_size(device):
    s = nt.ones(3, device=device).untyped_storage()
    with pytest.raises(IndexError, match="index 12 out of range for storage of size 12"):
        s[12]


def test_printing_lists_the_values_then_the_kind(device):
    x = nt.tensor([1.0, 2.0], device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = repr(x.storage())
    lines = text.splitlines()
    assert lines[:2] == [" 1.0", " 2.0"]
    assert lines[2] == f"[nbtensor.storage.TypedStorage(dtype=nbtensor.float32, device={x.device}) of size 2]"
    assert repr(x.untyped_storage()).splitlines()[-1] == (
        f"[nbtensor.storage.UntypedStorage(device={x.device}) of size 8]")


@pytest.mark.cpu_only
def test_matches_torch():
    torch = pytest.importorskip("torch")
    values = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    for make_view in (lambda t: t, lambda t: t[1:], lambda t: t.t(), lambda t: t[:, 1]):
        ours, theirs = make_view(nt.tensor(values)), make_view(torch.tensor(values))
        assert ours.untyped_storage().tolist() == theirs.untyped_storage().tolist()
        assert ours.untyped_storage().nbytes() == theirs.untyped_storage().nbytes()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert ours.storage().tolist() == theirs.storage().tolist()
            assert ours.storage().size() == theirs.storage().size()
