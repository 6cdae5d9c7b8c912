"""Devices: ``device("cpu")``, ``device("cuda:0")`` and the parsing of device arguments."""
import re

__all__ = ["device"]

_DEVICE_RE = re.compile(r"^([a-z][a-z0-9_]*)(?::(\d+))?$")
# Device types a device string may name: torch's two, and any a backend registers (see
# register_device_type; the test suite's guarded device is one).
_TYPES = ["cpu", "cuda"]
# Device type -> the check `to_device` runs before a tensor is put there (raises when no
# backend can hold it; set by the backends, e.g. CUDA's when its build has no GPU).
_PLACEMENT_CHECKS = {}


def register_device_type(name, placement_check=None):
    """Let ``device(name)`` parse: called by a backend that holds tensors on `name`;
    `placement_check(device)`, when given, raises if a tensor cannot be put there now, and
    returns the device tensors asked for there get (``cuda`` -> ``cuda:0``), or None for
    the device itself."""
    if name not in _TYPES:
        _TYPES.append(name)
    if placement_check is not None:
        _PLACEMENT_CHECKS[name] = placement_check


class device:
    """Where a tensor lives: ``device('cpu')``, ``device('cuda')``, ``device('cuda', 0)``."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() expected a string or an int, got {type!r}")
        m = _DEVICE_RE.match(type.strip())
        if m is None or m.group(1) not in _TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(_TYPES)} device type at start of device string: {type}")
        kind, parsed = m.group(1), m.group(2)
        if parsed is not None:
            if index is not None:
                raise RuntimeError(f"device string {type!r} already has an index; got index={index} too")
            index = int(parsed)
        if index is not None:
            if not isinstance(index, int) or index < 0:
                raise RuntimeError(f"Device index must not be negative, got {index}")
            if kind == "cpu" and index != 0:
                raise RuntimeError(f"CPU device index must be -1 or zero, got {index}")
        self.type = kind
        self.index = index

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, TypeError):
                return False
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):
        return (device, (self.type, self.index))


device.__module__ = "nbtensor"  # shown as nbtensor.device, as torch.device

CPU = device("cpu")


_default = CPU  # where creators put tensors when given no device (set_default_device)


def to_device(value):
    """Normalise a device argument (None: the default device, str, int or device) to a
    `device` that a backend holds tensors on."""
    if value is None:
        return _default
    if value is CPU:
        return CPU
    d = value if isinstance(value, device) else device(value)
    if d.type == "cpu":
        return CPU
    check = _PLACEMENT_CHECKS.get(d.type)
    if check is not None:
        return check(d) or d
    return d


def set_default_device(value):
    """Make creators without ``device=`` (zeros, tensor, arange, ...) put tensors on
    `value` (None: back to the CPU), as ``torch.set_default_device``."""
    global _default
    _default = CPU if value is None else to_device(value)


def get_default_device():
    """The device creators use when given none, as ``torch.get_default_device``."""
    return _default
