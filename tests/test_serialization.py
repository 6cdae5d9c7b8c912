"""nbtensor.save / nbtensor.load: round trips, torch's .pt files, and damaged files."""
import io
import pickle
import zipfile

import numpy as np
import pytest

import nbtensor as nb
from nbtensor import nn

pytestmark = pytest.mark.cpu_only  # files hold host values; devices are tested through .to()


def _round_trip(obj):
    buf = io.BytesIO()
    nb.save(obj, buf)
    buf.seek(0)
    return nb.load(buf)


def test_round_trip_of_tensors_containers_and_views():
    x = nb.arange(12.0).reshape(3, 4)
    obj = {"x": x, "t": x.t(), "s": x[::2, 1:], "i": nb.tensor([1, 2], dtype=nb.int16), "h": x.half(),
           "b": nb.tensor(True), "nested": [nb.tensor(2.5), ("text", 3)]}
    back = _round_trip(obj)
    for key in ("x", "t", "s", "i", "h", "b"):
        assert back[key].dtype is obj[key].dtype and back[key].shape == obj[key].shape
        np.testing.assert_array_equal(back[key].numpy(), obj[key].numpy())
    assert back["nested"][1] == ("text", 3) and back["nested"][0].item() == 2.5
    w = nb.ones(2, requires_grad=True)
    assert _round_trip(w).requires_grad


def test_state_dict_round_trip_into_a_fresh_model():
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    clone = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    clone.load_state_dict(_round_trip(net.state_dict()))
    x = nb.randn(5, 4)
    np.testing.assert_array_equal(clone(x).detach().numpy(), net(x).detach().numpy())


def test_damaged_files_raise_and_load_nothing(tmp_path):
    buf = io.BytesIO()
    nb.save({"x": nb.arange(100.0)}, buf)
    data = buf.getvalue()
    for damaged in (data[:50], data[:len(data) // 2], b"not a zip at all", b""):
        with pytest.raises(RuntimeError, match="cannot load"):
            nb.load(io.BytesIO(damaged))
    # a storage shorter than its record says
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name)[:40] if "/data/" in name else src.read(name))
    with pytest.raises(RuntimeError, match="holds 40 bytes"):
        nb.load(io.BytesIO(out.getvalue()))


def test_a_record_reaching_outside_its_storage_is_refused():
    from nbtensor.serialization import _rebuild_tensor
    storage = np.arange(6, dtype=np.float32)
    with pytest.raises(RuntimeError, match="reach outside its storage"):
        _rebuild_tensor(storage, 2, (2, 3), (3, 1))
    np.testing.assert_array_equal(_rebuild_tensor(storage, 1, (2, 2), (1, 2)).numpy(), [[1, 3], [2, 4]])


def test_loading_code_needs_weights_only_false():
    class Evil:
        def __reduce__(self):
            return (print, ("ran code",))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"x": Evil()}, protocol=2))
    with pytest.raises(RuntimeError, match="refusing to load (__builtin__|builtins).print"):
        nb.load(io.BytesIO(buf.getvalue()))


def test_reads_torchs_own_files(tmp_path):
    torch = pytest.importorskip("torch")
    sd = {"w": torch.arange(6.0).reshape(2, 3), "t": torch.arange(6.0).reshape(2, 3).t(), "v": torch.arange(10.0)[2:8:2],
          "l": torch.tensor([1, 2]), "h": torch.ones(2, dtype=torch.float16), "b": torch.tensor(True), "n": 3}
    torch.save(sd, tmp_path / "sd.pt")
    got = nb.load(tmp_path / "sd.pt")
    for key in ("w", "t", "v", "l", "h", "b"):
        np.testing.assert_array_equal(got[key].numpy(), sd[key].numpy())
        assert got[key].shape == tuple(sd[key].shape)
    assert got["n"] == 3
    ref = torch.nn.Sequential(torch.nn.Linear(3, 2))
    torch.save(ref.state_dict(), tmp_path / "net.pt")
    mine = nn.Sequential(nn.Linear(3, 2))
    mine.load_state_dict(nb.load(tmp_path / "net.pt"))
    np.testing.assert_array_equal(mine[0].weight.detach().numpy(), ref[0].weight.detach().numpy())
    torch.save(ref, tmp_path / "whole.pt")  # a pickled Module: code, refused by default
    with pytest.raises(RuntimeError, match="refusing to load torch.nn"):
        nb.load(tmp_path / "whole.pt")


def test_torch_reads_nbtensors_files(tmp_path):
    torch = pytest.importorskip("torch")
    sd = {"w": nb.arange(6.0).view(2, 3), "t": nb.arange(6.0).view(2, 3).t(), "l": nb.tensor([1, 2]),
          "h": nb.ones(2, dtype=nb.float16), "b": nb.tensor(True), "s": nb.tensor(2.5, dtype=nb.float64),
          "g": nb.ones(2, requires_grad=True), "nested": [nb.zeros(1), (nb.arange(3), 3, "x")]}
    nb.save(sd, tmp_path / "sd.pt")
    got = torch.load(tmp_path / "sd.pt")  # weights_only=True: torch's names only
    for key in ("w", "t", "l", "h", "b", "s", "g"):
        np.testing.assert_array_equal(got[key].detach().numpy(), sd[key].detach().numpy())
        assert got[key].shape == tuple(sd[key].shape) and str(got[key].dtype)[6:] == str(sd[key].dtype)[9:]
    assert got["g"].requires_grad and not got["w"].requires_grad
    assert got["nested"][1][1:] == (3, "x") and got["nested"][1][0].tolist() == [0, 1, 2]
    mine = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    nb.save(mine.state_dict(), tmp_path / "net.pt")
    ref = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    ref.load_state_dict(torch.load(tmp_path / "net.pt"))  # strict: every key and shape
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(ref(torch.from_numpy(x)).detach().numpy(), mine(nb.from_numpy(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-7)  # (float32 sums of random weights may cancel to near 0)
    nb.save(mine[0].weight, tmp_path / "p.pt")
    assert isinstance(torch.load(tmp_path / "p.pt"), torch.nn.Parameter)


def test_pickle_keeps_shape_dtype_and_requires_grad():
    # pickle (and so copy.deepcopy of containers, multiprocessing) round-trips by value;
    # torch keeps a 0-d tensor 0-d and a tensor's requires_grad (the copy is a leaf)
    for t in (nb.tensor(2.5), nb.arange(6).view(2, 3).t(), nb.ones(0, 3, dtype=nb.float64)):
        back = pickle.loads(pickle.dumps(t))
        assert back.shape == t.shape and back.dtype is t.dtype and back.tolist() == t.tolist()
        assert back.is_contiguous()
    w = nb.ones(2, requires_grad=True)
    for t in (w, w * 2):
        back = pickle.loads(pickle.dumps(t))
        assert back.requires_grad and back.is_leaf and back.tolist() == t.tolist()
    assert not pickle.loads(pickle.dumps(nb.ones(2))).requires_grad
