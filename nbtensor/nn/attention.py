"""``F.scaled_dot_product_attention``: softmax(Q Kᵀ · scale + mask) V, composed of recorded
ops (so every device, and autograd through it)."""
import math

import nbtensor as torch
from nbtensor.nn.dropout import dropout


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """Attention of `query` (..., L, E) over `key` (..., S, E) and `value` (..., S, Ev):
    the softmax over S of ``query @ key.mT * scale`` (scale 1 / sqrt(E) by default) plus
    `attn_mask` (a float bias, or a bool mask of the pairs that may attend), or with
    `is_causal` the lower-triangular mask; then `dropout_p` dropout, times `value`. A query
    that may attend to no key gets zeros, as torch's CPU kernel gives. `enable_gqa`: key and
    value heads (dimension -3) are repeated to the query's number of heads."""
    if not (query.dtype is key.dtype and key.dtype is value.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{query.dtype.c_name} key.dtype: {key.dtype.c_name} and value.dtype: "
                           f"{value.dtype.c_name} instead.")
    if attn_mask is not None and is_causal:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if attn_mask is not None and attn_mask.dtype is not torch.bool and attn_mask.dtype is not query.dtype:
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {attn_mask.dtype.c_name} and  query.dtype: {query.dtype.c_name} "
                           "instead.")
    if enable_gqa and key.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        groups = query.shape[-3] // key.shape[-3]
        key, value = key.repeat_interleave(groups, -3), value.repeat_interleave(groups, -3)
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query @ key.transpose(-2, -1) * factor
    allowed = None
    if is_causal:
        allowed = torch.ones(query.shape[-2], key.shape[-2], dtype=torch.bool, device=query.device).tril()
    elif attn_mask is not None and attn_mask.dtype is torch.bool:
        allowed = attn_mask
    elif attn_mask is not None:
        scores = scores + attn_mask
    if allowed is not None:
        scores = scores.masked_fill(~allowed, -math.inf)
    weights = torch.softmax(scores, -1)
    if allowed is not None:
        weights = torch.where(allowed.any(-1, keepdim=True), weights, 0.0)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return weights @ value
