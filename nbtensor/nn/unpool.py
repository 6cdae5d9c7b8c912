"""Max unpooling: ``F.max_unpool1d/2d/3d`` and ``nn.MaxUnpool1d/2d/3d``, the partial inverse
of a max pool given the indices it returned.

One op for every dimension count (torch's ``max_unpool2d`` and ``max_unpool3d``, with their
nodes ``MaxUnpool2DBackward0``/``MaxUnpool3DBackward0``; the 1-D form is the 2-D one over a
trailing width of 1, as in torch): each plane's values are scattered into zeros of the
output's size at the flat positions `indices` names; the gradient gathers the output's
gradient back from those positions. Both are nbtensor ops (``scatter_``, ``gather``), so
they run on every device.
"""
import collections.abc
import math

import nbtensor as torch
from nbtensor.autograd.rules import rule
from nbtensor.dispatch import dispatcher as _forms
from nbtensor.nn.module import Module

__all__ = ["max_unpool1d", "max_unpool2d", "max_unpool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]


# ------------------------------------------------------------------ the op
def _max_unpool(x, indices, size):
    """`x` ((N,) C, *spatial) scattered into zeros ((N,) C, *size) at the flat positions `indices`."""
    lead = tuple(x.shape[:x.dim() - len(size)])
    planes = math.prod(lead)
    out = torch.zeros((planes, math.prod(size)), dtype=x.dtype, device=x.device)
    out.scatter_(1, indices.reshape(planes, -1), x.reshape(planes, -1))
    return out.reshape(lead + tuple(size))


def _max_unpool_rule(node):
    def make(args, kwargs, out):
        x, indices = args[0], args[1]
        shape = tuple(x._shape)
        planes = math.prod(shape[:len(shape) - len(args[2])])

        def backward(g):  # each input element's gradient is the output's where it was put
            return (g.reshape(planes, -1).gather(1, indices.reshape(planes, -1)).reshape(shape),)
        return node, (x,), backward, (indices,)
    return make


rule("max_unpool2d")(_max_unpool_rule("MaxUnpool2DBackward0"))
rule("max_unpool3d")(_max_unpool_rule("MaxUnpool3DBackward0"))

_max_unpool2d = _max_unpool3d = _max_unpool  # (replaced below by the ops of these names)
# (each passes through the dispatch point under torch's op name: autograd records one node)
_forms.install_functions(globals(), {"_max_unpool2d": ("max_unpool2d", _max_unpool),
                                     "_max_unpool3d": ("max_unpool3d", _max_unpool)})


# ------------------------------------------------------------------ the checks
def _ntuple(value, n):
    """torch's _single/_pair/_triple: a sequence as a tuple, anything else repeated `n` times."""
    if isinstance(value, collections.abc.Iterable):
        return tuple(value)
    return (value,) * n


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """torch's _unpool_output_size: the default size (each spatial size - 1) * stride +
    kernel - 2 * padding, or `output_size` (with or without its two leading sizes) when it
    is within a stride of it."""
    input_size = input.size()
    default_size = [(input_size[-len(kernel_size) + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d]
                    for d in range(len(kernel_size))]
    if output_size is None:
        ret = default_size
    else:
        if len(output_size) == len(kernel_size) + 2:
            output_size = output_size[2:]
        if len(output_size) != len(kernel_size):
            raise ValueError(f"output_size should be a sequence containing {len(kernel_size)} or "
                             f"{len(kernel_size) + 2} elements, but it has a length of '{len(output_size)}'")
        for d in range(len(kernel_size)):
            min_size, max_size = default_size[d] - stride[d], default_size[d] + stride[d]
            if not min_size < output_size[d] < max_size:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {min_size} and '
                                 f'{max_size})')
        ret = output_size
    for d in range(len(kernel_size)):
        if ret[d] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={ret[d]}")
    return list(ret)


def _unpool(input, indices, size, dims, stride=None):
    """torch's max_unpooling{dims}d checks, in its order, then the op over a batched input."""
    if indices.dtype is not torch.int64:
        raise RuntimeError("elements in indices should be type int64" +
                           (f" but got: {indices.dtype.c_name}" if dims == 2 else ""))
    if input.dim() not in (dims + 1, dims + 2):
        raise RuntimeError(f"Input to max_unpooling{dims}d should be a {dims + 1}d or {dims + 2}d Tensor, but got a "
                           f"tensor with {input.dim()} dimensions.")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) "
                           f"but got indices tensor with shape: {list(indices.shape)}")
    if stride is not None and any(s <= 0 for s in stride):
        raise RuntimeError(f"strides should be greater than zero, but got stride: {list(stride)}")
    for d in range(1, input.dim()):
        if input.shape[d] == 0:
            raise RuntimeError(f"max_unpooling{dims}d_forward_out_cpu(): Expected input to have non-zero size for "
                               f"non-batch dimensions, but got {list(input.shape)} with dimension {d} being empty.")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"max_unpool{dims}d\" not implemented for '{input.dtype.c_name}'")
    size = tuple(int(s) for s in size)
    volume = math.prod(size)
    if volume and indices.numel():
        bad = ((indices < 0) | (indices >= volume)).reshape(-1)
        if bool(bad.any()):
            first = int(indices.reshape(-1)[bad.nonzero()[0, 0]])
            raise RuntimeError(f"Found an invalid max index: {first} (output volumes are of size "
                               f"{'x'.join(map(str, size))})")
    if volume == 0:  # (torch returns the empty output without reading the indices)
        return input.new_zeros(tuple(input.shape[:input.dim() - dims]) + size)
    return (_max_unpool2d if dims == 2 else _max_unpool3d)(input, indices, size)


def _settings(kernel_size, stride, padding, n):
    kernel_size = _ntuple(kernel_size, n)
    return kernel_size, (_ntuple(stride, n) if stride is not None else kernel_size), _ntuple(padding, n)


# ------------------------------------------------------------------ the functions
def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool1d: `input` ((N, C, L) or (C, L)) put back at the positions
    `indices` (max_pool1d's ``return_indices``), zeros elsewhere; the output is
    (L - 1) * stride + kernel_size - 2 * padding long, or `output_size`."""
    kernel_size, stride, padding = _settings(kernel_size, stride, padding, 1)
    size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    return _unpool(input.unsqueeze(-1), indices.unsqueeze(-1), size + [1], 2).squeeze(-1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool2d: each value of `input` ((N, C, H, W) or (C, H, W)) put at
    the flat position in its output plane that `indices` names, zeros elsewhere."""
    kernel_size, stride, padding = _settings(kernel_size, stride, padding, 2)
    size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    return _unpool(input, indices, size, 2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of a 3-D max pool: `input` ((N, C, D, H, W) or (C, D, H, W)) put at the
    flat positions of its output volume that `indices` names, zeros elsewhere."""
    kernel_size, stride, padding = _settings(kernel_size, stride, padding, 3)
    size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    return _unpool(input, indices, size, 3, stride)


# ------------------------------------------------------------------ the layers
class _MaxUnpoolNd(Module):
    _dims = 2
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = _settings(kernel_size, stride, padding, self._dims)

    def forward(self, input, indices, output_size=None):
        return type(self)._fn(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The inverse of MaxPool1d (see F.max_unpool1d)."""

    _dims = 1
    _fn = max_unpool1d


class MaxUnpool2d(_MaxUnpoolNd):
    """The inverse of MaxPool2d (see F.max_unpool2d): ``unpool(pool(x), indices)``."""

    _dims = 2
    _fn = max_unpool2d


class MaxUnpool3d(_MaxUnpoolNd):
    """The inverse of a 3-D max pool (see F.max_unpool3d)."""

    _dims = 3
    _fn = max_unpool3d
