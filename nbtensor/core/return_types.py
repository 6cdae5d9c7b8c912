"""Named tuples returned by functions with several results (``torch.return_types``).

``return_type(name, fields)`` makes (once) a `collections.namedtuple` class that prints as
torch's does::

    nbtensor.return_types.sort(
    values=tensor([1, 2]),
    indices=tensor([1, 0]))
"""
import collections

__all__ = ["return_type", "sort", "topk", "kthvalue"]

_TYPES = {}


def return_type(name, fields=("values", "indices")):
    """The named-tuple class `name` with `fields` (created on first use, then shared)."""
    cls = _TYPES.get(name)
    if cls is None:
        base = collections.namedtuple(name, fields)

        def __repr__(self):
            body = ",\n".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
            return f"nbtensor.return_types.{name}(\n{body})"

        cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__str__": __repr__,
                                   "__module__": __name__})
        _TYPES[name] = cls
        globals()[name] = cls
    return cls


sort = return_type("sort")
topk = return_type("topk")
kthvalue = return_type("kthvalue")
