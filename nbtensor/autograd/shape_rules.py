"""Derivative rules of the shape ops built from others (flips, tiles, the ``*stack``
joins, ``atleast_*d``, ``unfold``) and of the diagonal ops (diag, diag_embed, trace).
Registered into `rules.RULES` on import.
"""
from nbtensor.autograd.rules import NODE_NAMES, _arg, _moving, _positions, _scatter_back, rule
from nbtensor.dispatch.tensor import Tensor

_moving("FlipBackward0", ("fliplr",), lambda p: p.flip(1))
_moving("FlipBackward0", ("flipud",), lambda p: p.flip(0))
_moving("RepeatBackward0", ("tile",), lambda p, *a, **k: p.tile(*a, **k))
_moving("ViewBackward0", ("repeat_interleave",), lambda p, *a, **k: p.repeat_interleave(*a, **k))
_moving("UnfoldBackward0", ("unfold",), lambda p, *a, **k: p.unfold(*a, **k))


def _atleast_rule(args, kwargs, out):
    tensors = args[0] if len(args) == 1 and isinstance(args[0], (list, tuple)) else args
    if type(out) is Tensor:  # one tensor: a reshape of it
        x = tensors[0]
        return "ViewBackward0", (x,), lambda g: (g.reshape(x._shape),)
    shapes = [t._shape for t in tensors]
    return "ViewBackward0", tuple(tensors), lambda grads: [
        None if g is None else g.reshape(shape) for g, shape in zip(grads, shapes)]


rule("atleast_1d", "atleast_2d", "atleast_3d", saves=False)(_atleast_rule)
NODE_NAMES.update({"atleast_2d": "UnsqueezeBackward0", "atleast_3d": "UnsqueezeBackward0"})


# (the dimension each join concatenates along, and each input's extent along it once
# raised to the join's rank: a 0-d or 1-d tensor contributes one row, column or layer)
def _hstack_dim(tensors):
    return 0 if all(t.dim() <= 1 for t in tensors) else 1


_JOINS = {
    "hstack": (_hstack_dim, lambda t, d: t._shape[d] if t.dim() > d else 1),
    "vstack": (lambda tensors: 0, lambda t, d: t._shape[0] if t.dim() >= 2 else 1),
    "row_stack": (lambda tensors: 0, lambda t, d: t._shape[0] if t.dim() >= 2 else 1),
    "dstack": (lambda tensors: 2, lambda t, d: t._shape[2] if t.dim() >= 3 else 1),
    "column_stack": (lambda tensors: 1, lambda t, d: t._shape[1] if t.dim() >= 2 else 1),
}


def _join_rule(name):
    dim_of, extent = _JOINS[name]

    def make(args, kwargs, out):
        tensors = list(_arg(args, kwargs, 0, "tensors"))
        d = dim_of(tensors)
        pieces = [(extent(t, d), t._shape) for t in tensors]

        def backward(g):
            grads, start = [], 0
            for n, shape in pieces:
                grads.append(g.narrow(d, start, n).reshape(shape))
                start += n
            return grads
        return "CatBackward0", tensors, backward
    return make


for _name in _JOINS:
    rule(_name, saves=False)(_join_rule(_name))


@rule("diag", saves=False)
def _diag(args, kwargs, out):
    x, k = args[0], _arg(args, kwargs, 1, "diagonal", 0)
    if x.dim() == 2:  # a diagonal, selected: its gradient goes back to those positions
        return _diagonal(args, kwargs, out)
    return "DiagEmbedBackward0", (x,), lambda g: (g.diagonal(k),)


_diagonal = _moving("DiagonalBackward0", (), lambda p, *a, **k: p.diag(*a, **k))


@rule("diag_embed", saves=False)
def _diag_embed(args, kwargs, out):
    x = args[0]
    offset, dim1, dim2 = (_arg(args, kwargs, 1, "offset", 0), _arg(args, kwargs, 2, "dim1", -2),
                          _arg(args, kwargs, 3, "dim2", -1))
    return "DiagEmbedBackward0", (x,), lambda g: (g.diagonal(offset, dim1, dim2),)


@rule("trace", saves=False)
def _trace(args, kwargs, out):
    x = args[0]
    diagonal = _positions(x).diagonal()
    backward = _scatter_back(x, (diagonal,))
    return "TraceBackward0", (x,), lambda g: backward((g.expand(diagonal._shape),))
