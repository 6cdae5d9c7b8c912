"""``nn.MultiheadAttention``: torch's module (packed or separate input projections, bias_k
and bias_v, add_zero_attn, batch_first, key padding and attention masks, the attention
weights averaged over heads or per head), computed with recorded ops."""
import math

import nbtensor as torch
from nbtensor.nn import functional as F
from nbtensor.nn import init
from nbtensor.nn.module import Module
from nbtensor.nn.modules import Linear
from nbtensor.nn.parameter import Parameter

__all__ = ["MultiheadAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """torch's name for MultiheadAttention's output projection (a Linear)."""


def _as_bias(mask, name, dtype):
    """A bool mask (True: may not attend) as an additive float mask of `dtype`; a float mask
    as it is."""
    if mask is None:
        return None
    if mask.dtype is torch.bool:
        return torch.zeros_like(mask, dtype=dtype).masked_fill_(mask, -math.inf)
    if not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


def _check_ranks(query, key, value, key_padding_mask, attn_mask, num_heads):
    """torch's shape checks; True when the inputs are batched (3-D)."""
    if query.dim() not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query "
                             "tensor")
    batched = query.dim() == 3
    kind = "batched (3-D)" if batched else "unbatched (2-D)"
    if key.dim() != query.dim() or value.dim() != query.dim():
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {query.dim()}-D but found "
                             f"{key.dim()}-D and {value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != query.dim() - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or "
                             f"{query.dim() - 1}-D but found {key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                                 f"{attn_mask.dim()}-D tensor instead")
        expected = (num_heads, query.shape[0], key.shape[0])
        if not batched and attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
            raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
    return batched


def _with_extra_key(mask):
    """`mask` (an additive mask over the keys, last dimension) with a key appended that
    every query may attend to."""
    return None if mask is None else F.pad(mask, (0, 1))


class MultiheadAttention(Module):
    """Attention with `num_heads` heads over `embed_dim` features: queries, keys and values
    projected (one packed (3E, E) weight when keys and values have `embed_dim` features,
    else three), attended per head, joined and projected by `out_proj`. Sequences are
    (L, N, E), or (N, L, E) with `batch_first`, or (L, E) unbatched."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        options = {"device": device, "dtype": dtype}
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(torch.empty(3 * embed_dim, embed_dim, **options))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(torch.empty(embed_dim, embed_dim, **options))
            self.k_proj_weight = Parameter(torch.empty(embed_dim, self.kdim, **options))
            self.v_proj_weight = Parameter(torch.empty(embed_dim, self.vdim, **options))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(torch.empty(3 * embed_dim, **options))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **options)
        if add_bias_kv:
            self.bias_k = Parameter(torch.empty(1, 1, embed_dim, **options))
            self.bias_v = Parameter(torch.empty(1, 1, embed_dim, **options))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """(attention output, attention weights (N, L, S) averaged over heads, or
        (N, heads, L, S); None unless `need_weights`). `key_padding_mask` (N, S) and
        `attn_mask` ((L, S) or (N * heads, L, S)) are bool (True: may not attend) or added
        to the scores. `is_causal` is a hint that `attn_mask` is causal; the mask is used."""
        batched = _check_ranks(query, key, value, key_padding_mask, attn_mask, self.num_heads)
        if self.batch_first and batched:
            query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                               "method `generate_square_subsequent_mask` to create this mask.")
        out, weights = self._attend(query, key, value, _as_bias(key_padding_mask, "key_padding_mask", query.dtype),
                                    _as_bias(attn_mask, "attn_mask", query.dtype), need_weights,
                                    average_attn_weights)
        if self.batch_first and batched:
            out = out.transpose(1, 0)
        if not batched:
            out = out.squeeze(1)
            weights = None if weights is None else weights.squeeze(0)
        return out, weights

    def _project(self, query, key, value):
        if self._qkv_same_embed_dim:
            w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        else:
            if key.shape[:2] != value.shape[:2]:
                raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                     f"{value.shape[:2]}")
            w_q, w_k, w_v = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        b_q, b_k, b_v = (None,) * 3 if self.in_proj_bias is None else self.in_proj_bias.chunk(3)
        return F.linear(query, w_q, b_q), F.linear(key, w_k, b_k), F.linear(value, w_v, b_v)

    def _attend(self, query, key, value, padding, mask, need_weights, average):
        tgt_len, batch, embed_dim = query.shape
        heads, head_dim = self.num_heads, self.head_dim
        if embed_dim != self.embed_dim:
            raise AssertionError(f"was expecting embedding dimension of {self.embed_dim}, but got {embed_dim}")
        if self._qkv_same_embed_dim and key.shape != value.shape:
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        q, k, v = self._project(query, key, value)
        if mask is not None:
            expected = (tgt_len, key.shape[0]) if mask.dim() == 2 else (batch * heads, tgt_len, key.shape[0])
            if tuple(mask.shape) != expected:
                raise RuntimeError(f"The shape of the {mask.dim()}D attn_mask is {mask.shape}, but should be "
                                   f"{expected}.")
            mask = mask.unsqueeze(0) if mask.dim() == 2 else mask
        if self.bias_k is not None:
            k = torch.cat([k, self.bias_k.repeat(1, batch, 1)])
            v = torch.cat([v, self.bias_v.repeat(1, batch, 1)])
            mask, padding = _with_extra_key(mask), _with_extra_key(padding)
        q = q.reshape(tgt_len, batch * heads, head_dim).transpose(0, 1)
        k = k.reshape(k.shape[0], batch * heads, head_dim).transpose(0, 1)
        v = v.reshape(v.shape[0], batch * heads, head_dim).transpose(0, 1)
        if self.add_zero_attn:
            zeros = torch.zeros(batch * heads, 1, head_dim, dtype=k.dtype, device=k.device)
            k, v = torch.cat([k, zeros], dim=1), torch.cat([v, zeros], dim=1)
            mask, padding = _with_extra_key(mask), _with_extra_key(padding)
        src_len = k.shape[1]
        if padding is not None:
            if tuple(padding.shape) != (batch, src_len):
                raise AssertionError(f"expecting key_padding_mask shape of {(batch, src_len)}, but got "
                                     f"{padding.shape}")
            padding = padding.reshape(batch, 1, 1, src_len).expand(-1, heads, -1, -1).reshape(batch * heads, 1, src_len)
            mask = padding if mask is None else mask + padding
        scores = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-2, -1)
        weights = F.softmax(scores if mask is None else scores + mask, dim=-1)
        if self.training and self.dropout > 0.0:
            weights = F.dropout(weights, p=self.dropout)
        out = (weights @ v).transpose(0, 1).reshape(tgt_len * batch, embed_dim)
        out = self.out_proj(out).reshape(tgt_len, batch, embed_dim)
        if not need_weights:
            return out, None
        weights = weights.reshape(batch, heads, tgt_len, src_len)
        return out, weights.mean(dim=1) if average else weights
