"""Convolutions: ``F.conv1d``, ``F.conv2d``, ``F.conv3d``, ``F.conv_transpose1d``,
``F.conv_transpose2d``, ``F.conv_transpose3d`` (the layers are in nn/conv_layers.py).

Each convolution is one op at the dispatch point (``grad_fn=<ConvolutionBackward0>``, as
torch's) for any number of spatial dimensions, computed as im2col + one batched matrix
product (nn/im2col.py): the patches of the input as columns, times the weight viewed as a
(groups, out/groups, in/groups*prod(kernel)) matrix. Its derivative rule is written with
the same nbtensor ops: the input's gradient is the transposed convolution of the output's
(the weight's transpose times the gradient, folded back with col2im), the weight's the
gradient times the patches (summed over the batch), the bias's the gradient summed over
batch and positions. A transposed convolution is the same pair the other way round.
"""
import math
import warnings

from nbtensor.autograd.rules import _for, _wants, rule
from nbtensor.dispatch import dispatcher as _forms
from nbtensor.nn.im2col import columns, ntuple, out_size, uncolumns

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]


# ------------------------------------------------------------------ the ops
def _conv_matrices(x, w, stride, padding, dilation, groups):
    """(patches (N, G, Cg*prod(kernel), L), weight (G, O/G, Cg*prod(kernel))) of a convolution."""
    n = x.shape[0]
    out_channels, cg = w.shape[:2]
    kernel = tuple(w.shape[2:])
    cols = columns(x, kernel, stride, padding, dilation)
    return cols.reshape(n, groups, cg * math.prod(kernel), cols.shape[2]), w.reshape(groups, out_channels // groups, -1)


def _convolution(input, weight, bias, stride, padding, dilation, groups):
    """torch's convolution op (not transposed): `input` (N, C, *spatial), `weight`
    (O, C/groups, *kernel); `stride`, `dilation` tuples and `padding` a tuple of (before,
    after) pairs, one per spatial dimension."""
    cols, wm = _conv_matrices(input, weight, stride, padding, dilation, groups)
    out = wm @ cols  # (N, G, O/G, L)
    shape = (input.shape[0], weight.shape[0]) + tuple(
        out_size(*a) for a in zip(input.shape[2:], weight.shape[2:], stride, padding, dilation))
    out = out.reshape(shape)
    if bias is not None:
        out.add_(_per_channel(bias, out))
    return out


def _per_channel(bias, out):
    """`bias` (C) viewed to broadcast over the channels of `out` (N, C, *spatial)."""
    return bias.reshape((1, -1) + (1,) * (out.dim() - 2))


def _gradients(x, weight, bias, g, prepare, input_grad, weight_grad):
    """(input's, weight's, bias's) gradient of a convolution op, each only when wanted:
    ``prepare(x, w, g)`` makes what ``input_grad`` and ``weight_grad`` both read (the
    matrices)."""
    parts = prepare(x, weight, g)
    gx = input_grad(*parts).reshape(x._shape) if _wants(x) else None
    gw = weight_grad(*parts).sum(0).reshape(weight._shape) if _wants(weight) else None
    gb = _for(g.sum((0,) + tuple(range(2, g.dim()))), bias) if _wants(bias) else None
    return gx, gw, gb


@rule("convolution")
def _convolution_rule(args, kwargs, out):
    x, weight, bias, stride, padding, dilation, groups = args

    def prepare(x, w, g):
        n, o = g.shape[:2]
        cols, wm = _conv_matrices(x, w, stride, padding, dilation, groups)
        return x, w, g.reshape(n, groups, o // groups, -1), cols, wm

    def input_grad(x, w, gm, cols, wm):  # the transposed convolution of the gradient
        return uncolumns(wm.transpose(1, 2) @ gm, tuple(x.shape[2:]), tuple(w.shape[2:]), stride, padding, dilation)

    def weight_grad(x, w, gm, cols, wm):  # the gradient times the patches, per sample
        return gm @ cols.transpose(2, 3)

    # torch's convolution_backward
    return ("ConvolutionBackward0", (x, weight, bias),
            lambda g: _gradients(x, weight, bias, g, prepare, input_grad, weight_grad), (x, weight))


def _transposed_matrices(x, w, groups):
    """(input (N, G, Cin/G, prod(spatial)), weight (G, Cin/G, O/G*prod(kernel))) of a
    transposed convolution."""
    n, cin = x.shape[:2]
    return x.reshape(n, groups, cin // groups, -1), w.reshape(groups, cin // groups, -1)


def _transposed_padding(padding, output_padding):
    """The (before, after) padding of the convolution a transposed convolution is the adjoint
    of: its output_padding extends the output after the end (a negative `after` when it is
    more than the padding, see nn/im2col.py's `_plane`)."""
    return tuple((before, after - extra) for (before, after), extra in zip(padding, output_padding))


def _convolution_transpose(input, weight, bias, stride, padding, output_padding, dilation, groups):
    """torch's transposed convolution op: `input` (N, Cin, *spatial), `weight`
    (Cin, O/groups, *kernel); the adjoint of the convolution with the same settings, its
    output (size - 1)*stride - padding + dilation*(kernel - 1) + output_padding + 1 long."""
    xm, wm = _transposed_matrices(input, weight, groups)
    kernel = tuple(weight.shape[2:])
    pads = _transposed_padding(padding, output_padding)
    size = tuple((n - 1) * s - a - b + d * (k - 1) + 1 for n, k, s, (a, b), d
                 in zip(input.shape[2:], kernel, stride, pads, dilation))
    out = uncolumns(wm.transpose(1, 2) @ xm, size, kernel, stride, pads, dilation).contiguous()
    if bias is not None:
        out.add_(_per_channel(bias, out))
    return out


@rule("convolution_transpose")
def _convolution_transpose_rule(args, kwargs, out):
    x, weight, bias, stride, padding, output_padding, dilation, groups = args
    pads = _transposed_padding(padding, output_padding)

    def prepare(x, w, g):  # the gradient's patches, as the forward convolution reads them
        xm, wm = _transposed_matrices(x, w, groups)
        cols = columns(g, tuple(w.shape[2:]), stride, pads, dilation)
        return xm, wm, cols.reshape(cols.shape[0], groups, -1, cols.shape[2])

    return ("ConvolutionBackward0", (x, weight, bias),
            lambda g: _gradients(x, weight, bias, g, prepare, lambda xm, wm, cols: wm @ cols,
                                 lambda xm, wm, cols: xm @ cols.transpose(2, 3)), (x, weight))


# (each passes through the dispatch point under its op name: autograd records one node)
_forms.install_functions(globals(), {"_convolution": ("convolution", _convolution),
                                     "_convolution_transpose": ("convolution_transpose", _convolution_transpose)})


# ------------------------------------------------------------------ the checks
# In torch's order: the function's own (the bias's dtype, the input's rank), the
# convolution's parameters, the shapes (check_shape_forward), then its kernel's checks.
def _expand(value, n, name):
    """`value` (an int or a sequence of 1 or `n` ints) as an n-tuple, with torch's error."""
    return ntuple(value, n, lambda: f"expected {name} to be a single integer value or a list of {n} values to "
                                    f"match the convolution dimensions, but got {name}={list(value)}")


def _check_input(input, weight, dims, fn):
    """The batched input (unsqueezed when unbatched) and whether it was batched."""
    if input.dim() not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {fn}, but got input "
                           f"of size: {list(input.shape)}")
    batched = input.dim() == dims + 2
    return (input if batched else input.unsqueeze(0)), batched


def _check_bias_dtype(input, bias):
    """conv{1,2,3}d's first check: the bias has the input's dtype."""
    if bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(f"Input type ({input.dtype.cpp_name}) and bias type ({bias.dtype.cpp_name}) should be the "
                           "same")


def _check_dtype(input, other):
    if input.dtype is not other.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.c_name} but found {other.dtype.c_name}")


def _same_padding(weight, stride, dilation):
    """((before, after), ...) of padding='same': half the dilated kernel each side, the odd
    one out after (torch pads the input by it first, with a warning; here the op takes
    uneven padding itself)."""
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    pads = []
    for d, k in zip(dilation, weight.shape[2:]):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    if any(left != right for left, right in pads):
        warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded "
                      "copy of the input be created", stacklevel=4)
    return pads


def _padding_pairs(padding, weight, dims, stride, dilation):
    """`padding` (ints, 'valid' or 'same') as ((before, after), ...) per dimension."""
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0)] * dims
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        return _same_padding(weight, stride, dilation)
    pads = _expand(padding, dims, "padding")
    if any(p < 0 for p in pads):
        raise RuntimeError("negative padding is not supported")
    return [(p, p) for p in pads]


def _settings(weight, dims, stride, dilation, groups):
    """stride and dilation as tuples, after torch's checks of the weight's rank and groups."""
    if weight.dim() != dims + 2:
        raise RuntimeError(f"expected stride to be a single integer value or a list of {weight.dim() - 2} values to "
                           f"match the convolution dimensions, but got stride={list(_expand(stride, dims, 'stride'))}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    return _expand(stride, dims, "stride"), _expand(dilation, dims, "dilation")


def _check_steps(stride, dilation):
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d < 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")


def _check_weight(x, weight, bias, groups, transposed):
    """torch's check_shape_forward: the weight against the groups and the input's channels,
    the bias against the output's channels."""
    if weight.shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {list(weight.shape)} instead")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(weight.shape)}] instead")
    channels, expected = x.shape[1], weight.shape[0] if transposed else weight.shape[1] * groups
    given = "Given transposed=1, weight" if transposed else f"Given groups={groups}, weight"
    if channels != expected:
        raise RuntimeError(f"{given} of size {list(weight.shape)}, expected input{list(x.shape)} to have {expected} "
                           f"channels, but got {channels} channels instead")
    out_channels = weight.shape[1] * groups if transposed else weight.shape[0]
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_channels):
        given = "Given transposed=1, weight" if transposed else "Given weight"
        raise RuntimeError(f"{given} of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{out_channels} elements, but got bias of size {list(bias.shape)} instead")


def _as_2d(values, dims, pad):
    """`values` (one per spatial dimension) as torch's kernels see them: a 1-D convolution's
    with a height of `pad` in front (it runs as a 2-D one)."""
    return [pad] + list(values) if dims == 1 else list(values)


def _check_spatial(x, dims):
    """torch's kernels take an input with empty spatial dimensions only when it is empty
    anyway (no batch or no channels)."""
    if x.numel() == 0 and x.shape[0] and x.shape[1]:
        raise RuntimeError("Only zero batch or zero channel inputs are supported, but got input shape: "
                           f"{list(x.shape[:2]) + _as_2d(x.shape[2:], dims, 1)}")


def _conv(input, weight, bias, stride, padding, dilation, groups, dims):
    _check_bias_dtype(input, bias)
    x, batched = _check_input(input, weight, dims, f"conv{dims}d")
    stride, dilation = _settings(weight, dims, stride, dilation, groups)
    pads = _padding_pairs(padding, weight, dims, stride, dilation)
    _check_steps(stride, dilation)
    _check_weight(x, weight, bias, groups, False)
    sizes = [s + a + b for s, (a, b) in zip(x.shape[2:], pads)]
    kernel = [d * (k - 1) + 1 for d, k in zip(dilation, weight.shape[2:])]
    if any(k > s for k, s in zip(kernel, sizes)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, sizes))}). Kernel size: "
                           f"({' x '.join(map(str, kernel))}). Kernel size can't be greater than actual input size")
    _check_spatial(x, dims)
    if 0 in dilation:
        raise RuntimeError(f"dilation should be greater than zero, but got {_as_2d(dilation, dims, 1)}")
    _check_dtype(x, weight)
    out = _convolution(x, weight, bias, tuple(stride), tuple(pads), tuple(dilation), groups)
    return out if batched else out.squeeze(0)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation of `input` (N, C, L) or (C, L) with `weight` (O, C/groups, k),
    plus `bias` (O); `padding` an int, a 1-tuple, 'valid' (none) or 'same' (output as long
    as the input; stride 1 only)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation of `input` (N, C, H, W) or (C, H, W) with `weight`
    (O, C/groups, kh, kw), plus `bias` (O): output[n, o] = bias[o] + sum over the group's
    channels c and kernel positions (i, j) of weight[o, c, i, j] * input[n, c, oh*sh + i*dh
    - ph, ow*sw + j*dw - pw] (zero outside the input)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D cross-correlation of `input` (N, C, D, H, W) or (C, D, H, W) with `weight`
    (O, C/groups, kd, kh, kw), plus `bias` (O); the settings are ints or triples (depth,
    height, width), `padding` also 'valid' or 'same' (see conv2d)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3)


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, dims):
    fn = f"conv_transpose{dims}d"
    if isinstance(padding, str):
        raise TypeError(f"{fn}(): argument 'padding' must be tuple of ints, not str")
    x, batched = _check_input(input, weight, dims, fn)
    stride, dilation = _settings(weight, dims, stride, dilation, groups)
    pads = _expand(padding, dims, "padding")
    output_padding = _expand(output_padding, dims, "output_padding")
    if any(p < 0 for p in pads):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    _check_steps(stride, dilation)
    _check_weight(x, weight, bias, groups, True)
    # (torch's slow_conv_transpose{2,3}d checks; a 1-D one runs as a 2-D one over a height of 1)
    names = ("depth", "height", "width")[3 - len(_as_2d(stride, dims, 1)):]
    if 0 in dilation:
        shown = ", ".join(f"dilation_{n}: {v}" for n, v in zip(names, _as_2d(dilation, dims, 1)))
        raise RuntimeError(f"dilation should be greater than zero, but got {shown}")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        parts = [f"{setting}_{n}: {v}" for setting, values, pad in
                 (("output_padding", output_padding, 0), ("stride", stride, 1), ("dilation", dilation, 1))
                 for n, v in zip(names, _as_2d(values, dims, pad))]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got " + " ".join(parts))
    sizes = [(n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, s, p, d, k, op
             in zip(x.shape[2:], stride, pads, dilation, weight.shape[2:], output_padding)]
    if min(sizes) < 1:
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, _as_2d(x.shape[2:], dims, 1)))}). "
                           f"Calculated output size per channel: ({' x '.join(map(str, _as_2d(sizes, dims, 1)))}). "
                           "Output size is too small")
    _check_spatial(x, dims)
    _check_dtype(x, weight)
    if dims == 3 and bias is not None:
        _check_dtype(x, bias)
    out = _convolution_transpose(x, weight, bias, tuple(stride), tuple((p, p) for p in pads), tuple(output_padding),
                                 tuple(dilation), groups)
    return out if batched else out.squeeze(0)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The 1-D transposed convolution (the gradient of conv1d with respect to its input):
    `weight` is (C, O/groups, k); the output is (L - 1)*stride - 2*padding + dilation*(k - 1)
    + output_padding + 1 long."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The 2-D transposed convolution (the gradient of conv2d with respect to its input):
    `weight` is (C, O/groups, kh, kw); each input element adds `weight` times itself to the
    output window it stands for."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The 3-D transposed convolution (the gradient of conv3d with respect to its input):
    `input` (N, C, D, H, W) or (C, D, H, W), `weight` (C, O/groups, kd, kh, kw)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 3)
