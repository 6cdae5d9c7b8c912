"""Derivative rules of ``ops/writers.py``, ``ops/view_splits.py`` and ``ops/random_fills.py``
(torch's node names): the ``*_scatter`` ops, ``as_strided``, the ``unsafe_*`` splits and
``narrow_copy``; the forms written with other forms are listed as composite, the random
fills and ``resize_`` as not differentiable. Registered into `rules.RULES` on import.
"""
import inspect

import nbtensor.ops.creation as creation
from nbtensor.autograd.rules import COMPOSITE, NONDIFFERENTIABLE, _for, _moving, _wants, like, rule
from nbtensor.core import dtype as dt
from nbtensor.dispatch.tensor import make_view
from nbtensor.ops import view_splits, writers


def _bound(fn, args, kwargs):
    """The arguments of a call of `fn` by name (defaults filled in)."""
    bound = inspect.signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    return bound.arguments


def _view_scatter_rule(node, fn, view):
    """The rule of ``fn(input, src, *where)``, a copy of input with ``view(input, *where)``
    replaced by src: input's gradient is g with those elements zeroed (the op itself, so it
    records under create_graph), src's the gradient's elements there."""
    def make_rule(args, kwargs, out):
        named = _bound(fn, args, kwargs)
        x, src = named.pop("input"), named.pop("src")
        where = tuple(named.values())
        meta = like(src)

        def backward(g):
            gx = getattr(g, fn.__name__)(creation.zeros(meta._shape, dtype=g.dtype, device=g.device), *where) \
                if _wants(x) else None
            return gx, _for(view(g, *where), meta) if _wants(src) else None
        return node, (x, src), backward, ()
    rule(fn.__name__, saves=False)(make_rule)


_view_scatter_rule("DiagonalScatterBackward0", writers.diagonal_scatter, lambda g, *w: g.diagonal(*w))
_view_scatter_rule("SelectScatterBackward0", writers.select_scatter, lambda g, *w: g.select(*w))
_view_scatter_rule("SliceScatterBackward0", writers.slice_scatter, writers._slice_view)


@rule("as_strided")
def _as_strided(args, kwargs, out):
    """Each element of the result is an element of the input's memory: its gradient goes to
    the input's element there (repeats add up; memory outside the input gets none)."""
    x = args[0]
    named = _bound(view_splits.as_strided, args, kwargs)
    marks = creation.full((x._storage.shape[0],), -1, dtype=dt.int64, device=x.device)
    make_view(marks._storage, x._offset, x._shape, x._strides, dt.int64).copy_(
        creation.arange(x.numel(), device=x.device).reshape(x._shape))
    source = view_splits.as_strided(marks, named["size"], named["stride"], named["storage_offset"]).reshape(-1)
    kept = source.ge(0).nonzero().reshape(-1)
    source = source.index_select(0, kept)
    meta = like(x)

    def backward(g):
        total = creation.zeros(x.numel(), dtype=meta.dtype, device=meta.device)
        total = total.index_add(0, source, g.reshape(-1).index_select(0, kept).to(meta.dtype))
        return (total.reshape(meta._shape),)
    return "AsStridedBackward0", (x,), backward, ()


_moving("UnsafeSplitBackward0", ("unsafe_split",), view_splits.unsafe_split, several=True)
_moving("UnsafeSplitBackward0", ("unsafe_chunk",), view_splits.unsafe_chunk, several=True)
_moving("UnsafeSplitWithSizesBackward0", ("unsafe_split_with_sizes",), view_splits.unsafe_split_with_sizes,
        several=True)
_moving("NarrowCopyBackward0", ("narrow_copy",), lambda p, *a, **k: view_splits.narrow_copy(p, *a, **k))

# (resize_ checks requires_grad itself, with torch's message)
COMPOSITE.update({"fill_diagonal_", "masked_scatter", "masked_scatter_", "put", "put_", "hsplit", "vsplit",
                  "dsplit", "resize_", "resize_as_"})
NONDIFFERENTIABLE.update({"exponential_", "log_normal_", "cauchy_", "geometric_", "new"})


def _drawn(node):
    """A random fill's rule (the in-place forms record as it): the old values get a zero
    gradient, as torch's."""
    def make_rule(args, kwargs, out):
        meta = like(args[0])
        return node, (args[0],), lambda g: (creation.zeros(meta._shape, dtype=meta.dtype, device=meta.device),), ()
    return make_rule


for _name, _node in (("exponential", "ExponentialBackward0"), ("log_normal", "LogNormalBackward0"),
                     ("cauchy", "CauchyBackward0"), ("geometric", "GeometricBackward0")):
    rule(_name, saves=False)(_drawn(_node))
