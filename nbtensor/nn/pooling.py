"""Pooling: ``F.max_pool1d/2d/3d``, ``F.avg_pool1d/2d/3d``, ``F.adaptive_avg_pool1d/2d/3d``,
``F.adaptive_max_pool1d/2d/3d`` and their layers.

Each 2-D or 3-D pooling is one op at the dispatch point with torch's node
(``MaxPool2DWithIndicesBackward0``, ``AvgPool3DBackward0``, ``AdaptiveAvgPool2DBackward0``,
``AdaptiveMaxPool3DBackward0``, ...); one implementation serves both (it pools the last
len(kernel) dimensions), registered under each op name. The 1-D ones are the 2-D ones over a
height of 1, as in torch (``SqueezeBackward1`` on top). Windows are views of the padded input
(nn/im2col.py): a max pool takes the max of each window (padding is -inf) and keeps the flat
position it came from, its backward adds the gradient back there (``scatter_add``); an
average pool sums each window and divides by torch's count, its backward spreads the
gradient back with col2im; the adaptive average pool is one small matrix product per
dimension (averaging its windows ``[floor(i*n/o), ceil((i+1)*n/o))``), and the adaptive max
pool gathers those windows (repeating each window's last element up to the longest window's
length) before taking the max.
"""
import math
import numbers

import nbtensor as torch
from nbtensor.autograd.rules import into_zeros, like, rule
from nbtensor.dispatch import dispatcher as _forms
from nbtensor.nn.im2col import ntuple, uncolumns, windows
from nbtensor.nn.module import Module

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices", "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d",
           "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d", "AdaptiveMaxPool3d"]


# ------------------------------------------------------------------ shared helpers
def _pool_size(size, kernel, stride, pad, dilation, ceil_mode):
    """torch's pooling_output_shape: windows along a dimension (the last one must start
    inside the input or its left padding when rounding up)."""
    out = (size + 2 * pad - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _plan(size, kernel, stride, padding, dilation, ceil_mode):
    """(output sizes, ((before, after), ...) padding that yields exactly them)."""
    outs, pads = [], []
    for n, k, s, p, d in zip(size, kernel, stride, padding, dilation):
        o = _pool_size(n, k, s, p, d, ceil_mode)
        outs.append(o)
        pads.append((p, max((o - 1) * s + d * (k - 1) + 1 - n - p, 0)))
    return tuple(outs), tuple(pads)


def _leading(x, dims):
    """`x`'s sizes before its last `dims` (the pooled) dimensions."""
    return tuple(x.shape[:len(x.shape) - dims])


def _along(i, dims, values):
    """1-D `values` shaped to run along the i-th of `dims` trailing dimensions."""
    return values.reshape((-1,) + (1,) * (dims - 1 - i))


def _flat_index(at, kernel, size, position):
    """The flat position in the pooled (trailing) dimensions of size `size` of each window's
    element `at` (its flat offset in a `kernel`-shaped window): ``position(i, offset)`` is
    the input position along dimension i of the window element at kernel offset `offset`."""
    flat = None
    for i, k in enumerate(kernel):
        along = position(i, at // math.prod(kernel[i + 1:]) % k)
        flat = along if flat is None else flat * size[i] + along
    return flat


def _scatter_back(g, indices, x, dims):
    """The gradient of a max pool: each output's gradient added at the input position its
    index names (flat over the last `dims` dimensions of `x`, a tensor's `Like`)."""
    shape = x._shape
    lead = tuple(shape[:len(shape) - dims])
    zeros = torch.zeros(lead + (math.prod(shape[len(lead):]),), dtype=x.dtype, device=x.device)
    flat = into_zeros(zeros, "scatter_add", len(lead), indices.reshape(lead + (-1,)), g.reshape(lead + (-1,)))
    return flat.reshape(shape)


def _lowest(dtype):
    return -math.inf if dtype.is_floating_point else torch.iinfo(dtype).min


def _op(kind, dims):
    """The installed op `kind` ('max_pool', 'avg_pool', ...) of `dims` (2 or 3) dimensions."""
    return globals()[f"_{kind}{dims}d"]


# ------------------------------------------------------------------ the ops
def _max_pool(x, kernel, stride, padding, dilation, ceil_mode):
    """torch's max_pool{2,3}d_with_indices over the last len(kernel) dimensions: (the max of
    each window, its flat position in the input's pooled dimensions)."""
    dims = len(kernel)
    size = tuple(x.shape[-dims:])
    outs, pads = _plan(size, kernel, stride, padding, dilation, ceil_mode)
    view = windows(x, kernel, stride, pads, dilation, _lowest(x.dtype))
    values, at = view.reshape(tuple(view.shape[:-dims]) + (math.prod(kernel),)).max(-1)

    def position(i, offset):
        return _along(i, dims, torch.arange(outs[i], device=x.device) * stride[i] - padding[i]) + offset * dilation[i]
    return values, _flat_index(at, kernel, size, position)


def _max_rule(node):
    def make(args, kwargs, out):
        x, indices, dims = args[0], out[1], len(args[1])
        meta = like(x)

        def backward(grads):
            return (None if grads[0] is None else _scatter_back(grads[0], indices, meta, dims),)
        return node, (x,), backward, (indices,)
    return make


def _avg_divisor(size, kernel, stride, padding, outs, count_include_pad, like):
    """torch's divide factor of each window: a number when every window has the same, else
    a tensor of the output's pooled shape."""
    factors = []
    for n, k, s, p, o in zip(size, kernel, stride, padding, outs):
        each = []
        for i in range(o):
            start = i * s - p
            end = min(start + k, n + p)
            each.append(end - start if count_include_pad else min(end, n) - max(start, 0))
        factors.append(each)
    if all(len(set(each)) <= 1 for each in factors):
        return math.prod(each[0] if each else 1 for each in factors)
    table = None
    for i, each in enumerate(factors):
        along = _along(i, len(factors), torch.tensor(each, dtype=like.dtype, device=like.device))
        table = along if table is None else table * along
    return table


def _divided(total, divisor):
    """torch's average: a float sum over the divisor, an integer one truncated towards zero."""
    if total.dtype.is_floating_point:
        return total / divisor
    return torch.div(total, divisor, rounding_mode="trunc")


def _avg_pool(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """torch's avg_pool{2,3}d over the last len(kernel) dimensions: each window's sum over
    torch's divide factor."""
    dims = len(kernel)
    size = tuple(x.shape[-dims:])
    ones = (1,) * dims
    outs, pads = _plan(size, kernel, stride, padding, ones, ceil_mode)
    total = windows(x, kernel, stride, pads, ones).sum(tuple(range(-dims, 0)))
    divisor = divisor_override or _avg_divisor(size, kernel, stride, padding, outs, count_include_pad, x)
    return _divided(total, divisor)


def _avg_rule(node):
    def make(args, kwargs, out):
        x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override = args
        shape, dims = tuple(x._shape), len(kernel)

        def backward(g):  # each window's share, added back where the window read
            size = shape[-dims:]
            ones = (1,) * dims
            outs, pads = _plan(size, kernel, stride, padding, ones, ceil_mode)
            divisor = divisor_override or _avg_divisor(size, kernel, stride, padding, outs, count_include_pad, g)
            shared = g / divisor
            if shared.dim() == dims + 1:
                shared = shared.unsqueeze(0)
            lead = tuple(shared.shape)
            share = shared.reshape(lead + ones).expand(lead + tuple(kernel))
            order = (0, 1) + tuple(range(2 + dims, 2 + 2 * dims)) + tuple(range(2, 2 + dims))
            return (uncolumns(share.permute(order), size, kernel, stride, pads, ones).reshape(shape),)
        return node, (x,), backward, ()
    return make


def _adaptive_starts(size, out):
    """torch's adaptive windows: [floor(i*size/out), ceil((i+1)*size/out)) for each i."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def _averaging(size, out, like):
    """The (out, size) matrix averaging each adaptive window of a dimension."""
    rows = [[0.0] * size for _ in range(out)]
    for i, (start, end) in enumerate(_adaptive_starts(size, out)):
        for j in range(start, end):
            rows[i][j] = 1.0 / (end - start)
    return torch.tensor(rows, dtype=like.dtype, device=like.device).reshape(out, size)  # (out may be 0)


def _contracted(x, matrices):
    """`x` with each of its last len(`matrices`) dimensions (of size n_i) replaced by its
    product with the i-th matrix (o_i, n_i): one matrix product per dimension."""
    dims = len(matrices)
    lead = _leading(x, dims)
    for i, m in enumerate(matrices):
        sizes = tuple(x.shape[len(lead):])
        if i == dims - 1:
            x = x @ m.t()
        else:
            block = x.reshape(lead + (math.prod(sizes[:i]), sizes[i], math.prod(sizes[i + 1:])))
            x = (m @ block).reshape(lead + sizes[:i] + (m.shape[0],) + sizes[i + 1:])
    return x


def _adaptive_avg_pool(x, output_size):
    """torch's adaptive_avg_pool{2,3}d: the pooled dimensions each multiplied by the matrix
    averaging its windows."""
    size = tuple(x.shape[-len(output_size):])
    return _contracted(x, [_averaging(n, o, x) for n, o in zip(size, output_size)])


def _adaptive_avg_rule(node):
    def make(args, kwargs, out):
        x, output_size = args
        size = tuple(x._shape[-len(output_size):])

        def backward(g):  # the same matrices, transposed
            return (_contracted(g, [_averaging(n, o, g).t() for n, o in zip(size, output_size)]),)
        return node, (x,), backward, ()
    return make


def _gather_table(size, out, device):
    """(out, longest) positions of each adaptive window, its last one repeated to fill."""
    spans = _adaptive_starts(size, out)
    longest = max(end - start for start, end in spans)
    table = [[min(start + j, end - 1) for j in range(longest)] for start, end in spans]
    return torch.tensor(table, dtype=torch.int64, device=device), longest


def _adaptive_max_pool(x, output_size):
    """torch's adaptive_max_pool{2,3}d: (the max of each adaptive window, its flat position)."""
    dims = len(output_size)
    lead, size = _leading(x, dims), tuple(x.shape[-dims:])
    if 0 in output_size:  # no windows: nothing to take the maximum of
        shape = lead + tuple(output_size)
        return x.new_empty(shape), torch.empty(shape, dtype=torch.int64, device=x.device)
    tables = [_gather_table(n, o, x.device) for n, o in zip(size, output_size)]
    picked = x
    for dim, (table, _) in enumerate(tables, len(lead)):
        picked = picked.index_select(dim, table.reshape(-1))
    kernel = tuple(k for _, k in tables)
    picked = picked.reshape(lead + tuple(s for o, k in zip(output_size, kernel) for s in (o, k)))
    order = tuple(range(len(lead))) + tuple(len(lead) + 2 * i for i in range(dims)) \
        + tuple(len(lead) + 2 * i + 1 for i in range(dims))  # (..., o1..oN, k1..kN)
    values, at = picked.permute(order).reshape(lead + tuple(output_size) + (math.prod(kernel),)).max(-1)

    def position(i, offset):
        first = _along(i, dims, torch.arange(output_size[i], device=x.device) * kernel[i]) + offset
        return tables[i][0].reshape(-1).index_select(0, first.reshape(-1)).reshape(first.shape)
    return values, _flat_index(at, kernel, size, position)


def _install():
    """Each op under torch's 2-D and 3-D names (``_max_pool2d`` as ``max_pool2d_with_indices``,
    ...), with its rule: it passes through the dispatch point and autograd records one node,
    torch's."""
    ops = {}
    for dims in (2, 3):
        for kind, name, fn, make, node in (
                ("max_pool", "max_pool{}d_with_indices", _max_pool, _max_rule, "MaxPool{}DWithIndicesBackward0"),
                ("avg_pool", "avg_pool{}d", _avg_pool, _avg_rule, "AvgPool{}DBackward0"),
                ("adaptive_avg_pool", "adaptive_avg_pool{}d", _adaptive_avg_pool, _adaptive_avg_rule,
                 "AdaptiveAvgPool{}DBackward0"),
                ("adaptive_max_pool", "adaptive_max_pool{}d", _adaptive_max_pool, _max_rule,
                 "AdaptiveMaxPool{}DBackward0")):
            rule(name.format(dims))(make(node.format(dims)))
            ops[f"_{kind}{dims}d"] = (name.format(dims), fn)
    _forms.install_functions(globals(), ops)


_install()


# ------------------------------------------------------------------ argument checks
_WORDS = {2: "two", 3: "three"}
_LETTERS = ("T", "H", "W")  # (torch's names of the depth, height and width in its messages)


def _length_error(fn, name, n, value):
    """torch's message for an argument `name` of `fn` with neither 1 nor `n` entries."""
    got = len(value)
    if fn == "avg_pool1d":
        return f"avg_pool1d() argument '{name}' should contain one int (got {got})"
    if fn == "max_pool1d":
        kinds = {"kernel_size": "an int, list of ints", "stride": "None, an int, list of ints,",
                 "padding": "an int, list of ints,", "dilation": "an int, list of ints"}
        return f"max_pool1d() {name} must be {kinds[name]} or tuple of ints of size 1 but got size {got}"
    omitted = "omitted, " if name == "stride" else ""
    verb = "be either" if name == "dilation" else "be" if fn == "avg_pool3d" else "either be"
    return f"{fn}: {name} must {verb} {omitted}a single int, or a tuple of {_WORDS[n]} ints"


def _ints(value, n, name, fn):
    """`value` (an int or a sequence of 1 or `n` ints) as an n-tuple, with torch's error."""
    return ntuple(value, n, lambda: _length_error(fn, name, n, value))


def _stride(stride, kernel, n, fn):
    """The stride: the kernel's when omitted (None or empty)."""
    if stride is None or (not isinstance(stride, numbers.Integral) and not len(stride)):
        return kernel
    return _ints(stride, n, "stride", fn)


def _trunc_half(value):
    """value / 2 rounded towards zero (C++'s integer division, as torch's checks compute it)."""
    return -(-value // 2) if value < 0 else value // 2


def _output_sizes(size, kernel, stride, padding, dilation, ceil_mode):
    """torch's pooling_output_shape of each dimension, with its checks."""
    outs = []
    for n, k, s, p, d in zip(size, kernel, stride, padding, dilation):
        if s == 0:
            raise RuntimeError("stride should not be zero")
        if p < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
        if p > _trunc_half((k - 1) * d + 1):
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} "
                               f"and dilation={d}")
        outs.append(_pool_size(n, k, s, p, d, ceil_mode))
    return outs


def _named(prefix, values):
    """'kT: 2 kH: 2 kW: 2' for prefix 'k' (the last len(values) of T, H, W)."""
    return " ".join(f"{prefix}{letter}: {v}" for letter, v in zip(_LETTERS[3 - len(values):], values))


def _shape_check(input, kernel, stride, padding, dilation, outs, fn, avg):
    """torch's pool2d_shape_check / pool3d_shape_check (by len(kernel))."""
    dims, shape = len(kernel), list(input.shape)
    if min(kernel) <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got {_named('k', kernel)}")
    if min(stride) <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got {_named('d', stride)}")
    if min(dilation) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got {_named('dilation', dilation)}")
    if dims == 2:
        if len(shape) not in (3, 4) or 0 in shape[-3:]:
            raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
                               f"got:{shape}")
    else:
        if len(shape) not in (4, 5):
            raise RuntimeError(f"{fn}: Expected 4D or 5D tensor for input, but got: {shape}")
        if 0 in shape[len(shape) - 4:]:
            raise RuntimeError(f"{fn}: Expected input's non-batch dimensions to have positive length, but input has "
                               f"a shape of {shape} and non-batch dimension 0 has length zero!")
        if avg and any(n < k for n, k in zip(shape[-3:], kernel)):
            raise RuntimeError(f"input image ({_named('', shape[-3:])}) smaller than kernel size "
                               f"({_named('k', kernel)})")
    if any(k // 2 < p for k, p in zip(kernel, padding)):
        if dims == 2:
            raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = "
                               f"{padding[1]}, padH = {padding[0]}, kW = {kernel[1]}, kH = {kernel[0]}")
        (kt, kh, kw), (pt, ph, pw) = kernel, padding
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got kT: {kt} kW: {kw} "
                           f"kH: {kh} padT: {pt} padW: {pw} padH: {ph}")
    if min(outs) < 1:
        c, sizes = shape[-dims - 1], shape[-dims:]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, [c] + sizes))}). Calculated output size: "
                           f"({'x'.join(map(str, [c] + outs))}). Output size is too small")


def _check_dtype(input, allowed, kernel):
    """torch's NotImplementedError for an input dtype its kernel has no version for."""
    if input.dtype not in allowed:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.c_name}'")


_MAX_DTYPES = frozenset((torch.float16, torch.float32, torch.float64, torch.uint8, torch.int8, torch.int16,
                         torch.int32, torch.int64))
_AVG_DTYPES = {2: frozenset((torch.float16, torch.float32, torch.float64, torch.int64)),
               3: frozenset((torch.float32, torch.float64, torch.int64))}
_AVG_KERNELS = {2: "avg_pool2d", 3: "avg_pool3d_out_frame"}


def _rank(input, dims):
    """torch's first check of a max (and 3-D average) pooling's input: its number of dimensions."""
    if input.dim() not in (dims + 1, dims + 2):
        raise RuntimeError(f"non-empty {dims + 1}D or {dims + 2}D (batch mode) tensor expected for input")


def _max_settings(input, kernel_size, stride, padding, dilation, ceil_mode, dims):
    """(kernel, stride, padding, dilation) of max_pool{dims}d, checked in torch's order."""
    fn = f"max_pool{dims}d"
    kernel = _ints(kernel_size, dims, "kernel_size", fn)
    stride = _stride(stride, kernel, dims, fn)
    padding, dilation = _ints(padding, dims, "padding", fn), _ints(dilation, dims, "dilation", fn)
    _rank(input, dims)
    outs = _output_sizes(input.shape[-dims:], kernel, stride, padding, dilation, ceil_mode)
    _shape_check(input, kernel, stride, padding, dilation, outs, "max_pool3d_with_indices_out_cpu_template()", False)
    _check_dtype(input, _MAX_DTYPES, fn)
    return kernel, stride, padding, dilation


def _avg_settings(input, kernel_size, stride, padding, ceil_mode, divisor_override, dims):
    """(kernel, stride, padding) of avg_pool{dims}d, checked in torch's order."""
    fn = f"avg_pool{dims}d"
    kernel = _ints(kernel_size, dims, "kernel_size", fn)
    stride = _stride(stride, kernel, dims, fn)
    padding = _ints(padding, dims, "padding", fn)
    if dims == 3:
        _rank(input, dims)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if input.dim() < dims + 1:  # (torch reads the size of the channel dimension first)
        input.size(-dims - 1)
    ones = (1,) * dims
    outs = _output_sizes(input.shape[-dims:], kernel, stride, padding, ones, ceil_mode)
    _shape_check(input, kernel, stride, padding, ones, outs, "avg_pool3d()", True)
    _check_dtype(input, _AVG_DTYPES[dims], _AVG_KERNELS[dims])
    return kernel, stride, padding


def _settings_1d(input, kernel_size, stride, padding, dilation, fn):
    """The 2-D settings (height 1) of a 1-D pool, with torch's 1-D checks."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"{fn}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:{list(input.shape)}")
    kernel = _ints(kernel_size, 1, "kernel_size", fn)[0]
    stride = _stride(stride, (kernel,), 1, fn)[0]
    padding, dilation = _ints(padding, 1, "padding", fn)[0], _ints(dilation, 1, "dilation", fn)[0]
    return (1, kernel), (1, stride), (0, padding), (1, dilation)


# ------------------------------------------------------------------ the functions
def _max_pool_nd(input, kernel_size, stride, padding, dilation, ceil_mode, dims):
    settings = _max_settings(input, kernel_size, stride, padding, dilation, ceil_mode, dims)
    return _op("max_pool", dims)(input, *settings, ceil_mode)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """(max_pool2d's result, the flat position in each (H, W) plane of every maximum)."""
    return _max_pool_nd(input, kernel_size, stride, padding, dilation, ceil_mode, 2)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """(max_pool3d's result, the flat position in each (D, H, W) volume of every maximum)."""
    return _max_pool_nd(input, kernel_size, stride, padding, dilation, ceil_mode, 3)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each `kernel_size` window of `input` ((N, C, H, W) or (C, H, W)),
    windows `stride` apart (default: `kernel_size`), the input padded by `padding` (at most
    half the kernel) with -inf, the kernel's elements `dilation` apart; `ceil_mode` rounds
    the number of windows up. With `return_indices`, also each maximum's flat position."""
    out, indices = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, indices) if return_indices else out


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each `kernel_size` (depth, height, width) window of `input`
    ((N, C, D, H, W) or (C, D, H, W)); the settings as max_pool2d's, as ints or triples."""
    out, indices = max_pool3d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, indices) if return_indices else out


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """(max_pool1d's result, the position of every maximum along the last dimension)."""
    kernel, stride, padding, dilation = _settings_1d(input, kernel_size, stride, padding, dilation, "max_pool1d")
    if kernel[1] <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {kernel[1]}")
    if stride[1] <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {stride[1]}")
    if padding[1] < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {padding[1]}")
    if padding[1] > kernel[1] // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding="
                           f"{padding[1]} and kernel_size={kernel[1]}")
    if dilation[1] <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {dilation[1]}")
    size = _pool_size(input.shape[-1], kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    if size < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {size}")
    out, indices = _op("max_pool", 2)(input.unsqueeze(-2), kernel, stride, padding, dilation, ceil_mode)
    return out.squeeze(-2), indices.squeeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each window along the last dimension of `input` ((N, C, L) or (C, L));
    see max_pool2d."""
    out, indices = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, indices) if return_indices else out


def _avg_pool_nd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, dims):
    kernel, stride, padding = _avg_settings(input, kernel_size, stride, padding, ceil_mode, divisor_override, dims)
    return _op("avg_pool", dims)(input, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each `kernel_size` window of `input` ((N, C, H, W) or (C, H, W)): the sum
    over `divisor_override` when given, else over the window's size (with the zero padding
    when `count_include_pad`, without it otherwise); an int64 input's means are truncated
    towards zero, as torch's."""
    return _avg_pool_nd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each `kernel_size` (depth, height, width) window of `input`
    ((N, C, D, H, W) or (C, D, H, W)); see avg_pool2d."""
    return _avg_pool_nd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean of each window along the last dimension of `input` ((N, C, L) or (C, L))."""
    _check_1d_rank(input, "avg_pool1d")
    kernel, stride, padding, _ = _settings_1d(input, kernel_size, stride, padding, 1, "avg_pool1d")
    x = input.unsqueeze(-2)
    _avg_settings(x, kernel, stride, padding, ceil_mode, None, 2)
    return _op("avg_pool", 2)(x, kernel, stride, padding, ceil_mode, count_include_pad, None).squeeze(-2)


def _int_sizes(output_size, n, fn):
    """`output_size` read as torch reads an int-list argument: an int (repeated `n` times) or
    a sequence of ints (its length is checked later, after the input's rank)."""
    if isinstance(output_size, numbers.Integral) and not isinstance(output_size, bool):
        return (int(output_size),) * n
    if not isinstance(output_size, (tuple, list)):
        raise TypeError(f"{fn}(): argument 'output_size' (position 2) must be tuple of ints, not "
                        f"{type(output_size).__name__}")
    for i, s in enumerate(output_size):
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            raise TypeError(f"{fn}(): argument 'output_size' (position 2) must be tuple of ints, but found element "
                            f"of type {type(s).__name__} at pos {i}")
    return tuple(int(s) for s in output_size)


def _check_length(size, n, message):
    if len(size) != n:
        raise RuntimeError(message.format(got=len(size)))


def _output_size(input, output_size, dims, fn):
    """A 2-D or 3-D adaptive pooling's output size as ints: an int, or entries where None
    keeps the input's size; the input needs more dimensions than a sequence has entries
    (torch's ValueError)."""
    if not isinstance(output_size, numbers.Integral):
        if not hasattr(output_size, "__len__"):
            raise TypeError(f"object of type '{type(output_size).__name__}' has no len()")
        if input.dim() <= len(output_size):
            raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
        tail = input.shape[input.dim() - len(output_size):]
        output_size = [size if s is None else s for s, size in zip(output_size, tail)]
    return _int_sizes(output_size, dims, fn)


def _output_size_1d(input, output_size, fn):
    """A 1-D adaptive pooling's (OL,), checked in torch's order: the argument's type, the
    input's rank, the argument's length."""
    size = _int_sizes(output_size, 1, fn)
    _check_1d_rank(input, fn)
    _check_length(size, 1, fn + "() argument 'output_size' should contain one int (got {got})")
    return size


def _check_1d_rank(input, fn):
    """torch's check that a 1-D pooling's input is (C, L) or (N, C, L)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for {fn})")


def _check_adaptive(input, fn, colon, dims, empty_first=False):
    """torch's checks of an adaptive pooling's input: (dims + 1)-D or (dims + 2)-D, no empty
    non-batch dimension (checked first with `empty_first`, as adaptive_avg_pool3d does)."""
    checks = [_check_adaptive_rank, _check_adaptive_sizes]
    for check in reversed(checks) if empty_first else checks:
        check(input, fn, colon, dims)


def _check_adaptive_rank(input, fn, colon, dims):
    if input.dim() not in (dims + 1, dims + 2):
        raise RuntimeError(f"{fn}(): Expected {dims + 1}D or {dims + 2}D tensor, but got{colon} {list(input.shape)}")


def _check_adaptive_sizes(input, fn, colon, dims):
    for d in range(1, input.dim()):
        if input.shape[d] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                               f"sizes {list(input.shape)} with dimension {d} being empty")


def _adaptive_avg_pool_nd(input, output_size, dims):
    fn = f"adaptive_avg_pool{dims}d"
    size = _output_size(input, output_size, dims, fn)
    _check_length(size, dims, f"{fn}: output_size must be {dims}")
    if any(s < 0 for s in size):
        # (torch's 3-D message leaves out the last space)
        shown = ", ".join(map(str, size)) if dims == 2 else f"{size[0]}, {size[1]},{size[2]}"
        raise RuntimeError(f"{fn}: elements of output_size must be greater than or equal to 0 but received {{{shown}}}")
    if size == (1,) * dims:  # global average pooling: torch's mean (MeanBackward1), before its other checks
        return input.mean(tuple(range(-1, -dims - 1, -1)), keepdim=True)
    _check_adaptive(input, fn, "", dims, empty_first=dims == 3)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{fn}{'_cpu' if dims == 3 else ''}\" not implemented for '{input.dtype.c_name}'")
    return _op("adaptive_avg_pool", dims)(input, size)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to an output of `output_size` (an int, or (OH, OW) with None for
    keeping a size) whatever the input's size: window i along a dimension of size n spans
    [floor(i*n/o), ceil((i+1)*n/o))."""
    return _adaptive_avg_pool_nd(input, output_size, 2)


def adaptive_avg_pool3d(input, output_size):
    """Average pooling of `input` ((N, C, D, H, W) or (C, D, H, W)) to `output_size` (an int,
    or (OD, OH, OW) with None for keeping a size); see adaptive_avg_pool2d."""
    return _adaptive_avg_pool_nd(input, output_size, 3)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of the last dimension of `input` ((N, C, L) or (C, L)) to `output_size`."""
    size = _output_size_1d(input, output_size, "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1,) + size).squeeze(-2)


def _adaptive_max_pool_nd(input, output_size, dims):
    fn = f"adaptive_max_pool{dims}d"
    size = _output_size(input, output_size, dims, fn)
    _check_adaptive(input, fn, ":", dims)
    _check_length(size, dims, f"{fn}(): internal error: output_size.size() must be {dims}")
    negative = [s for s in size if s < 0]
    if negative:
        raise RuntimeError(f"Trying to create tensor with negative dimension {negative[0]}: "
                           f"{list(input.shape[:-dims]) + list(size)}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{fn}{'_cpu' if dims == 3 else ''}\" not implemented for '{input.dtype.c_name}'")
    return _op("adaptive_max_pool", dims)(input, size)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    """(adaptive_max_pool2d's result, the flat position of every maximum)."""
    return _adaptive_max_pool_nd(input, output_size, 2)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    """(adaptive_max_pool3d's result, the flat position in each (D, H, W) volume of every maximum)."""
    return _adaptive_max_pool_nd(input, output_size, 3)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to an output of `output_size` whatever the input's size (the windows of
    adaptive_avg_pool2d); with `return_indices`, also each maximum's flat position."""
    out, indices = adaptive_max_pool2d_with_indices(input, output_size)
    return (out, indices) if return_indices else out


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling of `input` ((N, C, D, H, W) or (C, D, H, W)) to `output_size` whatever its
    size (the windows of adaptive_avg_pool3d); with `return_indices`, also the positions."""
    out, indices = adaptive_max_pool3d_with_indices(input, output_size)
    return (out, indices) if return_indices else out


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    """(adaptive_max_pool1d's result, the position of every maximum)."""
    size = _output_size_1d(input, output_size, "adaptive_max_pool1d")
    out, indices = adaptive_max_pool2d_with_indices(input.unsqueeze(-2), (1,) + size)
    return out.squeeze(-2), indices.squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of the last dimension of `input` to `output_size`."""
    out, indices = adaptive_max_pool1d_with_indices(input, output_size)
    return (out, indices) if return_indices else out


# ------------------------------------------------------------------ the layers
class _MaxPoolNd(Module):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding, self.dilation,
                              ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max pooling along the last dimension (see F.max_pool1d)."""

    _fn = max_pool1d


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling (see F.max_pool2d): ``MaxPool2d(2)`` halves the height and width."""

    _fn = max_pool2d


class MaxPool3d(_MaxPoolNd):
    """3-D max pooling (see F.max_pool3d): ``MaxPool3d(2)`` halves the depth, height and width."""

    _fn = max_pool3d


class AvgPool1d(Module):
    """Average pooling along the last dimension (see F.avg_pool1d); settings kept as 1-tuples."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = _ints(kernel_size, 1, "kernel_size", "avg_pool1d")
        self.stride = _ints(stride if stride is not None else kernel_size, 1, "stride", "avg_pool1d")
        self.padding = _ints(padding, 1, "padding", "avg_pool1d")
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AvgPoolNd(Module):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                              self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    """2-D average pooling (see F.avg_pool2d)."""

    _fn = avg_pool2d


class AvgPool3d(_AvgPoolNd):
    """3-D average pooling (see F.avg_pool3d)."""

    _fn = avg_pool3d


class _AdaptiveAvgPool(Module):
    _fn = None

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return type(self)._fn(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class _AdaptiveMaxPool(_AdaptiveAvgPool):
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):
        return type(self)._fn(input, self.output_size, self.return_indices)


class AdaptiveAvgPool1d(_AdaptiveAvgPool):
    """Average pooling of the last dimension to `output_size`, whatever the input's length."""

    _fn = adaptive_avg_pool1d


class AdaptiveAvgPool2d(_AdaptiveAvgPool):
    """Average pooling to `output_size` whatever the input's size (``AdaptiveAvgPool2d((1, 1))``:
    the global average pooling of NiN and ResNet)."""

    _fn = adaptive_avg_pool2d


class AdaptiveAvgPool3d(_AdaptiveAvgPool):
    """3-D average pooling to `output_size` whatever the input's size."""

    _fn = adaptive_avg_pool3d


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """Max pooling of the last dimension to `output_size`."""

    _fn = adaptive_max_pool1d


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """Max pooling to `output_size` whatever the input's size."""

    _fn = adaptive_max_pool2d


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """3-D max pooling to `output_size` whatever the input's size."""

    _fn = adaptive_max_pool3d
