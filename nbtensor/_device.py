"""Devices: ``device("cpu")``, ``device("cuda:0")`` and the parsing of device arguments."""
import re

__all__ = ["device"]

_DEVICE_RE = re.compile(r"^(cpu|cuda)(?::(\d+))?$")


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
        if m is None:
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {type}")
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


def to_device(value):
    """Normalise a device argument (None, str, int or device) to a `device`."""
    if value is None or value is CPU:
        return CPU
    if isinstance(value, device):
        d = value
    else:
        d = device(value)
    if d.type == "cpu":
        return CPU
    from . import cuda
    cuda.require_backend(d)
    return d
