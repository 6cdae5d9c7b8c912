"""Sliding windows over the last N dimensions (N = 1, 2 or 3: the spatial dimensions of a
1-D, 2-D or 3-D convolution or pooling), the common ground of convolution and pooling:
``windows`` (a view of every kernel-sized patch, after padding), ``columns`` (the patches as
columns, torch's im2col) and ``uncolumns`` (its adjoint, col2im: each column's values added
back at the positions they came from). Built from ``Tensor.unfold`` (a view), ``reshape``,
``index_add`` and slicing, so they run on every device and, called under grad mode, are
recorded like any other op. Sizes, kernels, strides and dilations are N-tuples; paddings are
N-tuples of (before, after) pairs, so that asymmetric padding needs no special case.

Also ``F.unfold``/``F.fold`` themselves (torch's ``Im2ColBackward0``/``Col2ImBackward0``, 2-D
only as in torch)."""
import itertools
import math
import numbers

import nbtensor as torch
from nbtensor.autograd.rules import _wants, rule
from nbtensor.dispatch import dispatcher as _forms

__all__ = ["unfold", "fold"]


def ntuple(value, n, message):
    """`value` (an int, or a sequence of 1 or `n` ints) as an n-tuple; RuntimeError(`message`,
    or what it returns when it is a function) for a sequence of another length."""
    if isinstance(value, numbers.Integral):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(message() if callable(message) else message)
    return value


def out_size(size, kernel, stride, pad, dilation):
    """Windows along one dimension of `size` padded by ``pad`` (before, after)."""
    return (size + pad[0] + pad[1] - dilation * (kernel - 1) - 1) // stride + 1


def _out_sizes(size, kernel, stride, padding, dilation):
    return tuple(out_size(*a) for a in zip(size, kernel, stride, padding, dilation))


def _plane(size, padding):
    """The padded sizes: `size` with (before, after) added, a negative `after` adding nothing
    (it stands for the output extending past what the windows reach: a transposed
    convolution's output_padding beyond its padding)."""
    return tuple(s + a + max(b, 0) for s, (a, b) in zip(size, padding))


def padded(x, padding, value=0.0):
    """`x` with its last len(`padding`) dimensions padded by `padding` ((before, after) for
    each, `before` >= 0; a negative `after` crops that many from the end, as F.pad's) with
    `value`. When recorded (`x` requires grad and grad mode is on, as in a backward under
    create_graph): blocks of `value` joined with cat, a plain differentiable composition;
    else one fill and one copy."""
    first = x.dim() - len(padding)
    if any(after < 0 for _, after in padding):
        x = x[(Ellipsis,) + tuple(slice(0, n + min(after, 0)) for n, (_, after) in zip(x.shape[first:], padding))]
        padding = tuple((before, max(after, 0)) for before, after in padding)
    if not any(before or after for before, after in padding):
        return x
    if not (x.requires_grad and torch.is_grad_enabled()):
        shape = list(x.shape[:first]) + list(_plane(x.shape[first:], padding))
        out = torch.full(shape, value, dtype=x.dtype, device=x.device)
        out[(Ellipsis,) + tuple(slice(a, a + n) for n, (a, _) in zip(x.shape[first:], padding))] = x
        return out
    for dim, (before, after) in enumerate(padding, first):
        shape = list(x.shape)
        parts = []
        for amount in (before, None, after):
            if amount is None:
                parts.append(x)
            elif amount:
                parts.append(x.new_full(shape[:dim] + [amount] + shape[dim + 1:], value))
        x = torch.cat(parts, dim) if len(parts) > 1 else x
    return x


def windows(x, kernel, stride, padding, dilation, value=0.0):
    """A view (after padding with `value`) of shape (*x.shape[:-N], O1..ON, k1..kN), N =
    len(kernel): element [..., o1..oN, i1..iN] is the padded input at (o1*s1 + i1*d1, ...)."""
    xp = padded(x, padding, value)
    first = xp.dim() - len(kernel)
    view = xp
    for dim, (k, s, d) in enumerate(zip(kernel, stride, dilation), first):
        view = view.unfold(dim, d * (k - 1) + 1, s)
    if any(d > 1 for d in dilation):
        view = view[(Ellipsis,) + tuple(slice(None, None, d) for d in dilation)]
    return view


def columns(x, kernel, stride, padding, dilation):
    """The patches of `x` (N, C, *spatial) as a contiguous (N, C*prod(kernel), prod(out))
    tensor (torch's im2col): row c*prod(kernel) + (the flat kernel offset) holds that kernel
    element of every window."""
    view = windows(x, kernel, stride, padding, dilation)
    n, c, dims = view.shape[0], view.shape[1], len(kernel)
    order = (0, 1) + tuple(range(2 + dims, 2 + 2 * dims)) + tuple(range(2, 2 + dims))
    return view.permute(order).reshape(n, c * math.prod(kernel), math.prod(view.shape[2:2 + dims]))


def _positions(size, kernel, stride, padding, dilation, device):
    """The flat position, in the padded input's spatial block, of every (kernel offset,
    window) pair in the order of `columns`' rows and columns, as a 1-D int64 tensor."""
    dims = len(size)
    outs = _out_sizes(size, kernel, stride, padding, dilation)
    flat = None
    for i, (full, k, st, d, o) in enumerate(zip(_plane(size, padding), kernel, stride, dilation, outs)):
        offsets = [1] * (2 * dims)
        offsets[i] = k
        starts = [1] * (2 * dims)
        starts[dims + i] = o
        along = (torch.arange(k, device=device) * d).reshape(offsets) \
            + (torch.arange(o, device=device) * st).reshape(starts)
        flat = along if flat is None else flat * full + along
    return flat.reshape(-1)


def uncolumns(cols, size, kernel, stride, padding, dilation):
    """The adjoint of `columns` (torch's col2im): `cols` (N, C*prod(kernel), L), or any shape
    that reshapes to it, added into zeros of shape (N, C, *size) at the positions its windows
    read (overlaps sum; padding is dropped; a negative `after` padding leaves zeros past
    what the windows reach, see `_plane`). Unrecorded, each kernel offset's block is added in
    place into a strided view of the padded input (prod(kernel) adds); recorded (under
    create_graph), one ``index_add`` at the windows' positions, which differentiates."""
    n = cols.shape[0]
    full = _plane(size, padding)
    outs = _out_sizes(size, kernel, stride, padding, dilation)
    blocks = cols.reshape((n, -1) + tuple(kernel) + outs)
    c = blocks.shape[1]
    if cols.requires_grad and torch.is_grad_enabled():
        where = _positions(size, kernel, stride, padding, dilation, cols.device)
        zeros = torch.zeros((n * c, math.prod(full)), dtype=cols.dtype, device=cols.device)
        plane = zeros.index_add(1, where, blocks.reshape(n * c, -1)).reshape((n, c) + full)
    else:
        plane = torch.zeros((n, c) + full, dtype=cols.dtype, device=cols.device)
        both = (slice(None), slice(None))
        for offset in itertools.product(*map(range, kernel)):
            target = tuple(slice(i * d, i * d + s * (o - 1) + 1, s)
                           for i, d, s, o in zip(offset, dilation, stride, outs))
            plane[both + target].add_(blocks[both + offset])
    if full != tuple(size):
        plane = plane[(Ellipsis,) + tuple(slice(a, a + length) for length, (a, _) in zip(size, padding))]
    return plane


# ------------------------------------------------------------------ F.unfold / F.fold
def _pairs(fn, *named):
    """Each (name, value) of F.unfold/F.fold's settings as a pair."""
    return [ntuple(value, 2, f"{fn}(): argument '{name}' must be a tuple of 2 ints") for name, value in named]


def _im2col(x, kernel, dilation, padding, stride):
    return columns(x, kernel, stride, ((padding[0],) * 2, (padding[1],) * 2), dilation)


@rule("im2col")
def _im2col_rule(args, kwargs, out):
    x, kernel, dilation, padding, stride = args
    size = tuple(x._shape[-2:])
    pads = ((padding[0],) * 2, (padding[1],) * 2)
    return "Im2ColBackward0", (x,), lambda g: (uncolumns(g, size, kernel, stride, pads, dilation),), ()


def _col2im(cols, size, kernel, dilation, padding, stride):
    return uncolumns(cols, size, kernel, stride, ((padding[0],) * 2, (padding[1],) * 2), dilation)


@rule("col2im")
def _col2im_rule(args, kwargs, out):
    cols, size, kernel, dilation, padding, stride = args
    pads = ((padding[0],) * 2, (padding[1],) * 2)
    return ("Col2ImBackward0", (cols,),
            lambda g: (columns(g, kernel, stride, pads, dilation).reshape(cols._shape) if _wants(cols) else None,), ())


# (each passes through the dispatch point under torch's op name: autograd records one node)
_forms.install_functions(globals(), {"_im2col": ("im2col", _im2col), "_col2im": ("col2im", _col2im)})


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Every (kh, kw) patch of `input` ((N, C, H, W) or (C, H, W)) as a column:
    (N, C*kh*kw, L), L the number of windows (torch's im2col)."""
    kernel, dilation, padding, stride = _pairs("unfold", ("kernel_size", kernel_size), ("dilation", dilation),
                                               ("padding", padding), ("stride", stride))
    if input.dim() < 3:  # (torch reads the size of dimension input.dim() first)
        n = input.dim()
        raise IndexError("Dimension specified as 1 but tensor has no dimensions" if n == 0 else
                         f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {2 if n == 2 else -2})")
    if input.dim() > 4:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    spatial = tuple(input.shape[-2:])
    blocks = tuple((spatial[i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in (0, 1))
    if min(blocks) < 1:
        raise RuntimeError(f"Given input with spatial size {spatial}, kernel_size={kernel}, dilation={dilation}, "
                           f"padding={padding}, calculated shape of the array of sliding blocks as {blocks}, but its "
                           "components must be at least one.")
    batched = input.dim() == 4
    x = input if batched else input.unsqueeze(0)
    out = _im2col(x, kernel, dilation, padding, stride)
    return out if batched else out.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The inverse arrangement of `unfold`: columns (N, C*kh*kw, L) summed back into an
    (N, C, *output_size) image, overlapping values added (torch's col2im)."""
    size, kernel, dilation, padding, stride = _pairs("fold", ("output_size", output_size), ("kernel_size", kernel_size),
                                                     ("dilation", dilation), ("padding", padding), ("stride", stride))
    if input.dim() not in (2, 3):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    batched = input.dim() == 3
    cols = input if batched else input.unsqueeze(0)
    k = kernel[0] * kernel[1]
    if cols.shape[1] % k:
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={cols.shape[1]} and kernel_size=({kernel[0]}, {kernel[1]}).")
    pads = ((padding[0],) * 2, (padding[1],) * 2)
    per_dim = [out_size(s, kk, st, p, d) for s, kk, st, p, d in zip(size, kernel, stride, pads, dilation)]
    blocks = math.prod(per_dim)
    if cols.shape[2] != blocks:
        raise RuntimeError(f"Given output_size=({size[0]}, {size[1]}), kernel_size=({kernel[0]}, {kernel[1]}), "
                           f"dilation=({dilation[0]}, {dilation[1]}), padding=({padding[0]}, {padding[1]}), "
                           f"stride=({stride[0]}, {stride[1]}), expected size of input's dimension 2 to match the "
                           f"calculated number of sliding blocks {per_dim[0]} * {per_dim[1]} = {blocks}, but got "
                           f"input.size(2)={cols.shape[2]}.")
    out = _col2im(cols, size, kernel, dilation, padding, stride)
    return out if batched else out.squeeze(0)
