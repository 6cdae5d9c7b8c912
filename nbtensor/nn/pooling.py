"""Pooling: ``F.max_pool1d/2d``, ``F.avg_pool1d/2d``, ``F.adaptive_avg_pool1d/2d``,
``F.adaptive_max_pool1d/2d`` and their layers.

Each 2-D pooling is one op at the dispatch point with torch's node
(``MaxPool2DWithIndicesBackward0``, ``AvgPool2DBackward0``, ``AdaptiveAvgPool2DBackward0``,
``AdaptiveMaxPool2DBackward0``); the 1-D ones are the 2-D ones over a height of 1, as in
torch (``SqueezeBackward1`` on top). Windows are views of the padded input (nn/im2col.py):
a max pool takes the max of each window (padding is -inf) and keeps the flat position it
came from, its backward adds the gradient back there (``scatter_add``); an average pool
sums each window and divides by torch's count, its backward spreads the gradient back with
col2im; the adaptive average pool is two small matrix products (rows, then columns,
averaged over torch's windows ``[floor(i*H/OH), ceil((i+1)*H/OH))``), and the adaptive max
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

__all__ = ["max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices", "avg_pool1d",
           "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices", "MaxPool1d", "MaxPool2d",
           "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d"]


# ------------------------------------------------------------------ shared helpers
def _pool_size(size, kernel, stride, pad, dilation, ceil_mode):
    """torch's pooling_output_shape: windows along a dimension (the last one must start
    inside the input or its left padding when rounding up)."""
    out = (size + 2 * pad - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _plan(size, kernel, stride, padding, dilation, ceil_mode):
    """(output sizes, ((top, bottom), (left, right)) padding that yields exactly them)."""
    outs, pads = [], []
    for n, k, s, p, d in zip(size, kernel, stride, padding, dilation):
        o = _pool_size(n, k, s, p, d, ceil_mode)
        outs.append(o)
        pads.append((p, max((o - 1) * s + d * (k - 1) + 1 - n - p, 0)))
    return tuple(outs), tuple(pads)


def _batched(x):
    return x if x.dim() == 4 else x.unsqueeze(0)


def _scatter_back(g, indices, x):
    """The gradient of a max pool: each output's gradient added at the input position its
    index names (flat over the last two dimensions of `x`, a tensor's `Like`)."""
    shape = x._shape
    lead = tuple(shape[:-2])
    zeros = torch.zeros(lead + (shape[-2] * shape[-1],), dtype=x.dtype, device=x.device)
    flat = into_zeros(zeros, "scatter_add", len(lead), indices.reshape(lead + (-1,)), g.reshape(lead + (-1,)))
    return flat.reshape(shape)


def _lowest(dtype):
    return -math.inf if dtype.is_floating_point else torch.iinfo(dtype).min


# ------------------------------------------------------------------ the ops
def _max_pool2d(x, kernel, stride, padding, dilation, ceil_mode):
    """torch's max_pool2d_with_indices: (the max of each window, its flat position in the
    input's (H, W) plane)."""
    h, w = x.shape[-2:]
    (oh, ow), pads = _plan((h, w), kernel, stride, padding, dilation, ceil_mode)
    view = windows(x, kernel, stride, pads, dilation, _lowest(x.dtype))
    values, at = view.reshape(tuple(view.shape[:-2]) + (kernel[0] * kernel[1],)).max(-1)
    rows = (torch.arange(oh, device=x.device) * stride[0] - padding[0]).reshape(oh, 1) + (at // kernel[1]) * dilation[0]
    cols = torch.arange(ow, device=x.device) * stride[1] - padding[1] + (at % kernel[1]) * dilation[1]
    return values, rows * w + cols


def _max_rule(node):
    def make(args, kwargs, out):
        x, indices = args[0], out[1]
        meta = like(x)

        def backward(grads):
            return (None if grads[0] is None else _scatter_back(grads[0], indices, meta),)
        return node, (x,), backward, (indices,)
    return make


rule("max_pool2d_with_indices")(_max_rule("MaxPool2DWithIndicesBackward0"))
rule("adaptive_max_pool2d")(_max_rule("AdaptiveMaxPool2DBackward0"))


def _avg_divisor(size, kernel, stride, padding, outs, count_include_pad, like):
    """torch's divide factor of each window: a number when every window has the same, else
    an (OH, OW) tensor."""
    factors = []
    for n, k, s, p, o in zip(size, kernel, stride, padding, outs):
        each = []
        for i in range(o):
            start = i * s - p
            end = min(start + k, n + p)
            each.append(end - start if count_include_pad else min(end, n) - max(start, 0))
        factors.append(each)
    if len(set(factors[0])) == 1 and len(set(factors[1])) == 1:
        return factors[0][0] * factors[1][0]
    table = [[a * b for b in factors[1]] for a in factors[0]]
    return torch.tensor(table, dtype=like.dtype, device=like.device)


def _avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """torch's avg_pool2d: each window's sum over torch's divide factor."""
    size = tuple(x.shape[-2:])
    outs, pads = _plan(size, kernel, stride, padding, (1, 1), ceil_mode)
    total = windows(x, kernel, stride, pads, (1, 1)).sum((-2, -1))
    divisor = divisor_override or _avg_divisor(size, kernel, stride, padding, outs, count_include_pad, x)
    return total / divisor


@rule("avg_pool2d")
def _avg_pool2d_rule(args, kwargs, out):
    x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override = args
    shape = tuple(x._shape)

    def backward(g):  # each window's share, added back where the window read
        size = shape[-2:]
        outs, pads = _plan(size, kernel, stride, padding, (1, 1), ceil_mode)
        divisor = divisor_override or _avg_divisor(size, kernel, stride, padding, outs, count_include_pad, g)
        g4 = _batched(g / divisor)
        share = g4.reshape(tuple(g4.shape) + (1, 1)).expand(tuple(g4.shape) + tuple(kernel))
        return (uncolumns(share.permute(0, 1, 4, 5, 2, 3), size, kernel, stride, pads, (1, 1)).reshape(shape),)
    return "AvgPool2DBackward0", (x,), backward, ()


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


def _adaptive_avg_pool2d(x, output_size):
    """torch's adaptive_avg_pool2d: rows @ x @ columns.T, the matrices averaging its windows."""
    (h, w), (oh, ow) = x.shape[-2:], output_size
    return _averaging(h, oh, x) @ x @ _averaging(w, ow, x).t()


@rule("adaptive_avg_pool2d")
def _adaptive_avg_pool2d_rule(args, kwargs, out):
    x, (oh, ow) = args
    meta = (tuple(x._shape[-2:]), x.dtype, x.device)

    def backward(g):  # the same matrices, transposed
        (h, w), _, _ = meta
        return (_averaging(h, oh, g).t() @ g @ _averaging(w, ow, g),)
    return "AdaptiveAvgPool2DBackward0", (x,), backward, ()


def _gather_table(size, out, device):
    """(out, longest) positions of each adaptive window, its last one repeated to fill."""
    spans = _adaptive_starts(size, out)
    longest = max(end - start for start, end in spans)
    table = [[min(start + j, end - 1) for j in range(longest)] for start, end in spans]
    return torch.tensor(table, dtype=torch.int64, device=device), longest


def _adaptive_max_pool2d(x, output_size):
    """torch's adaptive_max_pool2d: (the max of each adaptive window, its flat position)."""
    (h, w), (oh, ow) = x.shape[-2:], output_size
    if oh == 0 or ow == 0:  # no windows: nothing to take the maximum of
        shape = tuple(x.shape[:-2]) + (oh, ow)
        return x.new_empty(shape), torch.empty(shape, dtype=torch.int64, device=x.device)
    rows, kh = _gather_table(h, oh, x.device)
    cols, kw = _gather_table(w, ow, x.device)
    d = x.dim()
    picked = x.index_select(d - 2, rows.reshape(-1)).index_select(d - 1, cols.reshape(-1))
    lead = tuple(x.shape[:-2])
    picked = picked.reshape(lead + (oh, kh, ow, kw)).movedim(d - 1, d)  # (..., oh, ow, kh, kw)
    values, at = picked.reshape(lead + (oh, ow, kh * kw)).max(-1)
    first_rows = rows.reshape(-1).index_select(0, (torch.arange(oh, device=x.device).reshape(oh, 1) * kh
                                                   + at // kw).reshape(-1)).reshape(at.shape)
    first_cols = cols.reshape(-1).index_select(0, (torch.arange(ow, device=x.device) * kw
                                                   + at % kw).reshape(-1)).reshape(at.shape)
    return values, first_rows * w + first_cols


# (each passes through the dispatch point under torch's op name: autograd records one node)
_forms.install_functions(globals(), {
    "_max_pool2d": ("max_pool2d_with_indices", _max_pool2d), "_avg_pool2d": ("avg_pool2d", _avg_pool2d),
    "_adaptive_avg_pool2d": ("adaptive_avg_pool2d", _adaptive_avg_pool2d),
    "_adaptive_max_pool2d": ("adaptive_max_pool2d", _adaptive_max_pool2d)})


# ------------------------------------------------------------------ argument checks
def _ints(value, n, name, fn):
    """`value` (an int or a sequence of 1 or `n` ints) as an n-tuple, with torch's error."""
    return ntuple(value, n, f"{fn}: {name} must either be a single int, or a tuple of {n} ints")


def _check_2d(input, kernel, stride, padding, dilation, ceil_mode, fn):
    """torch's pool2d_shape_check, for a 3-D or 4-D input."""
    if input.dim() not in (3, 4) or 0 in input.shape[-3:]:
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    if min(kernel) <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kernel[0]} kW: {kernel[1]}")
    if min(stride) <= 0:
        raise RuntimeError("stride should not be zero")
    if min(dilation) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dilation[0]} "
                           f"dilationW: {dilation[1]}")
    if min(padding) < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(padding)}")
    for k, p, d in zip(kernel, padding, dilation):
        if p > ((k - 1) * d + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} "
                               f"and dilation={d}")
    outs = [_pool_size(n, k, s, p, d, ceil_mode)
            for n, k, s, p, d in zip(input.shape[-2:], kernel, stride, padding, dilation)]
    if min(outs) < 1:
        c, (h, w) = input.shape[-3], input.shape[-2:]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{outs[0]}x{outs[1]}). "
                           "Output size is too small")


def _settings_2d(input, kernel_size, stride, padding, dilation, ceil_mode, fn):
    kernel = _ints(kernel_size, 2, "kernel_size", fn)
    stride = kernel if stride is None or (not isinstance(stride, numbers.Integral) and not len(stride)) \
        else _ints(stride, 2, "stride", fn)
    padding, dilation = _ints(padding, 2, "padding", fn), _ints(dilation, 2, "dilation", fn)
    _check_2d(input, kernel, stride, padding, dilation, ceil_mode, fn)
    return kernel, stride, padding, dilation


def _settings_1d(input, kernel_size, stride, padding, dilation, fn):
    """The 2-D settings (height 1) of a 1-D pool, with torch's 1-D checks."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"{fn}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:{list(input.shape)}")
    kernel = _ints(kernel_size, 1, "kernel_size", fn)[0]
    stride = kernel if stride is None or (not isinstance(stride, numbers.Integral) and not len(stride)) \
        else _ints(stride, 1, "stride", fn)[0]
    padding, dilation = _ints(padding, 1, "padding", fn)[0], _ints(dilation, 1, "dilation", fn)[0]
    return (1, kernel), (1, stride), (0, padding), (1, dilation)


# ------------------------------------------------------------------ the functions
def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """(max_pool2d's result, the flat position in each (H, W) plane of every maximum)."""
    settings = _settings_2d(input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    return _max_pool2d(input, *settings, ceil_mode)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each `kernel_size` window of `input` ((N, C, H, W) or (C, H, W)),
    windows `stride` apart (default: `kernel_size`), the input padded by `padding` (at most
    half the kernel) with -inf, the kernel's elements `dilation` apart; `ceil_mode` rounds
    the number of windows up. With `return_indices`, also each maximum's flat position."""
    out, indices = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
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
    out, indices = _max_pool2d(input.unsqueeze(-2), kernel, stride, padding, dilation, ceil_mode)
    return out.squeeze(-2), indices.squeeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each window along the last dimension of `input` ((N, C, L) or (C, L));
    see max_pool2d."""
    out, indices = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, indices) if return_indices else out


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each `kernel_size` window of `input` ((N, C, H, W) or (C, H, W)): the sum
    over `divisor_override` when given, else over the window's size (with the zero padding
    when `count_include_pad`, without it otherwise)."""
    kernel, stride, padding, _ = _settings_2d(input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    return _avg_pool2d(input, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean of each window along the last dimension of `input` ((N, C, L) or (C, L))."""
    _check_1d_rank(input, "avg_pool1d")
    kernel, stride, padding, _ = _settings_1d(input, kernel_size, stride, padding, 1, "avg_pool1d")
    x = input.unsqueeze(-2)
    _check_2d(x, kernel, stride, padding, (1, 1), ceil_mode, "avg_pool1d")
    return _avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad, None).squeeze(-2)


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


def _output_size_2d(input, output_size, fn):
    """A 2-D adaptive pooling's output size as ints: an int, or entries where None keeps the
    input's size; the input needs more dimensions than a sequence has entries (torch's
    ValueError)."""
    if not isinstance(output_size, numbers.Integral):
        if not hasattr(output_size, "__len__"):
            raise TypeError(f"object of type '{type(output_size).__name__}' has no len()")
        if input.dim() <= len(output_size):
            raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
        tail = input.shape[input.dim() - len(output_size):]
        output_size = [size if s is None else s for s, size in zip(output_size, tail)]
    return _int_sizes(output_size, 2, fn)


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


def _check_adaptive(input, fn, colon):
    """torch's checks of a 2-D adaptive pooling's input: 3-D or 4-D, no empty non-batch dimension."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"{fn}(): Expected 3D or 4D tensor, but got{colon} {list(input.shape)}")
    for d in range(1, input.dim()):
        if input.shape[d] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                               f"sizes {list(input.shape)} with dimension {d} being empty")


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to an output of `output_size` (an int, or (OH, OW) with None for
    keeping a size) whatever the input's size: window i along a dimension of size n spans
    [floor(i*n/o), ceil((i+1)*n/o))."""
    size = _output_size_2d(input, output_size, "adaptive_avg_pool2d")
    _check_length(size, 2, "adaptive_avg_pool2d: output_size must be 2")
    if any(s < 0 for s in size):
        raise RuntimeError("adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
                           f"received {{{', '.join(map(str, size))}}}")
    if size == (1, 1):  # global average pooling: torch's mean (MeanBackward1), before its other checks
        return input.mean((-1, -2), keepdim=True)
    _check_adaptive(input, "adaptive_avg_pool2d", "")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"adaptive_avg_pool2d\" not implemented for '{input.dtype.c_name}'")
    return _adaptive_avg_pool2d(input, size)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of the last dimension of `input` ((N, C, L) or (C, L)) to `output_size`."""
    size = _output_size_1d(input, output_size, "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1,) + size).squeeze(-2)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    """(adaptive_max_pool2d's result, the flat position of every maximum)."""
    size = _output_size_2d(input, output_size, "adaptive_max_pool2d")
    _check_adaptive(input, "adaptive_max_pool2d", ":")
    _check_length(size, 2, "adaptive_max_pool2d(): internal error: output_size.size() must be 2")
    negative = [s for s in size if s < 0]
    if negative:
        raise RuntimeError(f"Trying to create tensor with negative dimension {negative[0]}: "
                           f"{list(input.shape[:-2]) + list(size)}")
    return _adaptive_max_pool2d(input, size)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to an output of `output_size` whatever the input's size (the windows of
    adaptive_avg_pool2d); with `return_indices`, also each maximum's flat position."""
    out, indices = adaptive_max_pool2d_with_indices(input, output_size)
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


class AvgPool2d(Module):
    """2-D average pooling (see F.avg_pool2d)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                          self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


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


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """Max pooling of the last dimension to `output_size`."""

    _fn = adaptive_max_pool1d


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """Max pooling to `output_size` whatever the input's size."""

    _fn = adaptive_max_pool2d
