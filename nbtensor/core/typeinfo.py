"""``finfo`` and ``iinfo``: the numerical limits of a floating or integer dtype, as torch's."""
import builtins

import numpy as np

from nbtensor.core import dtype as dt

__all__ = ["finfo", "iinfo"]


def _dtype(value, fn):
    """`value` as a dtype (the Python types float, int and bool stand for theirs, as in
    torch), with torch's TypeError for anything else."""
    if value in (builtins.float, builtins.int, builtins.bool):
        return dt.to_dtype(value)
    if not isinstance(value, dt.dtype):
        raise TypeError(f"{fn}(): argument 'type' (position 1) must be torch.dtype, not {type(value).__name__}")
    return value


_DEFAULT = object()  # finfo() without an argument: the default dtype (None is a TypeError)


class _Info:
    """What finfo and iinfo share: equality of their attributes and torch's repr."""

    __slots__ = ()
    __hash__ = None  # (torch's are unhashable too)

    def __eq__(self, other):
        return type(other) is type(self) and all(getattr(self, a) == getattr(other, a) for a in self.__slots__)

    def __repr__(self):
        shown = ", ".join(f"{a}={getattr(self, a):g}" for a in self._shown)
        return f"{type(self).__name__}({shown}, dtype={self.dtype})"


class finfo(_Info):
    """The limits of a floating dtype (the default dtype when none is given): `bits`, `eps`
    (the gap between 1 and the next number), `max`, `min`, `tiny` and `smallest_normal` (the
    smallest positive normal number), `resolution` (10 ** -decimal digits), `dtype` (its
    name)."""

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")
    _shown = ("resolution", "min", "max", "eps", "smallest_normal", "tiny")

    def __init__(self, type=_DEFAULT):
        d = dt.get_default_dtype() if type is _DEFAULT else _dtype(type, "finfo")
        if not d.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            "'torch.finfo'")
        info = np.finfo(d.np)
        self.bits, self.dtype = int(info.bits), d.name
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)


class iinfo(_Info):
    """The limits of an integer dtype: `bits`, `min`, `max` (Python ints) and `dtype` (its name)."""

    __slots__ = ("bits", "min", "max", "dtype")
    _shown = ("min", "max")

    def __init__(self, type):
        d = _dtype(type, "iinfo")
        if d is dt.bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if d.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                            "'torch.iinfo'")
        info = np.iinfo(d.np)
        self.bits, self.min, self.max, self.dtype = int(info.bits), int(info.min), int(info.max), d.name


finfo.__module__ = iinfo.__module__ = "nbtensor"
