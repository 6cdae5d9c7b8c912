"""``nbtensor.save`` / ``nbtensor.load``: tensors, containers of tensors and state dicts.

File format (the layout of torch's own ``.pt`` files): a zip archive holding
``<name>/data.pkl`` — a pickle of the object in which each tensor is a call of the rebuild
function on (storage, offset, size, stride, requires_grad) and each storage a persistent
id ``("storage", <dtype name>, <key>, <device>, <numel>)`` — and ``<name>/data/<key>``, each
storage's bytes, little-endian, plus ``<name>/byteorder`` and ``<name>/version``.
nbtensor writes torch's names into the pickle (``torch._utils._rebuild_tensor_v2``,
``torch.FloatStorage``, ...; without importing torch), so ``torch.load`` reads nbtensor's
files, also with ``weights_only=True``; ``load`` reads both (tensors, parameters, state dicts,
nested lists/dicts/tuples of them, numbers and strings; float16 to float64, integers and
bool), and the files of earlier nbtensor versions, which named their own rebuild function.

Loading never runs code from the file: only the functions and classes above are accepted
(``weights_only=False`` allows any, as pickle does). A damaged or truncated file raises a
RuntimeError naming the problem; nothing is returned half-read.
"""
import collections
import io
import os
import pickle
import zipfile

import numpy as np

import nbtensor as torch

__all__ = ["save", "load"]

# storage class names (torch's) and dtype names (nbtensor's) -> NumPy dtype
_STORAGES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16, "CharStorage": np.int8,
    "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}
_BY_DTYPE = {"float32": np.float32, "float64": np.float64, "float16": np.float16, "int64": np.int64,
             "int32": np.int32, "int16": np.int16, "int8": np.int8, "uint8": np.uint8, "bool": np.bool_}


class _StorageType:
    """What a storage class name in torch's pickle stands for: its element type."""

    def __init__(self, np_dtype):
        self.np_dtype = np.dtype(np_dtype)


def _rebuild_tensor(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                    metadata=None):
    """A tensor over `storage` (a flat ndarray), checked to lie within it."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride) or any(s < 0 for s in size) or storage_offset < 0:
        raise RuntimeError(f"corrupted tensor record: size {size}, stride {stride}, offset {storage_offset}")
    if all(s > 0 for s in size):
        last = storage_offset + sum((n - 1) * st for n, st in zip(size, stride))
        first = storage_offset + sum((n - 1) * st for n, st in zip(size, stride) if st < 0)
        if first < 0 or last >= storage.shape[0]:
            raise RuntimeError(f"corrupted tensor record: size {size} and stride {stride} at offset "
                               f"{storage_offset} reach outside its storage of {storage.shape[0]} elements")
    if all(size):
        view = np.lib.stride_tricks.as_strided(storage[storage_offset:], size,
                                               [s * storage.itemsize for s in stride])
    else:
        view = np.empty(size, storage.dtype)
    t = torch.tensor(view.copy())  # (a copy of a strided view is C-contiguous, 0-d too)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks, *extra):
    from nbtensor.nn import Parameter  # (nn imports the facade, which imports this module)
    return Parameter(data, requires_grad)


def _uninitialized_parameter(requires_grad=True):
    """A lazy module's parameter saved before its first forward (torch pickles the class
    with `requires_grad`)."""
    from nbtensor.nn.parameter import UninitializedParameter
    return UninitializedParameter(requires_grad)


def _uninitialized_buffer(*args):
    """A lazy batch norm's running statistic saved by torch before its first forward: here
    an empty tensor, what nbtensor's lazy batch norm holds until then."""
    return torch.empty(0)


_ALLOWED = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("nbtensor.serialization", "_rebuild_tensor"): _rebuild_tensor,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("torch", "Size"): tuple,
}
# what loads only with weights_only=False, as in torch (a lazy batch norm's statistics are
# empty tensors here until its first forward)
_TRUSTED = {("torch.nn.parameter", "UninitializedParameter"): _uninitialized_parameter,
            ("torch.nn.parameter", "UninitializedBuffer"): _uninitialized_buffer}


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, archive, prefix, weights_only):
        super().__init__(file)
        self._archive, self._prefix, self._weights_only = archive, prefix, weights_only
        self._storages = {}

    def find_class(self, module, name):
        if module == "torch" and name in _STORAGES:
            return _StorageType(_STORAGES[name])
        found = _ALLOWED.get((module, name))
        if found is not None:
            return found
        if self._weights_only is False:
            # (torch's names resolve to nbtensor's classes: nothing of torch's is imported)
            return _TRUSTED.get((module, name)) or super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} (only tensors, state dicts and "
                                     "plain containers load by default; pass weights_only=False to allow it)")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        kind, key, numel = pid[1], str(pid[2]), int(pid[4])
        dtype = kind.np_dtype if isinstance(kind, _StorageType) else np.dtype(_BY_DTYPE[kind])
        if key not in self._storages:
            raw = self._archive.read(f"{self._prefix}data/{key}")
            if len(raw) != numel * dtype.itemsize:
                raise RuntimeError(f"storage {key} holds {len(raw)} bytes; the file says {numel} elements of "
                                   f"{dtype} ({numel * dtype.itemsize} bytes)")
            self._storages[key] = np.frombuffer(raw, dtype.newbyteorder("<")).astype(dtype)
        return self._storages[key]


def _open(f, mode):
    if isinstance(f, (str, os.PathLike)):
        return open(f, mode), True
    return f, False


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **kwargs):
    """The object saved in `f` (a path or a binary file) by ``nbtensor.save`` or ``torch.save``,
    its tensors on the CPU (or `map_location`)."""
    handle, owned = _open(f, "rb")
    try:
        data = handle.read()
    finally:
        if owned:
            handle.close()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if not pickles:
            raise RuntimeError("no data.pkl record in the archive")
        prefix = pickles[0][:-len("data.pkl")]
        result = _Unpickler(io.BytesIO(archive.read(pickles[0])), archive, prefix, weights_only).load()
    except (zipfile.BadZipFile, KeyError, EOFError, pickle.UnpicklingError, ValueError, TypeError,
            AttributeError, IndexError) as e:
        raise RuntimeError(f"cannot load {f!r}: not a complete nbtensor/torch save file ({e})") from None
    if map_location is not None:
        result = _moved(result, map_location)
    return result


def _moved(obj, device):
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return type(obj)((k, _moved(v, device)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_moved(v, device) for v in obj)
    return obj


class _TorchName:
    """A global of torch's that nbtensor's files name (torch's rebuild functions and storage
    classes), written into the pickle as torch writes it; never imported."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # (pickle asks a reduce function to be callable)
        raise TypeError(f"{self.module}.{self.name} is a name in a save file, not a function")


_REBUILD_TENSOR = _TorchName("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _TorchName("torch._utils", "_rebuild_parameter")
_UNINITIALIZED_PARAMETER = _TorchName("torch.nn.parameter", "UninitializedParameter")
_STORAGE_NAMES = {np.dtype(d): _TorchName("torch", name) for name, d in _STORAGES.items()}


class _Pickler(pickle._Pickler):
    """The pickle torch.save writes (protocol 2): each tensor a call of torch's
    ``_rebuild_tensor_v2`` on a persistent storage id naming torch's storage class, each
    parameter one of ``_rebuild_parameter``. The pure-Python pickler, to write torch's names
    without importing torch (the C one looks every global up)."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, storages):
        super().__init__(file, protocol=2)
        self._storages = storages

    def _save_torch_name(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    dispatch[_TorchName] = _save_torch_name

    def reducer_override(self, obj):
        if not isinstance(obj, torch.Tensor):
            return NotImplemented
        hooks = collections.OrderedDict()
        if _is_uninitialized(obj):  # (no values yet: only whether it requires grad)
            return (_UNINITIALIZED_PARAMETER, (obj.requires_grad,))
        if _is_parameter(obj):
            return (_REBUILD_PARAMETER, (obj.detach(), obj.requires_grad, hooks))
        values = obj.detach().cpu().numpy().copy()  # C-contiguous, 0-d kept 0-d
        key = str(len(self._storages))
        self._storages.append((key, values))
        storage = _PersistentStorage(_STORAGE_NAMES[values.dtype], key, values.size)
        strides = tuple(s // max(values.itemsize, 1) for s in values.strides)
        return (_REBUILD_TENSOR, (storage, 0, values.shape, strides, bool(obj.requires_grad), hooks))

    def persistent_id(self, obj):
        if isinstance(obj, _PersistentStorage):
            return ("storage", obj.storage_class, obj.key, "cpu", obj.numel)
        return None


def _is_uninitialized(t):
    from nbtensor.nn.parameter import UninitializedParameter  # (nn imports the facade, which imports this module)
    return isinstance(t, UninitializedParameter)


def _is_parameter(t):
    from nbtensor.nn import Parameter  # (nn imports the facade, which imports this module)
    return isinstance(t, Parameter)


class _PersistentStorage:
    def __init__(self, storage_class, key, numel):
        self.storage_class, self.key, self.numel = storage_class, key, numel


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True):
    """Write `obj` (tensors and containers of them, numbers, strings; state dicts) to `f` (a
    path or a binary file) in the format described in this module's docstring."""
    storages = []
    buffer = io.BytesIO()
    _Pickler(buffer, storages).dump(obj)
    name = "archive"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{name}/data.pkl", buffer.getvalue())
        archive.writestr(f"{name}/byteorder", "little")
        for key, values in storages:
            archive.writestr(f"{name}/data/{key}", values.astype(values.dtype.newbyteorder("<")).tobytes())
        archive.writestr(f"{name}/version", "3\n")
    handle, owned = _open(f, "wb")
    try:
        handle.write(out.getvalue())
    finally:
        if owned:
            handle.close()
