"""``repr``/``str`` of tensors, character for character as torch prints them."""
import math

import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.core.parameters import is_parameter
from nbtensor.backends.host import host_array
from nbtensor.dispatch import dispatcher as forms

__all__ = ["set_printoptions", "get_printoptions"]


class _Options:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


OPTIONS = _Options()
_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """Set how tensors print: digits after the point, summarisation threshold and edge
    items, line width, and scientific notation (None: automatic)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"unknown print profile {profile!r}; expected one of {sorted(_PROFILES)}")
        for k, v in _PROFILES[profile].items():
            setattr(OPTIONS, k, v)
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(OPTIONS, name, value)
    OPTIONS.sci_mode = sci_mode


def get_printoptions():
    return {k: getattr(OPTIONS, k) for k in ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")}


class _Formatter:
    """Chooses one format (integer-like, fixed or scientific) and width for all elements."""

    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        p = OPTIONS.precision
        if not floating:
            for v in values.tolist():
                self.max_width = max(self.max_width, len(f"{v}"))
            return
        finite = values[np.isfinite(values) & (values != 0)].astype(np.float64)
        if finite.size == 0:
            return
        absvals = np.abs(finite)
        lo, hi = absvals.min(), absvals.max()
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        # torch decides the notation first (sci_mode=True/False overrides the automatic
        # choice) and then measures the widths in that notation.
        if OPTIONS.sci_mode is None:
            self.sci_mode = bool(hi > 1000.0 * lo or hi > 1.0e8 or lo < 1.0e-4)  # (hi / lo can overflow)
        else:
            self.sci_mode = bool(OPTIONS.sci_mode)
        if self.sci_mode:
            widths = (len(f"{v:.{p}e}") for v in finite.tolist())
        elif self.int_mode:
            widths = (len(f"{v:.0f}") + 1 for v in finite.tolist())
        else:
            widths = (len(f"{v:.{p}f}") for v in finite.tolist())
        self.max_width = max(self.max_width, max(widths))

    def format(self, value):
        p = OPTIONS.precision
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{p}f}"
        else:
            text = f"{value}"
        return (self.max_width - len(text)) * " " + text


def _summarized(a):
    """The elements that will be shown (edge items only) as a flat array."""
    e = OPTIONS.edgeitems
    if a.ndim == 0:
        return a.reshape(1)
    if a.ndim == 1:
        return np.concatenate((a[:e], a[-e:])) if a.shape[0] > 2 * e else a
    if not e:
        return a.reshape(-1)[:0]
    rows = list(range(e)) + list(range(a.shape[0] - e, a.shape[0])) if a.shape[0] > 2 * e else range(a.shape[0])
    parts = [_summarized(a[i]) for i in rows]
    return np.concatenate(parts) if parts else a.reshape(-1)[:0]


def _vector(a, indent, summarize, fmt):
    element_length = fmt.max_width + 2
    per_line = max(1, int(math.floor((OPTIONS.linewidth - indent) / element_length)))
    e = OPTIONS.edgeitems
    if summarize and not e:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        data = ([fmt.format(v) for v in a[:e].tolist()] + [" ..."] +
                [fmt.format(v) for v in a[-e:].tolist()])
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _body(a, indent, summarize, fmt):
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt)
    e = OPTIONS.edgeitems
    n = a.shape[0]
    if summarize and n > 2 * e:
        slices = ([_body(a[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."] +
                  [_body(a[i], indent + 1, summarize, fmt) for i in range(n - e, n)])
    else:
        slices = [_body(a[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _add_suffixes(text, suffixes, indent):
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        # Measure the suffix as torch spells it ("torch." is 3 characters shorter than
        # "nbtensor."), so that lines break exactly where torch breaks them.
        width = len(suffix) - suffix.count("nbtensor.") * (len("nbtensor.") - len("torch."))
        if last_line_len + width + 2 > OPTIONS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + width
        else:
            parts.append(", " + suffix)
            last_line_len += width + 2
    parts.append(")")
    return "".join(parts)


def format_values(a, indent):
    """The bracketed body for ndarray `a` (what torch prints between ``tensor(`` and ``)``)."""
    if a.size == 0:
        return "[]"
    if a.dtype == np.float16:
        a = a.astype(np.float32)
    summarize = a.size > OPTIONS.threshold
    floating = a.dtype.kind == "f"
    fmt = _Formatter(_summarized(a) if summarize else a.reshape(-1), floating)
    return _body(a, indent, summarize, fmt)


def tensor_repr(t):
    """torch's text of `t` (``Parameter containing:`` on a line before it for a parameter)."""
    head = "Parameter containing:\n" if is_parameter(t) else ""
    return head + _plain_repr(t)


def _plain_repr(t):
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    a = host_array(t)
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if t.dtype is not dt.get_default_dtype():
            suffixes.append(f"dtype={t.dtype}")
        body = "[]"
    else:
        if not OPTIONS.edgeitems:
            suffixes.append(f"size={tuple(a.shape)}")  # torch: nothing shown, so the shape is
        if t.dtype not in (dt.get_default_dtype(), dt.int64, dt.bool):
            suffixes.append(f"dtype={t.dtype}")
        body = format_values(a, indent)
    grad_fn = t.grad_fn
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn.name().rsplit('::', 1)[-1]}>")  # (torch::autograd::CopySlices)
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


forms.functions(__all__, globals())
forms.method("__repr__", tensor_repr)
forms.method("__str__", tensor_repr)
