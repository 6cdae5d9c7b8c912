"""Data for the chapter 3 examples: Fashion-MNIST read from its IDX files, or an offline
stand-in that needs no download.

Fashion-MNIST: put ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz`` (gzipped or not) in a
directory and pass it as ``--data DIR`` (or set ``NBTENSOR_DATA``). Without one, the
examples use a small deterministic synthetic set of 28x28 images in 10 classes (a noisy
prototype per class), so they always run.
"""
import gzip
import os
import struct

import numpy as np

import nbtensor as torch

IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
TEXT_LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
               "ankle boot"]


def read_idx(path):
    """The array stored in an IDX file (gzipped when the name ends in .gz)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {data[:4]!r})")
    ndim = data[3]
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    dtype = np.dtype(IDX_DTYPES[data[2]])
    count = int(np.prod(dims)) if dims else 1
    body = data[4 + 4 * ndim:]
    if len(body) != count * dtype.itemsize:
        raise ValueError(f"{path}: expected {count * dtype.itemsize} bytes of data for shape {dims}, "
                         f"found {len(body)}")
    return np.frombuffer(body, dtype).reshape(dims).astype(dtype.newbyteorder("="))


def _find(directory, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(
        f"Fashion-MNIST file {stem}(.gz) not found in {directory!r}: download the four IDX files "
        f"({', '.join(s for pair in FILES.values() for s in pair)}) into that directory, or run "
        "without --data to use the offline synthetic set")


def fashion_mnist(directory):
    """(train images, train labels, test images, test labels) as NumPy arrays, images float32
    in [0, 1] of shape (n, 1, 28, 28), labels int64."""
    out = []
    for split in ("train", "test"):
        images, labels = (read_idx(_find(directory, stem)) for stem in FILES[split])
        out += [images.reshape(-1, 1, 28, 28).astype(np.float32) / 255, labels.astype(np.int64)]
    return tuple(out)


def synthetic(n_train=6000, n_test=1000, seed=0):
    """A deterministic stand-in with Fashion-MNIST's shapes: each class is a 28x28 prototype
    (a shared image plus a faint class-specific pattern); an image is its class's prototype
    plus pixel noise, clipped to [0, 1] — hard enough that the models need a few epochs."""
    rng = np.random.default_rng(seed)
    shared = rng.uniform(0.2, 0.8, (1, 1, 28, 28))
    prototypes = (shared + 0.1 * rng.standard_normal((10, 1, 28, 28))).astype(np.float32)

    def make(n):
        labels = rng.integers(0, 10, n)
        images = prototypes[labels] + rng.normal(0, 0.5, (n, 1, 28, 28)).astype(np.float32)
        return np.clip(images, 0, 1).astype(np.float32), labels.astype(np.int64)
    return make(n_train) + make(n_test)


def load(directory=None):
    """Fashion-MNIST from `directory` (or ``$NBTENSOR_DATA``), else the synthetic set; with a
    line saying which."""
    directory = directory or os.environ.get("NBTENSOR_DATA")
    if directory:
        print(f"data: Fashion-MNIST from {directory}")
        return fashion_mnist(directory)
    print("data: synthetic Fashion-MNIST stand-in (pass --data DIR for the real set)")
    return synthetic()


def batches(images, labels, batch_size, shuffle, device, seed=0):
    """Mini-batches of (images, labels) as tensors on `device`."""
    order = np.random.default_rng(seed).permutation(len(labels)) if shuffle else np.arange(len(labels))
    for i in range(0, len(labels), batch_size):
        idx = order[i:i + batch_size]
        yield torch.tensor(images[idx], device=device), torch.tensor(labels[idx], device=device)


class FashionMNIST(torch.utils.data.Dataset):
    """Fashion-MNIST as a Dataset of (image (1, 28, 28) float32 in [0, 1], label) pairs, read
    from `root` (the four IDX files) — or, with ``root=None`` and no ``$NBTENSOR_DATA``, the
    synthetic stand-in."""

    def __init__(self, root=None, train=True):
        root = root or os.environ.get("NBTENSOR_DATA")
        train_x, train_y, test_x, test_y = fashion_mnist(root) if root else synthetic()
        images, labels = (train_x, train_y) if train else (test_x, test_y)
        self.tensors = (torch.tensor(images), torch.tensor(labels))

    def __getitem__(self, index):
        return self.tensors[0][index], self.tensors[1][index]

    def __len__(self):
        return self.tensors[1].shape[0]


def load_data_fashion_mnist(batch_size, root=None):
    """D2L's helper: (train, test) DataLoaders of Fashion-MNIST (or its stand-in)."""
    loader = torch.utils.data.DataLoader
    train, test = FashionMNIST(root, train=True), FashionMNIST(root, train=False)
    return (loader(torch.utils.data.TensorDataset(*train.tensors), batch_size, shuffle=True),
            loader(torch.utils.data.TensorDataset(*test.tensors), batch_size, shuffle=False))
