"""The chapter 3 examples (linear regression, softmax regression, MLP from scratch) and the
IDX reader they use for Fashion-MNIST."""
import gzip
import struct
import sys

import numpy as np
import pytest

from nbtensor.examples import data, linear_regression, mlp, softmax_regression

pytestmark = pytest.mark.cpu_only  # the examples take --device; the suite's other device is test-only


def _write_idx(path, array, compress):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D}
    array = np.ascontiguousarray(array)
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


@pytest.mark.parametrize("compress", [True, False])
def test_read_idx_round_trips_what_it_wrote(tmp_path, compress):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    floats = np.linspace(-1, 1, 6).astype(">f4").reshape(3, 2)
    _write_idx(tmp_path / "a.gz" if compress else tmp_path / "a", images, compress)
    _write_idx(tmp_path / "b", floats, False)
    got = data.read_idx(tmp_path / ("a.gz" if compress else "a"))
    np.testing.assert_array_equal(got, images)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "b"), floats.astype(np.float32))


def test_read_idx_refuses_what_is_not_idx(tmp_path):
    (tmp_path / "junk").write_bytes(b"\x01\x02\x03\x04hello")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(tmp_path / "junk")
    _write_idx(tmp_path / "short", np.zeros((4, 4), np.uint8), False)
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-3])
    with pytest.raises(ValueError, match="expected 16 bytes"):
        data.read_idx(tmp_path / "short")


def _fake_fashion_mnist(directory, n=64):
    rng = np.random.default_rng(1)
    for split in ("train", "test"):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = (labels[:, None, None] * 20 + rng.integers(0, 40, (n, 28, 28))).astype(np.uint8)
        img_name, lbl_name = data.FILES[split]
        _write_idx(directory / (img_name + ".gz"), images, True)
        _write_idx(directory / lbl_name, labels, False)
    return directory


def test_fashion_mnist_reader_scales_and_shapes(tmp_path):
    train_x, train_y, test_x, test_y = data.fashion_mnist(str(_fake_fashion_mnist(tmp_path)))
    assert train_x.shape == (64, 1, 28, 28) and train_x.dtype == np.float32 and train_y.dtype == np.int64
    assert 0.0 <= train_x.min() and train_x.max() <= 1.0 and test_x.shape == (64, 1, 28, 28)
    assert set(np.unique(test_y)) <= set(range(10))


def test_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.*not found in"):
        data.fashion_mnist(str(tmp_path))


def test_linear_regression_recovers_the_true_parameters(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["linear_regression"])
    w, b = linear_regression.main()
    np.testing.assert_allclose(w.detach().reshape(-1).tolist(), [2.0, -3.4], atol=0.02)
    assert abs(b.item() - 4.2) < 0.02
    assert capsys.readouterr().out.count("epoch ") == 3


def _epoch_lines(capsys):
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch ")]


def _field(line, name):
    return float(line.split(name + " ")[1].split(",")[0].split()[0])


def test_softmax_regression_learns_the_offline_set(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["softmax_regression", "--epochs", "4"])
    softmax_regression.main()
    lines = _epoch_lines(capsys)
    assert len(lines) == 4 and _field(lines[-1], "test acc") > 0.5  # chance: 0.1
    assert _field(lines[-1], "loss") < _field(lines[0], "loss")


@pytest.mark.parametrize("example", [softmax_regression, mlp])
def test_classifiers_train_on_fashion_mnist_files(example, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(sys, "argv", ["x", "--epochs", "2", "--batch-size", "16", "--lr", "0.01",
                                      "--data", str(_fake_fashion_mnist(tmp_path))])
    example.main()
    out = capsys.readouterr().out
    assert "Fashion-MNIST from" in out
    lines = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert len(lines) == 2 and _field(lines[1], "loss") < _field(lines[0], "loss")


def test_concise_versions_learn_as_the_scratch_ones(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["linear_regression", "--concise"])
    w, b = linear_regression.main()
    np.testing.assert_allclose(w.reshape(-1).tolist(), [2.0, -3.4], atol=0.02)
    assert abs(b.item() - 4.2) < 0.02
    monkeypatch.setattr(sys, "argv", ["softmax_regression", "--concise", "--epochs", "4"])
    assert softmax_regression.main() > 0.5
    monkeypatch.setattr(sys, "argv", ["mlp", "--concise", "--epochs", "2"])
    mlp.main()
    lines = _epoch_lines(capsys)
    assert _field(lines[-1], "loss") < _field(lines[-2], "loss")


def test_fashion_mnist_dataset_and_loaders(tmp_path):
    root = str(_fake_fashion_mnist(tmp_path))
    ds = data.FashionMNIST(root, train=False)
    image, label = ds[3]
    assert len(ds) == 64 and image.shape == (1, 28, 28) and image.dtype.is_floating_point and label.dim() == 0
    train_iter, test_iter = data.load_data_fashion_mnist(16, root)
    X, y = next(iter(train_iter))
    assert X.shape == (16, 1, 28, 28) and y.shape == (16,) and len(test_iter) == 4
