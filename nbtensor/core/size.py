"""``Size``: the shape tuple, printed as ``nbtensor.Size([5, 3])``."""
import operator

__all__ = ["Size"]


class Size(tuple):
    """A tensor shape: a tuple of ints with torch's repr and `numel()`."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        try:
            return tuple.__new__(cls, [operator.index(s) for s in sizes])
        except TypeError:
            raise TypeError(f"Size() takes an iterable of 'int' (got {sizes!r})") from None

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"nbtensor.Size([{', '.join(map(str, self))}])"

    __str__ = __repr__

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __reduce__(self):
        return (Size, (tuple(self),))


Size.__module__ = "nbtensor"  # type(x.shape) is shown as nbtensor.Size, as torch.Size
