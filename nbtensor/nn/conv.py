"""Convolutions: ``F.conv1d``, ``F.conv2d``, ``F.conv_transpose1d``, ``F.conv_transpose2d``
(the layers are in nn/conv_layers.py).

Each convolution is one op at the dispatch point (``grad_fn=<ConvolutionBackward0>``, as
torch's) computed as im2col + one batched matrix product (nn/im2col.py): the patches of
the input as columns, times the weight viewed as a (groups, out/groups, in/groups*kh*kw)
matrix. Its derivative rule is written with the same nbtensor ops: the input's gradient is
the transposed convolution of the output's (the weight's transpose times the gradient,
folded back with col2im), the weight's the gradient times the patches (summed over the
batch), the bias's the gradient summed over batch and positions. A transposed
convolution is the same pair the other way round. A 1-D convolution runs as a 2-D one over
a height of 1 (inside the op: one node, as torch's).
"""
import warnings

from nbtensor.autograd.rules import _for, _wants, rule
from nbtensor.dispatch import dispatcher as _forms
from nbtensor.nn.im2col import columns, ntuple, out_size, uncolumns

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


# ------------------------------------------------------------------ the ops
def _planes(x, w):
    """`x` and `w` with a height of 1 inserted when they are 1-D convolution's (3-D)."""
    if x.dim() == 3:
        return x.unsqueeze(2), w.unsqueeze(2)
    return x, w


def _conv_matrices(x4, w4, stride, padding, dilation, groups):
    """(patches (N, G, Cg*kh*kw, L), weight (G, O/G, Cg*kh*kw)) of a convolution."""
    n = x4.shape[0]
    out_channels, cg, kh, kw = w4.shape
    cols = columns(x4, (kh, kw), stride, padding, dilation)
    return cols.reshape(n, groups, cg * kh * kw, cols.shape[2]), w4.reshape(groups, out_channels // groups, -1)


def _convolution(input, weight, bias, stride, padding, dilation, groups):
    """torch's convolution op (not transposed): `input` (N, C, [H,] W), `weight`
    (O, C/groups, [kh,] kw); `stride`, `dilation` pairs and `padding` a pair of (before,
    after) pairs, all for the 2-D view."""
    x4, w4 = _planes(input, weight)
    cols, wm = _conv_matrices(x4, w4, stride, padding, dilation, groups)
    out = wm @ cols  # (N, G, O/G, L)
    (kh, kw), (h, w) = w4.shape[2:], x4.shape[2:]
    shape = (x4.shape[0], w4.shape[0], out_size(h, kh, stride[0], padding[0], dilation[0]),
             out_size(w, kw, stride[1], padding[1], dilation[1]))
    out = out.reshape(shape)
    if bias is not None:
        out.add_(bias.reshape(1, -1, 1, 1))
    return out if input.dim() == 4 else out.squeeze(2)


def _gradients(x, weight, bias, g, prepare, input_grad, weight_grad):
    """(input's, weight's, bias's) gradient of a convolution op, each only when wanted:
    ``prepare(x4, w4, g4)`` makes what ``input_grad`` and ``weight_grad`` both read (the
    2-D views, the matrices)."""
    x4, w4 = _planes(x, weight)
    g4 = g if g.dim() == 4 else g.unsqueeze(2)
    parts = prepare(x4, w4, g4)
    gx = input_grad(*parts).reshape(x._shape) if _wants(x) else None
    gw = weight_grad(*parts).sum(0).reshape(weight._shape) if _wants(weight) else None
    gb = _for(g4.sum((0, 2, 3)), bias) if _wants(bias) else None
    return gx, gw, gb


@rule("convolution")
def _convolution_rule(args, kwargs, out):
    x, weight, bias, stride, padding, dilation, groups = args

    def prepare(x4, w4, g4):
        n, o = g4.shape[:2]
        cols, wm = _conv_matrices(x4, w4, stride, padding, dilation, groups)
        return x4, w4, g4.reshape(n, groups, o // groups, -1), cols, wm

    def input_grad(x4, w4, gm, cols, wm):  # the transposed convolution of the gradient
        return uncolumns(wm.transpose(1, 2) @ gm, tuple(x4.shape[2:]), tuple(w4.shape[2:]), stride, padding,
                         dilation)

    def weight_grad(x4, w4, gm, cols, wm):  # the gradient times the patches, per sample
        return gm @ cols.transpose(2, 3)

    # torch's convolution_backward
    return ("ConvolutionBackward0", (x, weight, bias),
            lambda g: _gradients(x, weight, bias, g, prepare, input_grad, weight_grad), (x, weight))


def _transposed_matrices(x4, w4, groups):
    """(input (N, G, Cin/G, H*W), weight (G, Cin/G, O/G*kh*kw)) of a transposed convolution."""
    n, cin = x4.shape[:2]
    return x4.reshape(n, groups, cin // groups, -1), w4.reshape(groups, cin // groups, -1)


def _transposed_size(size, kernel, stride, padding, output_padding, dilation):
    return (size - 1) * stride - padding[0] - padding[1] + dilation * (kernel - 1) + output_padding + 1


def _convolution_transpose(input, weight, bias, stride, padding, output_padding, dilation, groups):
    """torch's transposed convolution op: `input` (N, Cin, [H,] W), `weight`
    (Cin, O/groups, [kh,] kw); the adjoint of the convolution with the same settings."""
    x4, w4 = _planes(input, weight)
    xm, wm = _transposed_matrices(x4, w4, groups)
    kernel = tuple(w4.shape[2:])
    size = tuple(_transposed_size(s, k, st, p, op, d) for s, k, st, p, op, d
                 in zip(x4.shape[2:], kernel, stride, padding, output_padding, dilation))
    out = uncolumns(wm.transpose(1, 2) @ xm, size, kernel, stride, padding, dilation)
    out = out.contiguous()
    if bias is not None:
        out.add_(bias.reshape(1, -1, 1, 1))
    return out if input.dim() == 4 else out.squeeze(2)


@rule("convolution_transpose")
def _convolution_transpose_rule(args, kwargs, out):
    x, weight, bias, stride, padding, output_padding, dilation, groups = args

    def prepare(x4, w4, g4):  # the gradient's patches, as the forward convolution reads them
        xm, wm = _transposed_matrices(x4, w4, groups)
        cols = columns(g4, tuple(w4.shape[2:]), stride, padding, dilation)
        return xm, wm, cols.reshape(cols.shape[0], groups, -1, cols.shape[2])

    return ("ConvolutionBackward0", (x, weight, bias),
            lambda g: _gradients(x, weight, bias, g, prepare, lambda xm, wm, cols: wm @ cols,
                                 lambda xm, wm, cols: xm @ cols.transpose(2, 3)), (x, weight))


# (each passes through the dispatch point under its op name: autograd records one node)
_forms.install_functions(globals(), {"_convolution": ("convolution", _convolution),
                                     "_convolution_transpose": ("convolution_transpose", _convolution_transpose)})


# ------------------------------------------------------------------ the functions
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


def _check_dtypes(input, weight, bias):
    """torch's dtype checks of a convolution: the bias's first, then the weight's."""
    if bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(f"Input type ({input.dtype.cpp_name}) and bias type ({bias.dtype.cpp_name}) should be the "
                           "same")
    _check_weight_dtype(input, weight)


def _check_weight_dtype(input, weight):
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.c_name} but found {weight.dtype.c_name}")


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


def _check_weight(x, weight, bias, groups, transposed):
    channels, expected = x.shape[1], weight.shape[0] if transposed else weight.shape[1] * groups
    if not transposed and weight.shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {list(weight.shape)} instead")
    if not transposed and weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(weight.shape)}] instead")
    if channels != expected:
        kind = "transposed=1" if transposed else f"groups={groups}"
        raise RuntimeError(f"Given {kind}, weight of size {list(weight.shape)}, expected input{list(x.shape)} to have "
                           f"{expected} channels, but got {channels} channels instead")
    out_channels = weight.shape[1] * groups if transposed else weight.shape[0]
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_channels):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{out_channels} elements, but got bias of size {list(bias.shape)} instead")


def _settings(weight, dims, stride, dilation):
    if weight.dim() != dims + 2:
        raise RuntimeError(f"expected stride to be a single integer value or a list of {weight.dim() - 2} values to "
                           f"match the convolution dimensions, but got stride={list(_expand(stride, dims, 'stride'))}")
    stride, dilation = _expand(stride, dims, "stride"), _expand(dilation, dims, "dilation")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    return stride, dilation


def _conv(input, weight, bias, stride, padding, dilation, groups, dims):
    x, batched = _check_input(input, weight, dims, f"conv{dims}d")
    stride, dilation = _settings(weight, dims, stride, dilation)
    _check_dtypes(x, weight, bias)
    pads = _padding_pairs(padding, weight, dims, stride, dilation)
    _check_weight(x, weight, bias, groups, False)
    sizes = [s + a + b for s, (a, b) in zip(x.shape[2:], pads)]
    kernel = [d * (k - 1) + 1 for d, k in zip(dilation, weight.shape[2:])]
    if any(k > s for k, s in zip(kernel, sizes)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, sizes))}). Kernel size: "
                           f"({' x '.join(map(str, kernel))}). Kernel size can't be greater than actual input size")
    if dims == 1:
        stride, dilation, pads = (1,) + stride, (1,) + dilation, [(0, 0)] + pads
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


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, dims):
    x, batched = _check_input(input, weight, dims, f"conv_transpose{dims}d")
    stride, dilation = _settings(weight, dims, stride, dilation)
    _check_weight_dtype(x, weight)
    if isinstance(padding, str):
        raise TypeError(f"conv_transpose{dims}d(): argument 'padding' must be tuple of ints, not str")
    pads = _expand(padding, dims, "padding")
    output_padding = _expand(output_padding, dims, "output_padding")
    if any(p < 0 for p in pads):
        raise RuntimeError("negative padding is not supported")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        names = ("height", "width")[2 - dims:]
        parts = [f"output_padding_{n}: {v}" for n, v in zip(names, output_padding)]
        parts += [f"stride_{n}: {v}" for n, v in zip(names, stride)]
        parts += [f"dilation_{n}: {v}" for n, v in zip(names, dilation)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got " + " ".join(parts))
    _check_weight(x, weight, bias, groups, True)
    pairs = [(p, p) for p in pads]
    if dims == 1:
        stride, dilation, pairs, output_padding = (1,) + stride, (1,) + dilation, [(0, 0)] + pairs, (0,) + output_padding
    out = _convolution_transpose(x, weight, bias, tuple(stride), tuple(pairs), tuple(output_padding),
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
