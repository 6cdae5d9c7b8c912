"""A seeded differential fuzzer: short random programs run under torch and nbtensor.

A program is a list of one-line Python statements over the variables ``v0, v1, ...`` and
the name ``torch``. ``run_seed(seed)`` generates the program one line at a time from a
``random.Random(seed)``; the generator looks only at torch's state (shapes, dtypes,
storages of the variables so far), so the same seed always gives the same program.
Every line is executed twice -- with ``torch`` bound to PyTorch and with ``torch`` bound
to nbtensor, each in its own namespace -- and after every line EVERY live variable is
compared:

* which names are bound (a line that raises binds nothing), the exception class when a
  line raises (both must raise, and the same builtin class);
* for tensors: shape, dtype, strides (dims of size > 1 only), values -- exact for
  integers/bools, bitwise for floats (NaN == NaN, sign of zero via ``np.signbit``) unless
  the line contains an op that is not exactly rounded (transcendentals, pow, reductions
  over floats, matmul), then within a dtype-dependent tolerance, after which nbtensor's
  values are overwritten with torch's so that rounding differences never cascade;
* for pairs of tensors (elements of tuples included): whether they share a storage
  (torch: ``untyped_storage().data_ptr()``; nbtensor: ``np.may_share_memory`` of the
  ``_storage`` arrays) and whether they are the same Python object;
* Python scalars / tuples / lists (``item()``, ``tolist()``, ``stride()``, ...): type
  and value.

The first mismatch ends the program. ``reduce_program`` then deletes lines while the same
mismatch (kind and failing line) still shows, and ``format_failure`` prints the program as
copy-pasteable Python.

Undefined torch behaviour is not generated (see ``_overlap_ok``): a write whose
destination overlaps a source in memory is generated only when torch's own overlap
check decides it (both non-overlapping-and-dense: torch raises on a partial overlap and
computes element-wise on a full one) or when they are the very same view; otherwise
(e.g. ``x.add_(x[0].expand_as(x))`` or a strided slice written from a permuted view of
itself) the result depends on torch's iteration order and the line is not generated.
Casting an out-of-range or non-finite float tensor to an integer dtype (``to``, ``copy_``,
``sum(dtype=int)``) is undefined in C++ and is not generated either. Expanded (internally
overlapping) destinations *are* generated: torch raises for them (or, for
``fill_``/``zero_``, writes one value), which is defined.
"""
import math
import random
import re
import warnings

import numpy as np

try:
    import torch as _torch
except ImportError:  # pragma: no cover - the test skips
    _torch = None

import nbtensor as _nb
from nbtensor.backends.host import on_host

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64",
          "float16", "float32", "float64"]
FLOATS = ("float16", "float32", "float64")
INTS = ("uint8", "int8", "int16", "int32", "int64")
INT_RANGE = {"uint8": (0, 255), "int8": (-128, 127), "int16": (-2**15, 2**15 - 1),
             "int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1), "bool": (0, 1)}

# Ops whose float results are not exactly rounded (or depend on the order of a reduction):
# (sqrt too: torch's vectorised float32 sqrt is not correctly rounded, sqrt(254.) -> 15.937378)
# float values of a line that uses one of them are compared with a tolerance.
APPROX_OPS = ("exp", "log", "log2", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tan",
              "tanh", "sigmoid", "pow", "sum", "mean", "prod", "std", "var", "norm",
              "logsumexp", "softmax", "log_softmax", "mm", "matmul", "lerp")
# add/sub with alpha too: torch's vectorised loop computes a + alpha * b with one fused
# multiply-add (one rounding) and its scalar tail with two, so the last bit of torch's own
# result depends on the element's position.
_APPROX_RE = re.compile(r"(\*\*|@|alpha=|\b(?:%s)_?\()" % "|".join(APPROX_OPS))
# Ops that pick one of two equal values: of 0. and -0., torch's scalar loop keeps the first
# and its vectorised loop (blocks of two vectors) the second, so the sign of a zero they
# return depends on the element's position in torch; nbtensor keeps the first
# (docs/design.md). Their zeros are compared without sign; everything else stays exact.
TIE_OPS = ("maximum", "minimum", "fmax", "fmin", "clamp", "clip", "max", "min", "amax", "amin")
_TIE_RE = re.compile(r"\b(?:%s)_?\(" % "|".join(TIE_OPS))
# Sums and products whose order differs from torch's (its vector lanes, its BLAS): where a
# partial result overflows, the order decides between inf and nan (3e38 + 3e38 - inf), so a
# position that is non-finite on both sides may differ in which non-finite value it holds.
REORDERED_OPS = ("sum", "mean", "nansum", "nanmean", "prod", "std", "var", "norm", "logsumexp",
                 "mm", "matmul", "bmm", "mv", "dot", "einsum", "tensordot", "vector_norm")
_REORDERED_RE = re.compile(r"(@|\b(?:%s)_?\()" % "|".join(REORDERED_OPS))
# torch's vectorised fmod (remainder too) returns nan where the quotient overflows (3e38 %
# 0.2); its scalar loop, and nbtensor, return C's exact fmod. A nan from torch where
# nbtensor's value is finite is accepted on these lines when they read a value of 1e4 or more.
_FMOD_RE = re.compile(r"(%|\b(?:remainder|fmod)_?\()")
# A float product that overflows somewhere and holds a zero is 0 or nan by the order of its
# partial products (torch's four vector accumulators for 32+ elements, nbtensor's first-to-
# last redo): on prod lines a zero on one side may stand against inf/nan on the other.
_PROD_RE = re.compile(r"\bprod_?\(")
RTOL = {"float16": 2e-3, "float32": 2e-5, "float64": 1e-12}

# ---------------------------------------------------------------------------------------
# Known divergences. Each entry is (name, predicate(mismatch) -> bool, reason). A
# mismatch that a predicate accepts ends its program as "known" instead of failing the
# test. Add an entry only for a divergence that is deliberate (documented in SPEC.md or
# docs/) -- never for a bug waiting to be fixed. `mismatch` is a Mismatch (kind, line,
# detail, var).
KNOWN_DIVERGENCES = [
    ("failed call leaves state unchanged (SPEC 13)",
     lambda m: m.torch_raised and m.kind in ("shape", "values", "strides", "sharing"),
     "SPEC 13: a call that raises leaves every input and out= unchanged. torch resizes an "
     "out= tensor, or writes part of the result (int division by zero, an out-of-range index "
     "in x[idx] = v), before it raises; nbtensor validates everything first. Only state "
     "after a line that raised in torch is exempt: both must still raise the same class."),
    ("an out= view cannot grow (docs/design.md)",
     lambda m: m.kind == "nb-raises" and "cannot resize the out= tensor" in m.detail,
     "torch grows an out= tensor whose storage is too small by reallocating the storage it "
     "shares with its views, which then see the new memory. A NumPy buffer cannot grow in "
     "place: nbtensor raises instead of silently detaching the views (SPEC 13)."),
    ("a float16 add/sub with alpha rounds once (docs/design.md)",
     lambda m: m.kind == "values" and "alpha=" in m.line and " float16 " in m.detail,
     "torch's scalar loop rounds alpha * other to half before adding (its vectorised loop, "
     "like nbtensor, rounds once), so a product that overflows half alone is inf there. "
     "Other float16 values are compared within float16's tolerance."),
    ("a float16 prod rounds once (docs/design.md)",
     lambda m: m.kind == "values" and re.search(r"\bprod_?\(", m.line) is not None
     and " float16 " in m.detail,
     "torch's CPU prod rounds every step of a float16 product to half (65504 * 2 * 0.5 is inf); "
     "nbtensor multiplies in float32 and rounds once, as torch's float16 sum and CUDA prod do. "
     "Other float16 values are compared within float16's tolerance."),
]
# ---------------------------------------------------------------------------------------


class Mismatch:
    def __init__(self, kind, line_no, line, detail, var=None):
        self.kind, self.line_no, self.line, self.detail, self.var = (
            kind, line_no, line, detail, var)
        self.torch_raised = kind in ("nb-accepts", "exc-class")

    def signature(self):
        return (self.kind, self.line)

    def __repr__(self):
        return "Mismatch(%s at line %d: %s)" % (self.kind, self.line_no, self.line)


def known_divergence(mismatch):
    for name, pred, _reason in KNOWN_DIVERGENCES:
        if pred(mismatch):
            return name
    return None


# ---------------------------------------------------------------------------------------
# Comparison helpers
# ---------------------------------------------------------------------------------------

def _exc_class(e):
    for c in (IndexError, TypeError, ValueError, NotImplementedError, RuntimeError):
        if isinstance(e, c):
            return c.__name__
    return type(e).__name__


def _is_t(x):
    return isinstance(x, _torch.Tensor)


def _is_n(x):
    return isinstance(x, _nb.Tensor)


def _dtname(dt):
    return str(dt).rsplit(".", 1)[-1]


def _flatten(name, obj, out):
    """(label, tensor) pairs of the tensors in obj, tuples/lists included."""
    if _is_t(obj) or _is_n(obj):
        out.append((name, obj))
    elif isinstance(obj, (tuple, list)):
        for i, o in enumerate(obj):
            _flatten("%s[%d]" % (name, i), o, out)
    return out


def _t_storage(t):
    return t.untyped_storage().data_ptr()


def _scalar_equal(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_scalar_equal(x, y) for x, y in zip(a, b))
    return a == b


def tolerance(line):
    """How a line's float results are compared, as a set of flags (empty: bitwise, NaN and
    the sign of zero included): "approx" (within a dtype tolerance), "signless_zero",
    "nonfinite" (inf and nan stand for each other), "torch_nan" and "zero_or_overflow"
    (see the regexes above)."""
    flags = set()
    if _APPROX_RE.search(line):
        flags.add("approx")
    if _TIE_RE.search(line):
        flags.add("signless_zero")
    if _REORDERED_RE.search(line):
        flags.update(("approx", "nonfinite"))
    if _FMOD_RE.search(line):
        flags.add("torch_nan")
    if _PROD_RE.search(line):
        flags.add("zero_or_overflow")
    return frozenset(flags)


def _values_equal(a, b, dtype, tol, scale):
    """a: torch's values, b: nbtensor's (ndarrays of one shape)."""
    with np.errstate(all="ignore"):
        return _values_equal_(a, b, dtype, tol, scale)


def _values_equal_(a, b, dtype, tol, scale):
    if dtype not in FLOATS:
        return bool(np.array_equal(a, b))
    a = a.astype(np.float64).ravel()
    b = b.astype(np.float64).ravel()
    if "torch_nan" in tol and scale >= 1e4:  # only a quotient this large can overflow
        keep = ~(np.isnan(a) & np.isfinite(b))
        a, b = a[keep], b[keep]
    if "zero_or_overflow" in tol:
        keep = ~(((a == 0) & ~np.isfinite(b)) | (~np.isfinite(a) & (b == 0)))
        a, b = a[keep], b[keep]
    if "nonfinite" in tol and scale >= 1e37:
        # both sides add float32 values in float32 partial sums (torch's vector lanes,
        # nbtensor's 512-element blocks) in different orders: which one passes float32's
        # range first decides between inf and the finite total (3e38 + 3e38 - 3e38)
        keep = np.isfinite(a) == np.isfinite(b)
        a, b = a[keep], b[keep]
    if "nonfinite" in tol:
        af, bf = ~np.isfinite(a), ~np.isfinite(b)
        if (af != bf).any():
            return False
        a, b = a[~af], b[~af]
    an, bn = np.isnan(a), np.isnan(b)
    if (an != bn).any():
        return False
    a, b = a[~an], b[~an]
    if "approx" not in tol:
        return bool(np.array_equal(a, b)) and ("signless_zero" in tol or bool(
            (np.signbit(a) == np.signbit(b)).all()))
    ai, bi = np.isinf(a), np.isinf(b)
    if (ai != bi).any() or (a[ai] != b[bi]).any():
        return False
    a, b = a[~ai], b[~ai]
    rtol = _rtol(a, dtype)
    return bool((np.abs(a - b) <= rtol * np.abs(a) + 4 * rtol * scale).all())


def _rtol(values, dtype):
    """Per element, the tolerance of the narrowest float dtype that holds torch's value
    exactly: a float32 result widened into a float64 out= is compared with float32's.
    (Small whole numbers fit every dtype and say nothing: they keep `dtype`'s tolerance.)"""
    rtol = np.full(values.shape, RTOL[dtype])
    fraction = (np.round(values) != values) | (np.abs(values) > 2.0 ** 24)
    for narrow in reversed(FLOATS[:FLOATS.index(dtype)]):
        with np.errstate(all="ignore"):
            fits = fraction & (values.astype(narrow).astype(np.float64) == values)
        rtol[fits] = RTOL[narrow]
    return rtol


def _tnp(t):
    """torch's values as an ndarray. Never t.numpy() itself: that marks t's storage
    non-resizable and would change what a later out= does."""
    return t.detach().clone().numpy()


def _fmt_val(x):
    if _is_t(x) or _is_n(x):
        try:
            return "%s %s %s strides=%s" % (
                tuple(x.shape), _dtname(x.dtype),
                (_tnp(x) if _is_t(x) else x.cpu().numpy()).tolist(), tuple(x.stride()))
        except Exception as e:  # pragma: no cover
            return "<unprintable %r>" % (e,)
    if isinstance(x, (tuple, list)):
        return "%s(%s)" % (type(x).__name__, ", ".join(_fmt_val(o) for o in x))
    return repr(x)


def _line_scale(line, tns):
    """The largest finite magnitude among the tensors a line reads (for tolerances)."""
    scale = 0.0
    for name in set(re.findall(r"\bv\d+\b", line)):
        for _, t in _flatten(name, tns.get(name), []):
            if t.numel() and t.dtype.is_floating_point:
                a = t.detach().double().abs()
                a = a[torch_isfinite(a)]
                if a.numel():
                    scale = max(scale, float(a.max()))
            elif t.numel() and t.dtype != _torch.bool:
                scale = max(scale, float(t.abs().max()))
    return min(scale, 1e300)


def torch_isfinite(a):
    return _torch.isfinite(a)


def compare_state(tns, nns, line, tol, line_no, scale_before=0.0):
    """Compare every live variable; returns a Mismatch or None. With a tolerance (see
    `tolerance`), resyncs nbtensor's float values to torch's where they agree within it.
    `scale_before`: the line's `_line_scale` before it ran (an in-place line overwrites it)."""
    tnames = sorted(k for k in tns if k.startswith("v"))
    nnames = sorted(k for k in nns if k.startswith("v"))
    if tnames != nnames:
        return Mismatch("bound-names", line_no, line,
                        "torch vars %s, nbtensor vars %s" % (tnames, nnames))
    scale = max(_line_scale(line, tns), scale_before) if tol & {"approx", "torch_nan"} else 0.0
    tflat, nflat = [], []
    for name in tnames:
        t, n = tns[name], nns[name]
        m = _compare_obj(name, t, n, tol, scale, line, line_no)
        if isinstance(m, Mismatch):
            return m
        if m == "resync":  # a Python float within tolerance
            nns[name] = n = t
        _flatten(name, t, tflat)
        _flatten(name, n, nflat)
    # memory sharing and identity, pairwise
    assert len(tflat) == len(nflat)
    for i in range(len(tflat)):
        li, ti = tflat[i]
        ni = nflat[i][1]
        if ti.numel() == 0:
            continue
        for j in range(i + 1, len(tflat)):
            lj, tj = tflat[j]
            nj = nflat[j][1]
            if (ti is tj) != (ni is nj):
                return Mismatch("identity", line_no, line,
                                "%s is %s: torch %s, nbtensor %s"
                                % (li, lj, ti is tj, ni is nj), li)
            if tj.numel() == 0:
                continue
            ts = _t_storage(ti) == _t_storage(tj)
            ns = _nb_shares_storage(ni, nj)
            if ts != ns:
                return Mismatch("sharing", line_no, line,
                                "%s and %s share memory: torch %s, nbtensor %s"
                                % (li, lj, ts, ns), li)
    return None


def _compare_obj(name, t, n, tol, scale, line, line_no):
    if _is_t(t):
        if not _is_n(n):
            return Mismatch("type", line_no, line, "%s: torch Tensor, nbtensor %s = %r"
                            % (name, type(n).__name__, n), name)
        if tuple(t.shape) != tuple(n.shape):
            return Mismatch("shape", line_no, line, "%s: torch %s, nbtensor %s"
                            % (name, tuple(t.shape), tuple(n.shape)), name)
        tdt, ndt = _dtname(t.dtype), _dtname(n.dtype)
        if tdt != ndt:
            return Mismatch("dtype", line_no, line, "%s: torch %s, nbtensor %s"
                            % (name, tdt, ndt), name)
        a, b = _tnp(t), n.cpu().numpy()
        if not _values_equal(a, b, tdt, tol, scale):
            note = ""
            if tdt in FLOATS and _values_equal(a.astype(np.float64) + 0.0,
                                               b.astype(np.float64) + 0.0, tdt, frozenset(), 0):
                note = "  [only the sign of zero differs]"
            elif tdt in FLOATS and _values_equal(a, b, tdt, frozenset(["approx"]), 0):
                note = "  [within rounding: last bits differ]"
            return Mismatch("values", line_no, line, "%s:%s\n  torch    %s\n  nbtensor %s"
                            % (name, note, _fmt_val(t), _fmt_val(n)), name)
        if t.numel() > 0:
            ts = [s for s, z in zip(t.stride(), t.shape) if z > 1]
            nst = [s for s, z in zip(n.stride(), n.shape) if z > 1]
            if ts != nst:
                return Mismatch("strides", line_no, line, "%s: torch %s, nbtensor %s"
                                % (name, tuple(t.stride()), tuple(n.stride())), name)
        if tol and tdt in FLOATS and a.tobytes() != b.tobytes():
            try:
                with on_host(n) as memory:
                    memory[...] = a  # resync: n's memory now holds torch's values
            except ValueError:
                pass
        return None
    if isinstance(t, (tuple, list)):
        if type(t).__name__ != type(n).__name__ or len(t) != len(n):
            return Mismatch("type", line_no, line, "%s: torch %s of %d, nbtensor %s of %s"
                            % (name, type(t).__name__, len(t), type(n).__name__,
                               len(n) if isinstance(n, (tuple, list)) else "-"), name)
        if any(_is_t(o) for o in t):
            for i, (x, y) in enumerate(zip(t, n)):
                m = _compare_obj("%s[%d]" % (name, i), x, y, tol, scale, line, line_no)
                if isinstance(m, Mismatch):
                    return m
            return None
    if type(t).__name__ == "Size" and type(n).__name__ == "Size":
        t, n = tuple(t), tuple(n)
    ok = _scalar_equal(t, n)
    if not ok and "approx" in tol and isinstance(t, float) and isinstance(n, float):
        ok = (math.isfinite(t) and math.isfinite(n)
              and abs(t - n) <= 1e-5 * abs(t) + 1e-5 * scale)
        if ok:
            return "resync"
    if not ok:
        return Mismatch("python-value", line_no, line, "%s: torch %r, nbtensor %r"
                        % (name, t, n), name)
    return None


# ---------------------------------------------------------------------------------------
# Executing one line on both sides
# ---------------------------------------------------------------------------------------

def new_namespaces():
    return {"torch": _torch}, {"torch": _nb}


def _exec(line, ns):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(line, "<fuzz>", "exec"), ns)
        return None
    except Exception as e:  # noqa: BLE001 - any exception is an outcome to compare
        return e


def step(line, tns, nns, line_no):
    """Run one line on both sides and compare. Returns (torch_exc, Mismatch or None)."""
    before = {k: tuple(v.shape) for k, v in tns.items() if k.startswith("v") and _is_t(v)}
    tol = tolerance(line)
    # read before the line runs: an in-place line (x.sigmoid_()) overwrites what it read
    scale_before = _line_scale(line, tns) if tol & {"approx", "torch_nan"} else 0.0
    te = _exec(line, tns)
    ne = _exec(line, nns)
    if isinstance(te, NameError):
        return te, Mismatch("invalid", line_no, line, "NameError under torch: %s" % te)
    if te is not None and ne is None:
        return te, Mismatch("nb-accepts", line_no, line, "torch raises %s: %s"
                            % (type(te).__name__, str(te).splitlines()[0][:300]))
    if te is None and ne is not None:
        return te, Mismatch("nb-raises", line_no, line, "nbtensor raises %s: %s"
                            % (type(ne).__name__, str(ne).splitlines()[0][:300]))
    if te is not None and _exc_class(te) != _exc_class(ne):
        return te, Mismatch("exc-class", line_no, line, "torch raises %s: %s\n"
                            "  nbtensor raises %s: %s"
                            % (type(te).__name__, str(te).splitlines()[0][:200],
                               type(ne).__name__, str(ne).splitlines()[0][:200]))
    m = compare_state(tns, nns, line, tol, line_no, scale_before)
    if m is not None:
        m.torch_raised = te is not None
        if m.kind == "shape" and m.var in before:
            kept = tuple(tns[m.var].shape) == before[m.var]
            m.detail += "  [%s kept its shape %s]" % (
                "torch" if kept else "nbtensor", before[m.var])
    return te, m


def _recover(tns, nns, line, line_no):
    """After a mismatch: drop the variables that differ so that the program can go on
    (keep_going mode, used to find more than one divergence per program)."""
    for k in set(tns) ^ set(nns):
        tns.pop(k, None)
        nns.pop(k, None)
    for _ in range(100):
        m = compare_state(tns, nns, line, tolerance(line), line_no)
        if m is None:
            return
        root = (m.var or "").split("[")[0]
        if root not in tns:
            return
        del tns[root], nns[root]


def replay(lines, keep_going=False):
    """Run a fixed program; returns (first Mismatch or None, torch exceptions per line),
    or with keep_going (all Mismatches, torch exceptions per line)."""
    tns, nns = new_namespaces()
    excs, found = [], []
    for i, line in enumerate(lines):
        te, m = step(line, tns, nns, i)
        excs.append(te)
        if m is not None:
            if not keep_going:
                return m, excs
            found.append(m)
            _recover(tns, nns, line, i)
    return (found if keep_going else None), excs


# ---------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------

def _fmt_scalar(x):
    if isinstance(x, bool) or isinstance(x, int):
        return repr(x)
    if math.isnan(x):
        return "float('nan')"
    if math.isinf(x):
        return "float('inf')" if x > 0 else "-float('inf')"
    return repr(x)


def _fmt_list(vals, shape):
    if not shape:
        return _fmt_scalar(vals[0])
    step_ = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    items = [_fmt_list(vals[i * step_:(i + 1) * step_], shape[1:]) for i in range(shape[0])]
    return "[" + ", ".join(items) + "]"


def _nb_shares_storage(a, b):
    """Do nbtensor tensors a and b use one memory (on the CPU: NumPy's answer; elsewhere
    the same storage object)?"""
    if a.device.type != "cpu" or b.device.type != "cpu":
        return a._storage is b._storage or (a._storage.base is not None and a._storage.base is b._storage.base)
    return bool(np.may_share_memory(a._storage, b._storage))


def _trunc_safe(x, y):
    """Can torch divide x by y (a tensor, or None for a number) with rounding_mode='trunc'
    without dying? Its int32/int64 kernel traps (SIGFPE, killing the process) on
    int_min / -1; nbtensor wraps (docs/design.md)."""
    d = x.dtype if y is None else _torch.result_type(x, y)
    return d not in (_torch.int32, _torch.int64)


def _dense(t):
    dims = sorted((st, sz) for sz, st in zip(t.shape, t.stride()) if sz != 1)
    expected = 1
    for st, sz in dims:
        if st != expected:
            return False
        expected *= sz
    return True


def _span(t):
    item = t.element_size()
    lo = t.data_ptr()
    hi = lo + item * (1 + sum((z - 1) * s for z, s in zip(t.shape, t.stride())))
    return lo, hi


def _overlaps(a, b):
    if a.numel() == 0 or b.numel() == 0 or _t_storage(a) != _t_storage(b):
        return False
    (alo, ahi), (blo, bhi) = _span(a), _span(b)
    return alo < bhi and blo < ahi


def _overlap_ok(dest, srcs, elementwise=True):
    """Is writing into dest while reading srcs defined in torch? (see module docstring)"""
    for s in srcs:
        if not elementwise and _is_t(s) and _t_storage(s) == _t_storage(dest):
            return False  # reductions, cat, mm: no overlap check in torch
        if _is_t(s) and dest.numel() == 0 and s.numel() and _t_storage(s) == _t_storage(dest):
            return False  # an empty out= grows over its storage after torch's overlap check
        if not _is_t(s) or not _overlaps(dest, s):
            continue
        if s is dest:
            continue
        if (s.data_ptr() == dest.data_ptr() and tuple(s.shape) == tuple(dest.shape)
                and s.stride() == dest.stride()):
            continue
        if _dense(dest) and _dense(s):
            continue  # torch's own check decides: raises on a partial overlap
        return False
    return True


def _safe_cast(t, dst):
    """Is converting tensor t to dtype dst defined (no out-of-range float -> int)?"""
    if not _is_t(t):
        return True
    src = _dtname(t.dtype)
    if src not in FLOATS or dst in FLOATS or dst == "bool":
        return True
    if t.numel() == 0:
        return True
    a = t.double()
    if not bool(_torch.isfinite(a).all()):
        return False
    lo, hi = INT_RANGE[dst]
    return bool(((a > float(lo) - 1) & (a < float(hi) + 1)).all())


def _reduction_cast_ok(call, ns, dst):
    """Is writing reduction `call`'s result into an out= tensor of dtype dst defined? A sum
    or product of in-range floats can still leave an integer dtype's range (seed 27102486:
    sums of -inf and nan into int8), so the result itself is computed and checked."""
    if dst in FLOATS or dst == "bool":
        return True
    out = call.replace(", out=%s", "")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = eval(out, {"torch": _torch}, dict(ns))
    except Exception:  # noqa: BLE001 - torch refuses the call: defined
        return True
    return _safe_cast(result, dst)


UNARY = ["neg", "abs", "reciprocal", "exp", "log", "log2", "log1p", "expm1", "sqrt",
         "rsqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "sign", "floor", "ceil",
         "round", "trunc", "isnan", "isinf", "isfinite", "logical_not", "bitwise_not",
         "square"]
UNARY_INPLACE = ["neg", "abs", "reciprocal", "exp", "log", "sqrt", "sigmoid", "relu",
                 "sign", "floor", "ceil", "round", "trunc", "tanh", "sin", "bitwise_not",
                 "logical_not"]
BINARY = ["add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "pow",
          "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "logical_and",
          "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor"]
BINARY_INPLACE = ["add", "sub", "mul", "div", "floor_divide", "remainder", "pow",
                  "bitwise_and", "bitwise_or", "bitwise_xor", "eq", "lt", "logical_and"]
OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "floor_divide": "//",
             "remainder": "%", "pow": "**", "bitwise_and": "&", "bitwise_or": "|",
             "bitwise_xor": "^", "eq": "==", "ne": "!=", "lt": "<", "le": "<=",
             "gt": ">", "ge": ">="}


class Generator:
    def __init__(self, rng):
        self.r = rng
        self.n = 0

    # -- variables -------------------------------------------------------------------
    def fresh(self):
        name = "v%d" % self.n
        self.n += 1
        return name

    def tensors(self, ns):
        return [(k, v) for k, v in ns.items() if k.startswith("v") and _is_t(v)]

    def pick(self, ns, pred=None):
        c = [kv for kv in self.tensors(ns) if pred is None or pred(kv[1])]
        if not c:
            return None, None
        # favour recent variables a little
        k = self.r.choice(c[-6:] if self.r.random() < 0.5 else c)
        return k

    # -- values ----------------------------------------------------------------------
    def dtype(self):
        return self.r.choice(DTYPES)

    def value(self, dt):
        r = self.r
        if dt == "bool":
            return r.random() < 0.5
        if dt in INTS:
            lo, hi = INT_RANGE[dt]
            if r.random() < 0.8:
                return max(lo, min(hi, r.randint(-4, 6)))
            return r.choice([lo, hi, lo + 1, hi - 1, 100, -100 if lo < 0 else 0, 2,
                             128 if hi >= 128 else -1, 64])
        if r.random() < 0.8:
            return r.choice([r.randint(-5, 5) * 1.0, r.randint(-20, 20) / 4.0,
                             round(r.uniform(-3, 3), 3)])
        big = {"float16": 65504.0, "float32": 3e38, "float64": 1e300}[dt]
        return r.choice([float("nan"), float("inf"), -float("inf"), -0.0, 0.0, 1e4,
                         -1e-4, big, -big, 1e-8, 0.1, 300.0, 1e8])

    def scalar(self, kind=None):
        r = self.r
        kind = kind or r.choice(["int", "int", "float", "float", "bool"])
        if kind == "int":
            return r.choice([0, 1, 2, 3, -1, -2, 5, 7, 100, 300, -129, 2**31, 2**40])
        if kind == "bool":
            return r.random() < 0.5
        return r.choice([0.5, -1.5, 2.0, 0.0, -0.0, 2.5, 1e10, -3.25, 0.1,
                         float("nan"), float("inf"), -float("inf")])

    def shape(self, rank=None):
        r = self.r
        if rank is None:
            rank = r.choices([0, 1, 2, 3, 4], [1, 3, 4, 2, 0.5])[0]
        return tuple(r.choices([0, 1, 2, 3, 4, 5], [0.6, 2, 3, 3, 2, 1])[0]
                     for _ in range(rank))

    def shape_like(self, ns):
        """A shape that broadcasts with an existing tensor (or a fresh one)."""
        _, x = self.pick(ns)
        if x is None or self.r.random() < 0.3:
            return self.shape()
        sh = list(x.shape)
        mode = self.r.random()
        if mode < 0.4:
            return tuple(sh)
        if mode < 0.7:
            return tuple(1 if self.r.random() < 0.4 else z for z in sh)
        if mode < 0.9:
            return tuple(sh[self.r.randint(0, len(sh)):])
        return tuple([self.r.randint(1, 3)] + sh)

    def literal(self, shape, dt):
        n = int(np.prod(shape)) if shape else 1
        vals = [self.value(dt) for _ in range(n)]
        if dt in FLOATS:
            vals = [float(v) for v in vals]
        return _fmt_list(vals, list(shape))

    # -- lines -----------------------------------------------------------------------
    def create(self, ns):
        r = self.r
        name = self.fresh()
        shape = self.shape_like(ns) if r.random() < 0.6 else self.shape()
        dt = self.dtype()
        n = int(np.prod(shape)) if shape else 1
        if 0 in shape or (r.random() < 0.12):
            fn = r.choice(["zeros", "ones"])
            return "%s = torch.%s(%s, dtype=torch.%s)" % (name, fn, shape, dt)
        k = r.random()
        if k < 0.1 and dt != "bool":
            return "%s = torch.full(%s, %s, dtype=torch.%s)" % (
                name, shape, _fmt_scalar(self.value(dt)), dt)
        if k < 0.2 and dt not in ("bool", "uint8", "int8") and shape:
            return "%s = torch.arange(%d, dtype=torch.%s).reshape(%s)" % (
                name, n, dt, shape)
        lit = self.literal(shape, dt)
        if r.random() < 0.15 and dt in ("bool", "int64", "float32"):
            return "%s = torch.tensor(%s)" % (name, lit)
        return "%s = torch.tensor(%s, dtype=torch.%s)" % (name, lit, dt)

    def dim(self, nd, allow_bad=True):
        r = self.r
        if allow_bad and r.random() < 0.04:
            return r.choice([nd, -nd - 1, 5])
        if nd == 0:
            return r.choice([0, -1])
        return r.randint(-nd, nd - 1)

    def index_expr(self, x):
        """A basic-indexing subscript for x."""
        r = self.r
        parts = []
        nd = x.dim()
        d = 0
        while d < nd and r.random() < 0.8:
            z = x.shape[d]
            k = r.random()
            if k < 0.25:
                parts.append(str(r.randint(-z, z - 1) if z and r.random() < 0.95
                                 else r.choice([z, -z - 1, 3])))
            elif k < 0.8:
                a = r.choice(["", "", str(r.randint(-z - 1, z + 1))])
                b = r.choice(["", "", str(r.randint(-z - 1, z + 1))])
                s = r.choice(["", "", ":2", ":3", ":1"] + ([":-1"] if r.random() < 0.05
                                                          else []))
                parts.append("%s:%s%s" % (a, b, s))
            elif k < 0.9:
                parts.append("None")
                continue
            else:
                parts.append("...")
                d = nd
                continue
            d += 1
        if not parts:
            parts = [r.choice(["...", ":", "None"])]
        return ", ".join(parts)

    def view_line(self, ns):
        r = self.r
        xn, x = self.pick(ns)
        if x is None:
            return self.create(ns)
        name = self.fresh()
        nd = x.dim()
        k = r.randrange(17)
        if k == 0:
            e = "%s[%s]" % (xn, self.index_expr(x))
        elif k == 1:
            e = "%s.transpose(%d, %d)" % (xn, self.dim(nd), self.dim(nd))
        elif k == 2:
            e = "%s.t()" % xn if r.random() < 0.7 else "%s.T" % xn
        elif k == 3:
            p = list(range(nd))
            r.shuffle(p)
            if r.random() < 0.3:
                p = [q - nd for q in p]
            e = "%s.permute(%s)" % (xn, ", ".join(map(str, p)) if p else "()")
        elif k == 4:
            sh = [z if z != 1 else r.choice([1, 2, 3]) for z in x.shape]
            sh = [z if r.random() < 0.7 else -1 for z in sh]
            if r.random() < 0.4:
                sh = [r.randint(1, 3)] + sh
            e = "%s.expand(%s)" % (xn, tuple(sh))
        elif k in (5, 6):
            fn = "view" if k == 5 else "reshape"
            n = x.numel()
            sh = self.factor(n)
            if sh and r.random() < 0.3:
                sh[r.randrange(len(sh))] = -1
            e = "%s.%s(%s)" % (xn, fn, tuple(sh))
        elif k == 7:
            e = "%s.unsqueeze(%d)" % (xn, self.dim(nd + 1))
        elif k == 8:
            e = ("%s.squeeze()" % xn if r.random() < 0.4
                 else "%s.squeeze(%d)" % (xn, self.dim(nd)))
        elif k == 9 and nd:
            d = self.dim(nd, False)
            z = x.shape[d]
            s = r.randint(0, z)
            ln = r.randint(0, z - s) if r.random() < 0.95 else z + 1
            e = "%s.narrow(%d, %d, %d)" % (xn, d, s, ln)
        elif k == 10 and nd:
            d = self.dim(nd, False)
            z = x.shape[d]
            i = r.randint(-z, z - 1) if z and r.random() < 0.95 else z
            e = "%s.select(%d, %d)" % (xn, d, i)
        elif k == 11:
            e = "%s.diagonal(%d, %d, %d)" % (xn, r.randint(-2, 2), self.dim(nd),
                                             self.dim(nd))
        elif k == 12:
            e = r.choice(["%s.flatten()", "%s.contiguous()", "%s.clone()", "%s.mT",
                          "%s.flatten(%d)" % ("%s", self.dim(nd))]) % xn
        elif k == 13:
            e = r.choice(["%s.unbind(%d)", "%s.split(%d, %d)", "%s.chunk(%d, %d)"])
            if e.startswith("%s.unbind"):
                e = e % (xn, self.dim(nd))
            else:
                e = e % (xn, r.randint(1, 3), self.dim(nd))
        elif k == 14:
            dt = self.dtype()
            if not _safe_cast(x, dt):
                dt = "float64"
            e = r.choice(["%s.to(torch.%s)" % (xn, dt), "%s.to(dtype=torch.%s)" % (xn, dt),
                          "%s.type(torch.%s)" % (xn, dt)])
        elif k == 15:
            e = "%s.expand_as(%s)" % (xn, self.pick(ns)[0])
        else:
            e = "%s.view(%s)" % (xn, self.factor(x.numel()) or "()")
        return "%s = %s" % (name, e)

    def factor(self, n):
        r = self.r
        if n == 0:
            return r.choice([[0], [0, 3], [2, 0], [0, 1, 2]])
        fs, m = [], n
        for p in (2, 3, 5, 7):
            while m % p == 0:
                fs.append(p)
                m //= p
        if m > 1:
            fs.append(m)
        r.shuffle(fs)
        k = r.randint(1, 3)
        out = [1] * k
        for f in fs:
            out[r.randrange(k)] *= f
        if r.random() < 0.2:
            out.insert(r.randint(0, len(out)), 1)
        return out

    def operand(self, ns, x):
        """A second operand for a binary op with x: a variable or a Python scalar."""
        r = self.r
        if r.random() < 0.35:
            return _fmt_scalar(self.scalar()), None
        def bc(t):
            try:
                _torch.broadcast_shapes(x.shape, t.shape)
                return True
            except RuntimeError:
                return False
        yn, y = self.pick(ns, bc if r.random() < 0.93 else None)
        if y is None:
            return _fmt_scalar(self.scalar()), None
        return yn, y

    def elementwise_line(self, ns):
        r = self.r
        xn, x = self.pick(ns)
        if x is None:
            return self.create(ns)
        k = r.random()
        if k < 0.3:  # unary
            op = r.choice(UNARY)
            form = r.random()
            if op == "neg" and form < 0.3:
                e = "-%s" % xn
            elif op == "bitwise_not" and form < 0.3:
                e = "~%s" % xn
            elif op == "abs" and form < 0.2:
                e = "abs(%s)" % xn
            elif form < 0.6:
                e = "torch.%s(%s)" % (op, xn)
            else:
                e = "%s.%s()" % (xn, op)
            return "%s = %s" % (self.fresh(), e)
        if k < 0.38:  # clamp / where / lerp
            c = r.randrange(3)
            if c == 0:
                lo = self.scalar(r.choice(["int", "float"])) if r.random() < 0.8 else None
                hi = self.scalar(r.choice(["int", "float"])) if r.random() < 0.7 else None
                if lo is None and hi is None:
                    lo = 0
                args = []
                if lo is not None:
                    args.append("min=%s" % _fmt_scalar(lo))
                if hi is not None:
                    args.append("max=%s" % _fmt_scalar(hi))
                fn = r.choice(["clamp", "clip"])
                if r.random() < 0.5:
                    return "%s = torch.%s(%s, %s)" % (self.fresh(), fn, xn, ", ".join(args))
                return "%s = %s.%s(%s)" % (self.fresh(), xn, fn, ", ".join(args))
            if c == 1:
                cn, cond = self.pick(ns, lambda t: t.dtype == _torch.bool)
                if cond is None or r.random() < 0.4:
                    cn = "%s > %s" % (xn, _fmt_scalar(self.scalar("int")))
                b, _ = self.operand(ns, x)
                if r.random() < 0.5:
                    return "%s = torch.where(%s, %s, %s)" % (self.fresh(), cn, xn, b)
                return "%s = torch.where(%s, %s, %s)" % (self.fresh(), cn, b, xn)
            yn, y = self.operand(ns, x)
            return "%s = torch.lerp(%s, %s, %s)" % (self.fresh(), xn, yn,
                                                   _fmt_scalar(r.choice([0.5, 0.25, 2.0])))
        op = r.choice(BINARY)
        yn, y = self.operand(ns, x)
        form = r.random()
        extra = ""
        if op in ("add", "sub") and r.random() < 0.3:
            extra = ", alpha=%s" % _fmt_scalar(self.scalar(r.choice(["int", "float",
                                                                      "bool"])))
        if op == "div" and r.random() < 0.4:
            extra = ", rounding_mode=%r" % r.choice(["floor", "trunc"] if _trunc_safe(x, y) else ["floor"])
        if op in OPERATORS and form < 0.4 and not extra:
            sym = OPERATORS[op]
            if y is None and r.random() < 0.5:
                e = "%s %s %s" % (yn, sym, xn)  # reflected
            else:
                e = "%s %s %s" % (xn, sym, yn)
        elif form < 0.7:
            e = "torch.%s(%s, %s%s)" % (op, xn, yn, extra)
        else:
            e = "%s.%s(%s%s)" % (xn, op, yn, extra)
        return "%s = %s" % (self.fresh(), e)

    def out_line(self, ns):
        """An out= form; out is a fresh zeros tensor or an existing variable."""
        r = self.r
        xn, x = self.pick(ns)
        if x is None:
            return self.create(ns)
        k = r.random()
        elementwise = True
        if k < 0.5:
            op = r.choice(BINARY)
            yn, y = self.operand(ns, x)
            extra = ""
            if op in ("add", "sub") and r.random() < 0.3:
                extra = ", alpha=%s" % _fmt_scalar(self.scalar("int"))
            call = "torch.%s(%s, %s%s, out=%%s)" % (op, xn, yn, extra)
            srcs = [x, y]
            try:
                shape = tuple(_torch.broadcast_shapes(x.shape, y.shape)) if y is not None \
                    else tuple(x.shape)
            except RuntimeError:
                shape = tuple(x.shape)
        elif k < 0.65:
            op = r.choice(UNARY)
            call = "torch.%s(%s, out=%%s)" % (op, xn)
            srcs, shape = [x], tuple(x.shape)
        elif k < 0.85:
            elementwise = False
            op = r.choice(["sum", "prod", "amax", "amin", "cumsum", "mean"])
            d = self.dim(x.dim())
            kd = r.random() < 0.3
            if op == "cumsum":
                call = "torch.cumsum(%s, %d, out=%%s)" % (xn, d)
                shape = tuple(x.shape)
            else:
                call = "torch.%s(%s, %d, %s, out=%%s)" % (
                    op, xn, d, "keepdim=True" if kd else "keepdim=False")
                sh = list(x.shape)
                if sh and -len(sh) <= d < len(sh):
                    if kd:
                        sh[d] = 1
                    else:
                        del sh[d]
                shape = tuple(sh)
            srcs = [x]
        else:
            elementwise = False
            yn, y = self.pick(ns, lambda t: t.dim() == 2)
            if y is None or x.dim() != 2:
                return self.elementwise_line(ns)
            call = "torch.mm(%s, %s, out=%%s)" % (xn, yn)
            srcs, shape = [x, y], (x.shape[0], y.shape[1])
        if r.random() < 0.5:
            on, o = self.pick(ns)
            if o is not None and _overlap_ok(o, srcs, elementwise) and (
                    all(_safe_cast(s, _dtname(o.dtype)) for s in srcs)) and (
                    elementwise or _reduction_cast_ok(call, ns, _dtname(o.dtype))):
                return call % on
        dt = r.choice([_dtname(x.dtype)] * 3 + [self.dtype()])
        if not (elementwise or _reduction_cast_ok(call, ns, dt)):
            dt = _dtname(x.dtype)
        if r.random() < 0.2:
            shape = self.shape()
        name = self.fresh()
        return "%s = torch.zeros(%s, dtype=torch.%s); %s" % (
            name, shape, dt, call % name)

    def inplace_line(self, ns):
        r = self.r
        xn, x = self.pick(ns)
        if x is None:
            return self.create(ns)
        dt = _dtname(x.dtype)
        for _ in range(4):
            k = r.randrange(10)
            if k <= 2:
                op = r.choice(BINARY_INPLACE)
                yn, y = self.operand(ns, x)
                if not _overlap_ok(x, [y]):
                    continue
                extra = ""
                if op in ("add", "sub") and r.random() < 0.4:
                    extra = ", alpha=%s" % _fmt_scalar(self.scalar(r.choice(
                        ["int", "int", "float", "bool"])))
                if op in OPERATORS and op not in ("eq", "lt") and not extra and \
                        r.random() < 0.4:
                    return "%s %s= %s" % (xn, OPERATORS[op], yn)
                line = "%s.%s_(%s%s)" % (xn, op, yn, extra)
                if r.random() < 0.2:
                    line = "%s = %s" % (self.fresh(), line)
                return line
            if k == 3:
                return "%s.%s_()" % (xn, r.choice(UNARY_INPLACE))
            if k == 4:
                lo = self.scalar(r.choice(["int", "float"]))
                hi = self.scalar(r.choice(["int", "float"]))
                if r.random() < 0.3:
                    yn, y = self.operand(ns, x)
                    if y is not None and _overlap_ok(x, [y]):
                        return "%s.clamp_(min=%s)" % (xn, yn)
                return "%s.clamp_(%s, %s)" % (xn, _fmt_scalar(lo), _fmt_scalar(hi))
            if k == 5:
                if r.random() < 0.7:
                    return "%s.fill_(%s)" % (xn, _fmt_scalar(
                        self.value(dt) if r.random() < 0.6 else self.scalar()))
                return "%s.zero_()" % xn
            if k == 6:
                yn, y = self.operand(ns, x)
                if y is None or not _overlap_ok(x, [y]) or not _safe_cast(y, dt):
                    continue
                return "%s.copy_(%s)" % (xn, yn)
            if k in (7, 8):  # basic index assignment
                sub = self.index_expr(x)
                if r.random() < 0.5:
                    v = _fmt_scalar(self.value(dt) if r.random() < 0.7 else self.scalar())
                    return "%s[%s] = %s" % (xn, sub, v)
                yn, y = self.pick(ns)
                if y is None or not _overlap_ok(x, [y]) or not _safe_cast(y, dt):
                    continue
                return "%s[%s] = %s" % (xn, sub, yn)
            # advanced index assignment / masked
            sub = self.adv_index(ns, xn, x)
            if sub is None:
                continue
            if r.random() < 0.2:
                return "%s[%s] += %s" % (xn, sub, _fmt_scalar(self.scalar("int")))
            if r.random() < 0.6:
                return "%s[%s] = %s" % (xn, sub, _fmt_scalar(self.value(dt)))
            yn, y = self.pick(ns)
            if y is None or _overlaps(x, y) or not _safe_cast(y, dt):
                continue
            return "%s[%s] = %s" % (xn, sub, yn)
        return "%s.zero_()" % xn

    def adv_index(self, ns, xn, x):
        r = self.r
        nd = x.dim()
        k = r.randrange(5)
        if k == 0:
            return "%s > %s" % (xn, _fmt_scalar(self.scalar("int")))
        if k == 1:
            mn, m = self.pick(ns, lambda t: t.dtype == _torch.bool)
            return mn
        if nd == 0:
            return None
        z = x.shape[0]
        idx = [r.randint(-z, z - 1) if z else 0 for _ in range(r.randint(0, 4))]
        if r.random() < 0.08:
            idx.append(z)  # out of range
        if k == 2:
            return str(idx)
        if k == 3:
            dt = r.choice(["int64", "int64", "int32"])
            return "torch.tensor(%s, dtype=torch.%s)" % (idx, dt)
        if nd >= 2:
            z1 = x.shape[1]
            j = [r.randint(-z1, z1 - 1) if z1 else 0 for _ in range(len(idx))]
            if r.random() < 0.5:
                return "%s, %s" % (idx, j)
            return ":, %s" % (j or [0])
        return "..., %s" % idx

    def adv_get_line(self, ns):
        xn, x = self.pick(ns)
        if x is None:
            return self.create(ns)
        sub = self.adv_index(ns, xn, x)
        if sub is None:
            sub = "None"
        return "%s = %s[%s]" % (self.fresh(), xn, sub)

    def reduce_line(self, ns):
        r = self.r
        xn, x = self.pick(ns)
        if x is None:
            return self.create(ns)
        nd = x.dim()
        op = r.choice(["sum", "mean", "prod", "amax", "amin", "max", "min", "argmax",
                       "argmin", "std", "var", "any", "all", "cumsum", "cumprod",
                       "logsumexp", "softmax", "norm", "sum", "max"])
        args = []
        if op in ("cumsum", "cumprod", "softmax"):
            args.append(str(self.dim(nd)))
        elif op in ("max", "min"):
            if r.random() < 0.7:
                args.append(str(self.dim(nd)))
                if r.random() < 0.4:
                    args.append("keepdim=True")
        elif r.random() < 0.75 or op == "logsumexp":
            if op in ("sum", "mean", "amax", "amin", "std", "var", "logsumexp", "any",
                      "all", "norm") and nd >= 2 and r.random() < 0.3:
                d = tuple(sorted({self.dim(nd, False), self.dim(nd, False)}))
                args.append("dim=%s" % (d,))
            else:
                args.append("dim=%d" % self.dim(nd))
            if r.random() < 0.4:
                args.append("keepdim=%s" % (r.random() < 0.5))
        if op in ("std", "var") and r.random() < 0.5:
            if r.random() < 0.7:
                args.append("correction=%d" % r.choice([0, 1, 2, 5]))
            else:
                args.append("unbiased=%s" % (r.random() < 0.5))
        if op in ("sum", "mean", "prod", "cumsum", "cumprod", "softmax") and \
                r.random() < 0.3:
            dt = self.dtype()
            if _safe_cast(x, dt):
                args.append("dtype=torch.%s" % dt)
        a = ", ".join(args)
        if r.random() < 0.5:
            e = "torch.%s(%s%s)" % (op, xn, ", " + a if a else "")
        else:
            e = "%s.%s(%s)" % (xn, op, a)
        if op in ("max", "min") and args and r.random() < 0.3:
            e += r.choice([".values", ".indices", "[0]", "[1]"])
        return "%s = %s" % (self.fresh(), e)

    def join_line(self, ns):
        r = self.r
        xn, x = self.pick(ns)
        if x is None:
            return self.create(ns)
        nd = x.dim()
        fn = r.choice(["cat", "cat", "stack"])
        d = self.dim(nd + (fn == "stack"))
        def ok(t):
            if fn == "stack" or nd == 0:
                return tuple(t.shape) == tuple(x.shape)
            if t.dim() != nd:
                return False
            dd = d % nd if -nd <= d < nd else 0
            return all(a == b for i, (a, b) in enumerate(zip(t.shape, x.shape)) if i != dd)
        items = [xn]
        for _ in range(r.randint(0, 3)):
            yn, y = self.pick(ns, ok if r.random() < 0.9 else None)
            items.append(yn if y is not None else xn)
        if r.random() < 0.1:
            items.append("torch.tensor([])")
        if r.random() < 0.1:
            name = self.fresh()
            return "%s = torch.zeros(%s, dtype=%s.dtype); torch.%s([%s], %d, out=%s)" % (
                name, self.shape(), xn, fn, ", ".join(items), d, name)
        return "%s = torch.%s([%s], %s)" % (self.fresh(), fn, ", ".join(items),
                                            "dim=%d" % d if r.random() < 0.5 else d)

    def matmul_line(self, ns):
        r = self.r
        xn, x = self.pick(ns, lambda t: 1 <= t.dim() <= 3)
        if x is None:
            return self.create(ns)
        def ok(t):
            return 1 <= t.dim() <= 3 and t.shape[0 if t.dim() == 1 else -2] == x.shape[-1]
        yn, y = self.pick(ns, ok if r.random() < 0.9 else None)
        if y is None:
            yn = r.choice(["%s.mT" % xn, "%s.t()" % xn, xn])
        if r.random() < 0.3 and r.random() < 0.5 and (y is None or _safe_cast(y, _dtname(x.dtype))):
            yn = "%s.to(%s.dtype)" % (yn, xn)
        fn = r.choice(["@", "matmul", "mm"])
        if fn == "@":
            e = "%s @ %s" % (xn, yn)
        else:
            e = "torch.%s(%s, %s)" % (fn, xn, yn)
        return "%s = %s" % (self.fresh(), e)

    def python_line(self, ns):
        r = self.r
        xn, x = self.pick(ns)
        if x is None:
            return self.create(ns)
        e = r.choice(["%s.item()", "%s.tolist()", "%s.stride()", "%s.is_contiguous()",
                      "%s.storage_offset()", "%s.size()", "%s.dim()", "%s.numel()",
                      "bool(%s)", "float(%s)", "int(%s)", "torch.equal(%s, %%s)"])
        if "%%s" in e:
            e = e.replace("%%s", self.pick(ns)[0])
        return "%s = %s" % (self.fresh(), e % xn)

    def next_line(self, ns):
        if len(self.tensors(ns)) < 2:
            return self.create(ns)
        kind = self.r.choices(
            ["create", "view", "elementwise", "inplace", "out", "reduce", "join",
             "matmul", "adv_get", "python"],
            [1.2, 3, 3, 3, 1, 2, 0.6, 0.5, 1, 0.4])[0]
        return getattr(self, kind + ("_line" if kind != "create" else ""))(ns)


# ---------------------------------------------------------------------------------------
# Driving
# ---------------------------------------------------------------------------------------

class Result:
    def __init__(self, seed, lines, excs, mismatches):
        self.seed, self.lines, self.excs = seed, lines, excs
        self.mismatches = mismatches
        self.mismatch = mismatches[0] if mismatches else None
        self.known = known_divergence(self.mismatch) if self.mismatch else None


def run_seed(seed, n_lines=None, keep_going=False):
    """Generate and run the program of `seed`. Stops at the first mismatch unless
    keep_going (then the differing variables are dropped and the program goes on)."""
    rng = random.Random(seed)
    if n_lines is None:
        n_lines = rng.randint(6, 24)
    gen = Generator(rng)
    tns, nns = new_namespaces()
    lines, excs, found = [], [], []
    for i in range(n_lines):
        line = gen.next_line(tns)
        te, m = step(line, tns, nns, i)
        lines.append(line)
        excs.append(te)
        if m is not None:
            found.append(m)
            if not keep_going:
                break
            _recover(tns, nns, line, i)
    return Result(seed, lines, excs, found)


_LITERAL_RE = re.compile(r"^(v\d+) = torch\.tensor\((.*?)(?:, dtype=torch\.(\w+))?\)$")


def reduce_program(lines, mismatch, budget=300, keep_going=False):
    """Delete lines (ddmin-style, then one at a time) while the same mismatch shows.
    With keep_going the mismatch may come after others (see run_seed)."""
    sig = mismatch.signature()
    runs = [0]

    def still(cand):
        if runs[0] >= budget:
            return False
        runs[0] += 1
        if keep_going:
            ms, excs = replay(cand, True)
            ok = any(m.signature() == sig for m in ms)
        else:
            m, excs = replay(cand)
            ok = m is not None and m.signature() == sig
        return ok and not any(isinstance(e, NameError) for e in excs)

    lines = list(lines[:mismatch.line_no + 1])
    n = 2
    while len(lines) > 1 and runs[0] < budget:
        body, last = lines[:-1], lines[-1]
        if not body:
            break
        chunk = max(1, len(body) // n)
        removed = False
        for s in range(0, len(body), chunk):
            cand = body[:s] + body[s + chunk:] + [last]
            if still(cand):
                lines = cand
                n = max(n - 1, 2)
                removed = True
                break
        if not removed:
            if chunk == 1:
                break
            n = min(n * 2, len(body))
    # then plainer data: torch.tensor(<literal>) -> zeros / ones / arange of that shape
    for i in range(len(lines) - 1):
        lm = _LITERAL_RE.match(lines[i])
        if not lm or runs[0] >= budget:
            continue
        try:
            t = _torch.tensor(eval(lm.group(2), {"float": float}))
        except Exception:  # noqa: BLE001
            continue
        dt = lm.group(3) or _dtname(t.dtype)
        shape = tuple(t.shape)
        cands = ["%s = torch.%s(%s, dtype=torch.%s)" % (lm.group(1), f, shape, dt)
                 for f in ("zeros", "ones")]
        if dt != "bool" and t.numel() <= 100:
            cands.append("%s = torch.arange(%d, dtype=torch.%s).reshape(%s)"
                         % (lm.group(1), t.numel(), dt, shape))
        for c in cands:
            cand = lines[:i] + [c] + lines[i + 1:]
            if still(cand):
                lines = cand
                break
    if keep_going:
        ms, excs = replay(lines, True)
        m = next((m for m in ms if m.signature() == sig), None)
    else:
        m, excs = replay(lines)
    return lines, m, excs


def format_program(lines, excs, mismatch=None):
    out = ["import torch  # or: import nbtensor as torch"]
    for line, e in zip(lines, excs):
        if e is not None:
            out.append("try:\n    %s\nexcept %s as e:  # torch raises\n    print(repr(e))"
                       % (line.replace("; ", "\n    "), _exc_class(e)))
        else:
            out.append(line)
    if mismatch is not None and mismatch.var:
        out.append("print(%s)" % re.sub(r"\[(\d+)\]$", r"[\1]", mismatch.var))
    return "\n".join(out)


def format_failure(res, reduce=True):
    lines, excs, m = res.lines, res.excs, res.mismatch
    if m is None:
        return "fuzz seed %d: no mismatch in %d lines:\n%s" % (
            res.seed, len(lines), format_program(lines, excs))
    text = ["fuzz seed %d: %s mismatch at line %d: %s" % (res.seed, m.kind, m.line_no,
                                                         m.line),
            "  " + m.detail]
    if reduce:
        rl, rm, rexcs = reduce_program(lines, m)
        if rm is not None:
            text += ["reduced program (%d of %d lines):" % (len(rl), len(lines)),
                     format_program(rl, rexcs, rm), "  " + rm.detail]
            return "\n".join(text)
    text += ["program:", format_program(lines[:m.line_no + 1], excs[:m.line_no + 1], m)]
    return "\n".join(text)
