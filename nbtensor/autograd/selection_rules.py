"""Derivative rules of the ops that select elements by index: the sorting family (sort,
topk, kthvalue, median, cummax, ...), whose gradient goes back to the positions their
indices name, and the scatter/index writers (scatter, scatter_add, index_add, index_copy,
index_fill, index_put), whose gradients are gathers. Registered into `rules.RULES` on import.
"""
import nbtensor.ops.creation as creation
from nbtensor.autograd.rules import (_arg, _evenly_distributed, _is_tensor, _positions, _scatter_back, _wants,
                                     like, rule, sum_to)
from nbtensor.dispatch.tensor import wrap_dim


def _selected(node, dim_of, keepdim=True, keeps_input=False):
    """A rule for an op returning ``(values, indices)`` with `indices` the positions along
    dim ``dim_of(args, kwargs)`` that `values` were taken from (`keepdim`: the reduced dim
    is kept; else False, or a function of (args, kwargs)). Its node keeps what torch's does:
    the indices, and with `keeps_input` the input too (an in-place write to either
    afterwards makes backward raise)."""
    def make(args, kwargs, out):
        x = args[0]
        indices = out[1]
        if not x.dim():
            gathered = _positions(x)
        else:
            d = wrap_dim(dim_of(args, kwargs), x.dim())
            kept = keepdim if isinstance(keepdim, bool) else keepdim(args, kwargs)
            gathered = _positions(x).gather(d, indices if kept else indices.unsqueeze(d))
        return node, (x,), _scatter_back(x, (gathered, None)), (x, indices) if keeps_input else (indices,)
    return make


def _dim(position, default=-1):
    return lambda args, kwargs: _arg(args, kwargs, position, "dim", default)


def _keepdim(position):
    return lambda args, kwargs: bool(_arg(args, kwargs, position, "keepdim", False))


rule("sort")(_selected("SortBackward0", _dim(1)))
rule("topk")(_selected("TopkBackward0", _dim(2)))
rule("kthvalue")(_selected("KthvalueBackward0", _dim(2), _keepdim(3)))
rule("cummax")(_selected("CummaxBackward0", _dim(1, None), keeps_input=True))
rule("cummin")(_selected("CumminBackward0", _dim(1, None), keeps_input=True))


@rule("msort")
def _msort(args, kwargs, out):
    x = args[0]
    order = x.argsort(0) if x.dim() else None  # (msort returns no indices: sort's, found again)
    gathered = _positions(x) if order is None else _positions(x).gather(0, order)
    back = _scatter_back(x, (gathered,))
    return "SortBackward0", (x,), lambda g: back((g,)), ()  # (torch's keeps sort's indices: no user has them)


def _median_rule(name):
    by_dim = _selected(name + "1", _dim(1, None), _keepdim(2))

    def make(args, kwargs, out):
        x = args[0]
        if _arg(args, kwargs, 1, "dim") is None:  # one value: shared by the elements equal to it
            return name + "0", (x,), lambda g: (_evenly_distributed(g, x, out),)
        return by_dim(args, kwargs, out)
    return make


rule("median")(_median_rule("MedianBackward"))
rule("nanmedian")(_median_rule("NanmedianBackward"))


# ---------------------------------------------------------------- scatter and index writers
def _written(args, kwargs, source_name):
    """(input, dim, index, source) of a scatter/index writer, as called."""
    x = args[0]
    d = wrap_dim(_arg(args, kwargs, 1, "dim"), max(x.dim(), 1))
    return x, d, _arg(args, kwargs, 2, "index"), _arg(args, kwargs, 3, source_name)


@rule("scatter")
def _scatter(args, kwargs, out):
    if kwargs.get("reduce") is not None:
        return None  # (torch: no derivative with a reduce mode either)
    x, d, index, src = _written(args, kwargs, "src")
    if src is None:
        src = kwargs.get("value")
    # the source's gradient is what its elements became; x keeps its gradient where nothing
    # was written over it (only the index is saved, as torch's)
    want_x, want_src = _wants(x), _wants(src)
    return ("ScatterBackward0" if _is_tensor(src) else "ScatterBackward1"), (x, src), lambda g: (
        g.scatter(d, index, 0.0) if want_x else None,
        g.gather(d, index) if want_src else None), (index,)


@rule("scatter_add")
def _scatter_add(args, kwargs, out):
    x, d, index, src = _written(args, kwargs, "src")
    want_src = _wants(src)  # (only the index is saved, as torch's: writing into src later is allowed)
    return "ScatterAddBackward0", (x, src), lambda g: (g, g.gather(d, index) if want_src else None), \
        (index,) if want_src else ()


def _scatter_reduction(node, source_name, scatter_index):
    """The rule of scatter_reduce (`node`: its node name) or index_reduce, whose source
    argument is `source_name`: torch's scatter_reduce_backward, each reduction's gradient
    for the input (x) and the source, the input's gradient zero where it was left out
    (``include_self=False``). ``scatter_index(x, d, index, source)`` is the index tensor that
    scatters the source as the op does."""
    def make(args, kwargs, out):
        x, d, index, src = _written(args, kwargs, source_name)
        reduce, include_self = _arg(args, kwargs, 4, "reduce"), _arg(args, kwargs, 5, "include_self", True)
        if reduce not in _SCATTER_REDUCTIONS:
            return None
        gradients = _SCATTER_REDUCTIONS[reduce]
        result = out  # (amax/amin and prod read it; torch keeps it for every reduction)

        def backward(g):
            at = scatter_index(x, d, index, src)
            grad_x, grad_src = gradients(g, x, d, at, src, include_self, result)
            if not include_self:
                grad_x = grad_x.scatter(d, at, 0.0)
            return grad_x if _wants(x) else None, grad_src if _wants(src) else None
        return node, (x, src), backward, (x, index, src, result)
    return make


def _along(x, d, index, source):
    """index_reduce's 1-D `index` (a position along `d` for each slice of `source`) as the
    index of the scatter that writes each element of `source` where index_reduce does."""
    shape = [1] * source.dim()
    shape[d] = -1
    return index.reshape(shape).expand(source.shape) if source.dim() else index.reshape(())


rule("scatter_reduce", keeps_out=True)(
    _scatter_reduction("ScatterReduceBackward0", "src", lambda x, d, index, source: index))
rule("index_reduce", keeps_out=True)(_scatter_reduction("IndexReduceBackward0", "source", _along))


def _scatter_sum(g, x, d, index, src, include_self, result):
    return g, g.gather(d, index)


def _scatter_mean(g, x, d, index, src, include_self, result):
    count = (creation.ones_like(g) if include_self else creation.zeros_like(g)).scatter_add(
        d, index, creation.ones_like(src))
    count = count.masked_fill(count == 0, 1)
    return g / count, g.gather(d, index) / count.gather(d, index)


def _scatter_extreme(g, x, d, index, src, include_self, result):
    """amax/amin: the gradient of each output is shared evenly by the inputs equal to it (by
    a product with the mask, as torch's: an output no input equals, NaN, gives NaN)."""
    x_is, src_is = (x == result).to(g.dtype), (src == result.gather(d, index)).to(g.dtype)
    shared = g / x_is.scatter_add(d, index, src_is)
    return x_is * shared, src_is * shared.gather(d, index)


def _scatter_prod(g, x, d, index, src, include_self, result):
    """prod: the product of the others at each position, computed without dividing by a
    zero (a zero among them makes it zero; a single zero source is divided out by leaving
    it out of the product instead)."""
    x_nonzero = x.masked_fill(x == 0, 1)
    grad_x = g * x_nonzero.scatter_reduce(d, index, src, "prod", include_self=include_self) / x_nonzero
    src_zero = src == 0
    zeros_there = creation.zeros_like(x).scatter_add(d, index, src_zero.to(x.dtype)).gather(d, index)
    single_zero = src_zero & (zeros_there == 1)
    without_it = x.scatter_reduce(d, index, src.masked_fill(single_zero, 1), "prod", include_self=include_self)
    grad_src = (g * without_it).gather(d, index).where(
        single_zero, (g * result).gather(d, index) / src.masked_fill(src_zero, 1))
    return grad_x, grad_src


_SCATTER_REDUCTIONS = {"sum": _scatter_sum, "mean": _scatter_mean, "amax": _scatter_extreme,
                       "amin": _scatter_extreme, "prod": _scatter_prod}


def _selected_source(g, d, index, source):
    """`g` at the positions `index` along `d`, in the shape of `source` (0-d sources take
    a 1-D index)."""
    picked = g.index_select(d, index.reshape(-1))
    return picked if picked._shape == source._shape else picked.reshape(source._shape)


@rule("index_add")
def _index_add(args, kwargs, out):
    x, d, index, source = _written(args, kwargs, "source")
    alpha = kwargs.get("alpha", 1)
    meta = like(source)

    def backward(g):
        if not _wants(source):
            return g, None
        picked = _selected_source(g, d, index, meta)
        return g, picked if alpha == 1 else picked * alpha
    return "IndexAddBackward0", (x, source), backward, (index,) if _wants(source) else ()


@rule("index_copy")
def _index_copy(args, kwargs, out):
    x, d, index, source = _written(args, kwargs, "source")
    meta = like(source)
    want_x, want_source = _wants(x), _wants(source)
    return "IndexCopyBackward0", (x, source), lambda g: (
        g.index_fill(d, index, 0.0) if want_x else None,
        _selected_source(g, d, index, meta) if want_source else None), (index,)  # (torch's saved tensors)


@rule("index_put")
def _index_put(args, kwargs, out):
    """index_put(indices, values, accumulate): the values' gradient is the output gradient at
    the positions they went to (summed over their broadcast); x keeps its gradient, except
    at the positions overwritten (without accumulate)."""
    x, indices = args[0], _arg(args, kwargs, 1, "indices")
    values, accumulate = _arg(args, kwargs, 2, "values"), _arg(args, kwargs, 3, "accumulate", False)
    items = tuple(slice(None) if i is None else i for i in indices)
    meta = like(values)

    def backward(g):
        kept = g if accumulate or not _wants(x) else g.index_put(indices, creation.zeros((), dtype=g.dtype,
                                                                                          device=g.device))
        return kept if _wants(x) else None, sum_to(g[items], meta._shape) if _wants(values) else None
    return "IndexPutBackward0", (x, values), backward, tuple(i for i in indices if _is_tensor(i))


@rule("index_fill")
def _index_fill(args, kwargs, out):
    x, d, index, value = _written(args, kwargs, "value")
    want_x, want_value = _wants(x), _wants(value)
    return ("IndexFillBackward1" if _is_tensor(value) else "IndexFillBackward0"), (x, value), lambda g: (
        g.index_fill(d, index, 0.0) if want_x else None,
        g.index_select(d, index.reshape(-1)).sum() if want_value else None), (index,)  # (torch's saved tensors)
