"""``nn.ModuleDict``, ``nn.ParameterList`` and ``nn.ParameterDict``: a dict of modules, and
a list or dict of parameters, each registered with the module that holds them (so
``parameters()``, ``state_dict()``, ``to()`` find them), as torch's."""
import collections
import collections.abc
import operator

import nbtensor as torch
from nbtensor.nn.module import Module
from nbtensor.nn.parameter import Parameter

__all__ = ["ModuleDict", "ParameterList", "ParameterDict"]


def _pairs(items, kind, name):
    """The (key, value) pairs of `items`: a mapping's items (sorted for a plain mapping when
    `kind` sorts them, as torch's ParameterDict), or an iterable of pairs; torch's errors."""
    if not isinstance(items, collections.abc.Iterable):
        raise TypeError(f"{name}.update should be called with an iterable of key/value pairs, but got "
                        f"{type(items).__name__}")
    if isinstance(items, collections.abc.Mapping) or isinstance(items, kind):
        return list(items.items())
    pairs = []
    for j, pair in enumerate(items):
        if not isinstance(pair, collections.abc.Iterable):
            raise TypeError(f"{name.replace('Parameters', 'Parameter')} update sequence element #{j} should be "
                            f"Iterable; is{type(pair).__name__}")
        if len(pair) != 2:
            raise ValueError(f"{name.replace('Parameters', 'Parameter')} update sequence element #{j} has length "
                             f"{len(pair)}; 2 is required")
        pairs.append((pair[0], pair[1]))
    return pairs


def _entry_repr(key, value, type_name):
    """One line of a parameter container's repr: a tensor's kind, type (by `type_name`) and
    size (and device unless the CPU), or an object's type."""
    if not isinstance(value, torch.Tensor):
        return f"  ({key}): Object of type: {type(value).__name__}"
    size = "x".join(str(s) for s in value.shape)
    where = "" if value.device.type == "cpu" else f" ({value.device})"
    kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
    return f"  ({key}): {kind} containing: [{type_name(value)} of size {size}{where}]"


def _as_parameter(value):
    """A tensor made a Parameter (a Parameter as it is); anything else as it is."""
    return Parameter(value) if isinstance(value, torch.Tensor) and not isinstance(value, Parameter) else value


class ModuleDict(Module):
    """Modules by name, registered in insertion order: indexed, assigned and deleted like a
    dict (``d["relu"]``), with ``keys``, ``values``, ``items``, ``update``, ``pop``, ``clear``."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        """Remove every module."""
        self._modules.clear()

    def pop(self, key):
        """Remove the module `key` and return it."""
        module = self[key]
        del self[key]
        return module

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules):
        """Add (or replace) the modules of a mapping or an iterable of (name, module) pairs,
        in their order."""
        for key, module in _pairs(modules, ModuleDict, "ModuleDict"):
            self[key] = module


class ParameterList(Module):
    """A list whose tensors are registered as parameters (a tensor that is not a Parameter
    becomes one; other objects are kept as they are), named "0", "1", ..."""

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def _name_of(self, index):
        index = operator.index(index)
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} is out of range")
        return str(index + len(self) if index < 0 else index)

    def __getitem__(self, index):
        if isinstance(index, slice):
            out = type(self)()
            for i in range(*index.indices(len(self))):
                out.append(self[i])
            return out
        return getattr(self, self._name_of(index))

    def __setitem__(self, index, value):
        setattr(self, self._name_of(index), _as_parameter(value))

    def __len__(self):
        return self._size

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __iadd__(self, values):
        return self.extend(values)

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value):
        """Add `value` at the end; returns self."""
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values):
        """Append each of `values` (an iterable, not a tensor); returns self."""
        if not isinstance(values, collections.abc.Iterable) or isinstance(values, torch.Tensor):
            raise TypeError(f"ParameterList.extend should be called with an iterable, but got {type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    def extra_repr(self):
        return "\n".join(_entry_repr(i, value, lambda t: t.dtype) for i, value in enumerate(self))

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """A dict (string keys, insertion order) whose tensors are registered as parameters (a
    tensor that is not a Parameter becomes one); a plain dict given to the constructor or
    ``update`` is added in sorted key order, as torch's."""

    def __init__(self, parameters=None):
        super().__init__()
        self._keys = {}
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _key_to_attr(key):
        if not isinstance(key, str):
            raise TypeError("Index given to ParameterDict cannot be used as a key as it is not a string (type is "
                            f"'{type(key).__name__}'). Open an issue on github if you need non-string keys.")
        return key

    def __getitem__(self, key):
        return getattr(self, self._key_to_attr(key))

    def __setitem__(self, key, value):
        self._keys[key] = None
        setattr(self, self._key_to_attr(key), _as_parameter(value))

    def __delitem__(self, key):
        del self._keys[key]
        delattr(self, self._key_to_attr(key))

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(self._keys)

    def __contains__(self, key):
        return key in self._keys

    def copy(self):
        """A new ParameterDict holding the same parameters, in the same order."""
        return ParameterDict(collections.OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key, default=None):
        """``self[key]``, first set to `default` when `key` is missing."""
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self):
        """Remove every entry."""
        for key in list(self._keys):
            del self[key]

    def pop(self, key):
        """Remove the entry `key` and return its value."""
        value = self[key]
        del self[key]
        return value

    def popitem(self):
        """Remove and return the last (key, value) added."""
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def fromkeys(self, keys, default=None):
        """A new ParameterDict with `keys`, each holding `default`."""
        return ParameterDict((k, default) for k in keys)

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def update(self, parameters):
        """Add (or replace) the entries of a mapping (a plain one in sorted key order) or an
        iterable of (key, value) pairs."""
        pairs = _pairs(parameters, ParameterDict, "ParametersDict")
        if isinstance(parameters, collections.abc.Mapping) and not isinstance(parameters, collections.OrderedDict):
            pairs.sort()
        for key, value in pairs:
            self[key] = value

    def extra_repr(self):
        return "\n".join(_entry_repr(k, value, torch.Tensor.type) for k, value in self.items())

    def __call__(self, input):
        raise RuntimeError("ParameterDict should not be called.")

    def __or__(self, other):
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other):
        merged = other.copy()
        merged.update(self)
        return merged

    def __ior__(self, other):
        self.update(other)
        return self
