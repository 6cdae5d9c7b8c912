"""``nn.utils.fusion``: fold an eval-mode batch norm into the convolution or linear layer
before it (one layer computing what the pair computes)."""
import copy

import nbtensor as torch
from nbtensor.nn.parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]


def _check_eval(layer, bn):
    """torch's AssertionError unless both modules are in eval mode."""
    if layer.training or bn.training:
        raise AssertionError("Fusion only for eval!")


def _check_stats(bn):
    """torch's AssertionError when `bn` keeps no running statistics."""
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")


def _defaults(bias, bn_rm, bn_w, bn_b):
    """The bias and batch-norm affine tensors, zeros or ones standing in for those absent."""
    return (torch.zeros_like(bn_rm) if bias is None else bias, torch.ones_like(bn_rm) if bn_w is None else bn_w,
            torch.zeros_like(bn_rm) if bn_b is None else bn_b)


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """The (weight, bias) Parameters of one convolution computing ``bn(conv(x))`` with the
    batch norm's running statistics: each output channel's weights scaled by
    ``bn_w / sqrt(bn_rv + eps)`` (channels along dimension 1 when `transpose`), the bias
    shifted to match. Each keeps its dtype and requires grad as the original did."""
    w_dtype = conv_w.dtype
    b_dtype = w_dtype if conv_b is None else conv_b.dtype
    conv_b, bn_w, bn_b = _defaults(conv_b, bn_rm, bn_w, bn_b)
    inv_std = torch.rsqrt(bn_rv + bn_eps)
    shape = ([1, -1] if transpose else [-1, 1]) + [1] * (conv_w.dim() - 2)
    weight = (conv_w * (bn_w * inv_std).reshape(shape)).to(w_dtype)
    bias = ((conv_b - bn_rm) * inv_std * bn_w + bn_b).to(b_dtype)
    return Parameter(weight, conv_w.requires_grad), Parameter(bias, conv_b.requires_grad)


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """A copy of `conv` (eval mode) whose output equals ``bn(conv(x))`` for `bn` in eval
    mode (`transpose`: `conv` is a transposed convolution)."""
    _check_eval(conv, bn)
    _check_stats(bn)
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                    bn.eps, bn.weight, bn.bias, transpose)
    return fused


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """The (weight, bias) Parameters of one linear layer computing ``bn(linear(x))`` with the
    batch norm's running statistics (each output row scaled by ``bn_w / sqrt(bn_rv + eps)``)."""
    w_dtype = linear_w.dtype
    b_dtype = w_dtype if linear_b is None else linear_b.dtype
    linear_b, bn_w, bn_b = _defaults(linear_b, bn_rm, bn_w, bn_b)
    scale = bn_w * torch.rsqrt(bn_rv + bn_eps)
    weight = linear_w * scale.unsqueeze(-1).to(w_dtype)
    bias = ((linear_b - bn_rm) * scale + bn_b).to(b_dtype)
    return Parameter(weight, linear_w.requires_grad), Parameter(bias, linear_b.requires_grad)


def fuse_linear_bn_eval(linear, bn):
    """A copy of `linear` (eval mode) whose output equals ``bn(linear(x))`` for `bn` in
    eval mode; bn's features must equal linear's outputs, or be 1."""
    _check_eval(linear, bn)
    if not (linear.out_features == bn.num_features or bn.num_features == 1):
        raise AssertionError("To fuse, linear.out_features == bn.num_features or bn.num_features == 1, "
                             f"got linear.out_features={linear.out_features} and bn.num_features={bn.num_features}")
    _check_stats(bn)
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                      bn.eps, bn.weight, bn.bias)
    return fused
