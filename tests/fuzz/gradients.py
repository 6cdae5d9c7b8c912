"""A seeded gradient differential fuzzer: short random differentiable programs under torch
and nbtensor, comparing forward values, ``grad_fn`` names and every leaf's gradient.

``run_seed(seed)`` builds, from ``random.Random(seed)``, a program of one-line statements
over float64 leaves ``a0, a1, ...`` (``requires_grad=True``; shapes of 0-3 dims with sides
1-4, broadcast-compatible with each other, distinct values) and intermediates ``v0, v1,
...``, ending in a scalar ``loss`` (a weighted sum of the last results with fixed random
weights), ``loss.backward()`` and, for about a third of the seeds, a second derivative
(``torch.autograd.grad(loss, leaves, create_graph=True)``, a weighted sum of those
gradients, ``backward()`` again). Every line runs with ``torch`` bound to PyTorch and to
nbtensor, each in its own namespace; after every line every variable is compared:

* a line that raises must raise the same exception class on both sides ("raises");
* tensors: shape, ``requires_grad`` and values (allclose, NaN == NaN) ("values");
* ``.grad`` of every leaf and the entries of ``gs`` (rtol 1e-7, atol 1e-9 scaled by the
  gradient's magnitude) ("grad" / "grad2");
* ``grad_fn.name()`` ("name": lower priority, recorded without ending the program).

The generator reads only torch's values (so a seed always gives the same program) and
keeps clear of points where torch's gradient is undefined or implementation-chosen: ties
for max/min/sort/median/kthvalue/topk/amax/maximum, abs/relu/clamp/... at their kinks,
sqrt/log/pow outside their domain, prod/cumprod with zeros.

    python -m tests.fuzz.gradients --seconds 300 --seed 0

runs seeds S, S+1, ... and prints grouped, reduced, copy-pasteable reproducers.
"""
import argparse
import math
import random
import re
import sys
import time
import warnings

import numpy as np

try:
    import torch as _torch
except ImportError:  # pragma: no cover - the test skips
    _torch = None

import nbtensor as _nb

RTOL, ATOL = 1e-7, 1e-9
FATAL = ("raises", "values", "grad", "grad2", "shape", "requires_grad", "invalid")


# ---------------------------------------------------------------------------------------
# Running and comparing
# ---------------------------------------------------------------------------------------

class Mismatch:
    """A difference found after line `line_no` (`kind` one of FATAL or "name")."""

    def __init__(self, kind, line_no, line, detail, var=None):
        self.kind, self.line_no, self.line, self.detail, self.var = kind, line_no, line, detail, var

    def signature(self):
        return (self.kind, self.line, self.var)

    def __repr__(self):
        return "Mismatch(%s at line %d: %s)" % (self.kind, self.line_no, self.line)


def _exc_class(e):
    for c in (IndexError, TypeError, ValueError, NotImplementedError, RuntimeError):
        if isinstance(e, c):
            return c.__name__
    return type(e).__name__


def _exec(line, ns):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(line, "<gradfuzz>", "exec"), ns)
        return None
    except Exception as e:  # noqa: BLE001 - any exception is an outcome to compare
        return e


def _np(t):
    if isinstance(t, _torch.Tensor) and t._is_zerotensor():
        # torch's efficient zeros (a gradient it knows is zero): numpy(force=True) of one
        # crashes the interpreter in torch 2.13 (a 0-d ZeroTensor from sgn's backward)
        a = np.zeros(tuple(t.shape), dtype=np.float64 if t.dtype.is_floating_point else np.int64)
    elif isinstance(t, _torch.Tensor):
        a = t.detach().numpy(force=True)
    else:
        a = t.detach().cpu().numpy()
    return np.array(a, dtype=np.float64) if t.dtype.is_floating_point else np.array(a)


def _close(a, b, rtol, atol):
    if a.shape != b.shape:
        return False
    scale = float(np.nanmax(np.abs(a[np.isfinite(a)]))) if np.isfinite(a).any() else 0.0
    return bool(np.allclose(b, a, rtol=rtol, atol=atol * max(1.0, scale), equal_nan=True))


def _attr(t, name):
    """t.name, or None where torch refuses to read it (an invalidated multi-output view)."""
    try:
        return getattr(t, name)
    except RuntimeError:
        return None


def _gfn(t):
    return None if t.grad_fn is None else t.grad_fn.name()


def _compare_tensor(name, t, n, kind):
    """(kind, detail) of a difference between tensors `t` (torch) and `n` (nbtensor), or
    None. Whether a gradient (kind "grad") requires grad is left to State._notes."""
    if not isinstance(n, _nb.Tensor):
        return ("shape" if kind == "values" else kind), "%s: torch gives a tensor, nbtensor %r" % (
            name, type(n).__name__)
    if tuple(t.shape) != tuple(n.shape):
        return "shape", "%s: shape torch %s, nbtensor %s" % (name, tuple(t.shape), tuple(n.shape))
    if t.requires_grad != n.requires_grad and kind == "values":
        return "requires_grad", "%s: requires_grad torch %s, nbtensor %s" % (
            name, t.requires_grad, n.requires_grad)
    a, b = _np(t), _np(n)
    rtol, atol = (RTOL, ATOL) if kind != "values" else (1e-9, 1e-12)
    if t.dtype == _torch.float32:
        rtol, atol = 1e-6, 1e-7
    if not _close(a, b, rtol, atol):
        with np.printoptions(precision=10, threshold=40):
            return kind, "%s:\n    torch    %s\n    nbtensor %s" % (name, a, b)
    return None


def _compare_value(name, t, n, kind):
    if isinstance(t, _torch.Tensor):
        return _compare_tensor(name, t, n, kind)
    if isinstance(t, (tuple, list)):
        if not isinstance(n, (tuple, list)) or len(n) != len(t):
            return "shape", "%s: torch %r, nbtensor %r" % (name, type(t), type(n))
        for i, (x, y) in enumerate(zip(t, n)):
            d = _compare_value("%s[%d]" % (name, i), x, y, kind)
            if d:
                return d
        return None
    if t is None and n is not None:
        return kind, "%s: torch None, nbtensor %r" % (name, n)
    if isinstance(t, float) and not (isinstance(n, float) and
                                     (math.isclose(t, n, rel_tol=1e-9) or t == n)):
        return "values", "%s: torch %r, nbtensor %r" % (name, t, n)
    return None


class State:
    """The two namespaces of one run and the grad_fn-name differences already reported."""

    def __init__(self):
        self.tns, self.nns = {"torch": _torch}, {"torch": _nb}
        self.names_seen = set()
        self.notes = []

    def step(self, line, line_no):
        """Run `line` on both sides; returns (torch's exception, fatal Mismatch or None,
        [name Mismatches])."""
        te, ne = _exec(line, self.tns), _exec(line, self.nns)
        if isinstance(te, NameError):
            return te, Mismatch("invalid", line_no, line, "NameError under torch: %s" % te), []
        if te is not None and ne is None and "derivative for" in str(te) and \
                "is not implemented" in str(te):
            # torch has no formula (hardsigmoid's double backward...): nbtensor may have one
            note = Mismatch("torch-lacks", line_no, line, str(te).splitlines()[0][:200])
            return te, None, [note]
        if (te is None) != (ne is None) or (te is not None and _exc_class(te) != _exc_class(ne)):
            desc = ["%s raises %s: %s" % (side, type(e).__name__, str(e).splitlines()[0][:200])
                    if e is not None else "%s does not raise" % side
                    for side, e in (("torch", te), ("nbtensor", ne))]
            return te, Mismatch("raises", line_no, line, "; ".join(desc)), []
        if te is not None:
            # torch may have changed state before it raised (a backward that fails at a later
            # node has already accumulated some leaves' .grad): compare only the class
            return te, None, []
        self.notes = []
        m = self._compare(line, line_no)
        return te, m, self.notes + self._names(line, line_no)

    def _compare(self, line, line_no):
        for k, t in self.tns.items():
            if k == "torch" or k.startswith("__"):
                continue
            n = self.nns.get(k)
            kind = "grad2" if "backward" in line and "loss2" in line else "grad"
            d = _compare_value(k, t, n, "grad" if k == "gs" else "values")
            if d is None and isinstance(t, _torch.Tensor) and _attr(t, "is_leaf") and t.requires_grad:
                if n.grad is None and t.grad is not None and not bool(t.grad.any()):
                    # torch reached the leaf with zeros (a masked double backward that it
                    # records as depending on the input): a note, not a wrong gradient
                    self.notes.append(Mismatch("none-for-zeros", line_no, line,
                                               "%s.grad: torch zeros, nbtensor None" % k, k))
                    continue
                d = _compare_value(k + ".grad", t.grad, n.grad, kind)
            if d is not None:
                return Mismatch(d[0], line_no, line, d[1], k)
        return None

    def _names(self, line, line_no):
        """Low-priority notes: grad_fn names that differ, and entries of ``gs`` (gradients
        made with create_graph) that require grad on one side only."""
        found = []
        for i, (t, n) in enumerate(zip(self.tns.get("gs") or (), self.nns.get("gs") or ())):
            if t is not None and n is not None and t.requires_grad != n.requires_grad and \
                    line.startswith("gs ="):
                found.append(Mismatch("gs-requires_grad", line_no, line,
                                      "gs[%d].requires_grad: torch %s, nbtensor %s"
                                      % (i, t.requires_grad, n.requires_grad), "gs"))
        for k, t in self.tns.items():
            n = self.nns.get(k)
            if not isinstance(t, _torch.Tensor) or not isinstance(n, _nb.Tensor):
                continue
            try:
                tn, nn = _gfn(t), _gfn(n)
            except RuntimeError:  # a view torch has invalidated (split output written into)
                continue
            if tn != nn and (tn, nn) not in self.names_seen:
                self.names_seen.add((tn, nn))
                found.append(Mismatch("name", line_no, line, "%s.grad_fn: torch %s, nbtensor %s"
                                      % (k, tn, nn), k))
        return found


def replay(lines):
    """Run a fixed program; (first fatal Mismatch or None, torch's exceptions, name Mismatches)."""
    st, excs, names = State(), [], []
    for i, line in enumerate(lines):
        te, m, nm = st.step(line, i)
        excs.append(te)
        names += nm
        if m is not None:
            return m, excs, names
    return None, excs, names


# ---------------------------------------------------------------------------------------
# Value guards (on torch's values): keep clear of ties, kinks and domain edges
# ---------------------------------------------------------------------------------------

def _vals(t):
    return t.detach().double().reshape(-1).numpy()


def has_ties(t, eps=1e-6):
    v = np.sort(_vals(t))
    return v.size > 1 and bool(np.any(np.diff(v) <= eps * (1 + np.abs(v[:-1]))))


def near(t, points, eps=1e-3):
    v = _vals(t)
    return any(bool(np.any(np.abs(v - p) < eps)) for p in points)


def positive(t, lo=0.05):
    v = _vals(t)
    return v.size == 0 or (bool(np.all(np.isfinite(v))) and float(v.min()) > lo)


def bounded(t, hi):
    v = _vals(t)
    return bool(np.all(np.isfinite(v))) and (v.size == 0 or float(np.abs(v).max()) < hi)


def near_integer(t, eps=1e-3, half=False):
    v = _vals(t) + (0.5 if half else 0.0)
    return bool(np.any(np.abs(v - np.round(v)) < eps))


# ---------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------

def _fmt(vals, shape):
    if not shape:
        return repr(float(vals[0])) if not isinstance(vals[0], (int, np.integer)) else repr(int(vals[0]))
    step = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    return "[" + ", ".join(_fmt(vals[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])) + "]"


class Gen:
    """Builds a program line by line, reading torch's namespace `ns`."""

    def __init__(self, rng, ns):
        self.rng, self.ns = rng, ns
        self.pre = []  # lines an op needs before its own (fresh leaves)
        self.n_leaf = self.n_var = 0

    # -- data -------------------------------------------------------------------------
    def distinct(self, n, lo=-250, hi=250, gap=5):
        """n distinct values k/100 (|k| >= gap), so no ties and no kinks at 0."""
        pool = [k for k in range(lo, hi + 1) if abs(k) >= gap]
        return [k / 100 for k in self.rng.sample(pool, n)]

    def leaf(self, shape, kind="any"):
        """A new leaf's name; its creating line goes to self.pre."""
        n = int(np.prod(shape)) if shape else 1
        vals = (self.distinct(n, 10, 250) if kind == "positive" else
                self.distinct(n, -95, 95, 2) if kind == "unit" else self.distinct(n))
        name = "a%d" % self.n_leaf
        self.n_leaf += 1
        self.pre.append("%s = torch.tensor(%s, dtype=torch.float64, requires_grad=True)"
                        % (name, _fmt(vals, tuple(shape))))
        return name

    def const(self, shape, kind="any"):
        """A float64 constant literal of `shape` (weights, targets)."""
        n = int(np.prod(shape)) if shape else 1
        if kind == "prob":
            vals = [self.rng.randint(5, 95) / 100 for _ in range(n)]
        else:
            vals = [self.rng.randint(-200, 200) / 100 for _ in range(n)]
        return "torch.tensor(%s, dtype=torch.float64)" % _fmt(vals, tuple(shape))

    def shape(self, ndim=None):
        ndim = self.rng.choice([0, 1, 1, 2, 2, 2, 3, 3]) if ndim is None else ndim
        return tuple(self.rng.randint(1, 4) for _ in range(ndim))

    def bshape(self, shape):
        """A shape that broadcasts with `shape`: trailing dims kept or set to 1."""
        k = self.rng.randint(0, len(shape))
        out = [s if self.rng.random() < 0.7 else 1 for s in shape[len(shape) - k:]]
        if self.rng.random() < 0.15 and len(shape) < 3:
            out = [self.rng.randint(1, 3)] + [1] * (len(shape) - len(out)) + out
        return tuple(out)

    def index(self, size, n=None, unique=False):
        n = n if n is not None else self.rng.randint(1, 4)
        if unique:
            return self.rng.sample(range(size), min(n, size))
        return [self.rng.randrange(size) for _ in range(n)]

    # -- variables --------------------------------------------------------------------
    def t(self, name):
        return self.ns[name]

    def val(self, expr):
        """torch's value of an expression over the variables."""
        return eval(expr, dict(self.ns))  # noqa: S307 - our own generated code

    def floats(self):
        return [k for k, v in self.ns.items() if k[0] in "av" and k[1:].isdigit()
                and isinstance(v, _torch.Tensor) and v.dtype == _torch.float64]

    def pick(self, pred=lambda t: True):
        names = [k for k in self.floats() if pred(self.ns[k])]
        if not names:
            return None
        # favour recent variables: programs get deep rather than wide
        names.sort(key=lambda k: (k[0] == "v", int(k[1:])))
        return names[-1 - min(int(self.rng.expovariate(0.5)), len(names) - 1)]

    def partner(self, x, pred=lambda t: True, kind="any"):
        """An operand broadcastable with x: an existing variable or a new leaf."""
        xs = tuple(self.t(x).shape)
        if self.rng.random() < 0.5:
            def ok(t):
                try:
                    return _torch.broadcast_shapes(xs, tuple(t.shape)) == xs and pred(t)
                except RuntimeError:
                    return False
            cands = [k for k in self.floats() if ok(self.ns[k])]
            if cands:
                return self.rng.choice(cands)
        return self.leaf(self.bshape(xs), kind)

    def dim(self, x):
        d = self.t(x).dim()
        return self.rng.randrange(-d, d) if d else None

    # -- a line -----------------------------------------------------------------------
    def next_lines(self):
        """The next lines of the program (fresh leaves first, then one op)."""
        for _ in range(50):
            self.pre = []
            name, fn = self.rng.choice(OPS)
            x = self.pick()
            if x is None:
                self.leaf(self.shape())
                return self.pre
            try:
                expr = fn(self, x)
            except (_Skip, IndexError, RuntimeError, ValueError):  # a draw that does not fit
                continue
            if expr is None:
                continue
            if expr.startswith("!"):  # a statement (in-place op), not an expression
                return self.pre + [expr[1:]]
            v = "v%d" % self.n_var
            self.n_var += 1
            return self.pre + ["%s = %s" % (v, expr)]
        return []

    def start(self):
        """The first leaves, some used through a transposed (non-contiguous) view."""
        base = self.shape()
        lines = []
        for i in range(self.rng.randint(1, 3)):
            self.pre = []
            shape = base if i == 0 else self.bshape(base) if self.rng.random() < 0.7 else self.shape()
            if len(shape) >= 2 and self.rng.random() < 0.4:
                a = self.leaf(shape[:-2] + (shape[-1], shape[-2]))
                self.pre.append("v%d = %s.transpose(-1, -2)" % (self.n_var, a))
                self.n_var += 1
            else:
                self.leaf(shape)
            lines += self.pre
        return lines

    def end(self, second):
        """The loss, backward and optionally a second derivative (lines, needing torch state)."""
        outs = [k for k in self.floats() if k[0] == "v" and self.ns[k].requires_grad]
        outs = outs[-self.rng.randint(1, 3):] or [k for k in self.floats() if k[0] == "a"][:1]
        lines = ["loss = torch.zeros((), dtype=torch.float64)"]
        for o in outs:
            lines.append("loss = loss + (%s * %s).sum()" % (o, self.const(tuple(self.t(o).shape))))
        if not second:
            return lines + ["loss.backward()"]
        leaves = sorted(k for k in self.floats() if k[0] == "a")
        return lines + ["gs = torch.autograd.grad(loss, [%s], create_graph=True, allow_unused=True)"
                        % ", ".join(leaves)]

    def end2(self):
        gs = self.ns.get("gs") or ()
        terms = ["(gs[%d] * %s).sum()" % (i, self.const(tuple(g.shape)))
                 for i, g in enumerate(gs) if g is not None and g.requires_grad]
        # a leaf term keeps loss2 differentiable when no gradient requires grad
        terms.append("(%s ** 2).sum() * 0.5" % sorted(k for k in self.floats() if k[0] == "a")[0])
        return ["loss2 = " + " + ".join(terms), "loss2.backward()"]


class _Skip(Exception):
    pass


def need(cond):
    if not cond:
        raise _Skip


# ---------------------------------------------------------------------------------------
# The op table: name -> fn(gen, x) returning an expression (or "!statement"), or None
# ---------------------------------------------------------------------------------------

OPS = []


def op(name, weight=1):
    def register(fn):
        OPS.extend([(name, fn)] * weight)
        return fn
    return register


def _unary(name, template, guard=lambda t: True, weight=1):
    OPS.extend([(name, lambda g, x: template.format(x=x) if guard(g.t(x)) else None)] * weight)


def _pos_arg(g, x):
    """x itself when positive, else a smooth positive function of it."""
    return x if positive(g.t(x)) else "(%s * %s + 0.5)" % (x, x)


def _unary_pos(name, template, weight=1):
    OPS.extend([(name, lambda g, x: template.format(x=_pos_arg(g, x)))] * weight)


_small = lambda t: bounded(t, 4)  # noqa: E731
for _n, _tpl, _guard in [
    ("neg", "-{x}", None), ("exp", "torch.exp({x})", _small), ("sin", "{x}.sin()", None),
    ("cos", "torch.cos({x})", None), ("tanh", "{x}.tanh()", None),
    ("sigmoid", "torch.sigmoid({x})", None), ("atan", "{x}.atan()", None),
    ("sinh", "torch.sinh({x})", _small), ("asinh", "{x}.asinh()", None),
    ("erf", "torch.erf({x})", None), ("square", "{x}.square()", None),
    ("mulc", "{x} * 2.5", None), ("divc", "{x} / -1.7", None), ("rdiv", "1.5 / {x}",
                                                                 lambda t: not near(t, [0], 0.2)),
    ("pow2", "{x} ** 2", None), ("pow3", "torch.pow({x}, 3)", None),
    ("rpow", "2.0 ** {x}", _small), ("reciprocal", "{x}.reciprocal()", lambda t: not near(t, [0], 0.2)),
    ("expm1", "torch.expm1({x})", _small), ("softplus", "torch.nn.functional.softplus({x}, beta=2.0)", None),
    ("gelu", "torch.nn.functional.gelu({x})", None),
    ("gelu_tanh", "torch.nn.functional.gelu({x}, approximate='tanh')", None),
    ("silu", "torch.nn.functional.silu({x})", None), ("mish", "torch.nn.functional.mish({x})", None),
    ("elu", "torch.nn.functional.elu({x}, alpha=0.7)", lambda t: not near(t, [0])),
    ("selu", "torch.nn.functional.selu({x})", lambda t: not near(t, [0])),
    ("leaky_relu", "torch.nn.functional.leaky_relu({x}, 0.1)", lambda t: not near(t, [0])),
    ("logsigmoid", "torch.nn.functional.logsigmoid({x})", None),
    ("hardtanh", "torch.nn.functional.hardtanh({x}, -0.8, 0.9)", lambda t: not near(t, [-0.8, 0.9])),
    ("relu6", "torch.nn.functional.relu6({x} * 3)", lambda t: not near(t, [0, 2])),
    ("hardswish", "torch.nn.functional.hardswish({x} * 2)", lambda t: not near(t, [-1.5, 1.5])),
    ("relu", "torch.relu({x})", lambda t: not near(t, [0])), ("relu_m", "{x}.relu()", lambda t: not near(t, [0])),
    ("abs", "{x}.abs()", lambda t: not near(t, [0])), ("sign", "torch.sign({x}) * {x}", lambda t: not near(t, [0])),
    ("sgn", "{x}.sgn()", lambda t: not near(t, [0])),
    ("clamp_n", "{x}.clamp(-0.7, 1.1)", lambda t: not near(t, [-0.7, 1.1])),
    ("clamp_min", "torch.clamp({x}, min=0.3)", lambda t: not near(t, [0.3])),
    ("clamp_max", "{x}.clamp(max=-0.2)", lambda t: not near(t, [-0.2])),
    ("clip", "{x}.clip(-1.3, 0.4)", lambda t: not near(t, [-1.3, 0.4])),
    ("frac", "torch.frac({x})", lambda t: not near_integer(t)),
    ("floor", "{x}.floor() + {x}", lambda t: not near_integer(t)),
    ("round", "torch.round({x})", lambda t: not near_integer(t, half=True)),
    ("trunc", "{x}.trunc()", lambda t: not near_integer(t)),
    ("sinc", "torch.sinc({x})", lambda t: not near(t, [0], 0.05)),
    ("asin", "torch.asin({x})", lambda t: bounded(t, 0.95)), ("acos", "{x}.acos()", lambda t: bounded(t, 0.95)),
    ("atanh", "{x}.atanh()", lambda t: bounded(t, 0.95)),
    ("to32", "{x}.to(torch.float32).to(torch.float64)", None),
    ("float_double", "{x}.float().double()", None),
]:
    _unary(_n, _tpl, _guard or (lambda t: True))

for _n, _tpl in [("sqrt", "torch.sqrt({x})"), ("log", "{x}.log()"), ("log2", "torch.log2({x})"),
                 ("log10", "{x}.log10()"), ("log1p", "torch.log1p({x})"), ("rsqrt", "{x}.rsqrt()"),
                 ("powh", "{x} ** 0.5"), ("pown", "torch.pow({x}, -1.5)"), ("lgamma", "{x}.lgamma()"),
                 ("digamma", "torch.digamma({x})"), ("acosh", "({x} + 1.05).acosh()")]:
    _unary_pos(_n, _tpl)


def _binop(template, py_ok=lambda a, b: True, kind="any", pos_x=False):
    def make(g, x):
        xe = _pos_arg(g, x) if pos_x else x
        y = g.partner(x, kind=kind)
        if y in g.ns and not py_ok(g.val(xe), g.t(y)):
            return None
        return template.format(x=xe, y=y)
    return make


def _no_tie(a, b, eps=1e-6):
    return bool(((a - b).abs() > eps).all())


def _denom(a, b):
    return bool((b.abs() > 0.2).all())


def _rem_ok(a, b):
    if not _denom(a, b):
        return False
    q = (a / b).detach()
    return not near_integer(q, 1e-3)


for _n, _tpl, _ok, _kind, _pos in [
    ("add", "{x} + {y}", None, "any", False), ("sub", "torch.sub({x}, {y}, alpha=0.5)", None, "any", False),
    ("rsub", "{y} - {x}", None, "any", False), ("mul", "{x} * {y}", None, "any", False),
    ("mul_f", "torch.mul({y}, {x})", None, "any", False), ("div", "{x} / {y}", _denom, "any", False),
    ("div_f", "torch.div({x}, {y}, rounding_mode=None)", _denom, "any", False),
    ("pow_t", "{x} ** {y}", None, "unit", True), ("pow_f", "torch.pow({x}, {y})", None, "unit", True),
    ("remainder", "torch.remainder({x}, {y})", _rem_ok, "any", False),
    ("fmod", "{x}.fmod({y})", _rem_ok, "any", False),
    ("atan2", "torch.atan2({x}, {y})", lambda a, b: bool(((a.abs() + b.abs()) > 0.1).all()), "any", False),
    ("hypot", "torch.hypot({x}, {y})", lambda a, b: bool(((a.abs() + b.abs()) > 0.1).all()), "any", False),
    ("maximum", "torch.maximum({x}, {y})", _no_tie, "any", False),
    ("minimum", "{x}.minimum({y})", _no_tie, "any", False),
    ("fmax", "torch.fmax({x}, {y})", _no_tie, "any", False), ("fmin", "torch.fmin({y}, {x})", _no_tie, "any", False),
    ("max2", "torch.max({x}, {y})", _no_tie, "any", False),
    ("lerp_s", "torch.lerp({x}, {y}, 0.3)", None, "any", False),
    ("xlogy", "torch.xlogy({y}, {x})", None, "any", True),
    ("copysign", "torch.copysign({x}, {y})", lambda a, b: not near(b, [0]) and not near(a, [0]), "any", False),
    ("logaddexp", "torch.logaddexp({x}, {y})", None, "any", False),
    ("mse", "torch.nn.functional.mse_loss({x}, {y}.expand_as({x}))", None, "any", False),
    ("l1", "torch.nn.functional.l1_loss({x}, {y}.expand_as({x}), reduction='sum')", _no_tie, "any", False),
    ("smooth_l1", "torch.nn.functional.smooth_l1_loss({x}, {y}.expand_as({x}), reduction='none', beta=0.5)",
     lambda a, b: not near(a - b, [0.5, -0.5]), "any", False),
    ("huber", "torch.nn.functional.huber_loss({x}, {y}.expand_as({x}), delta=0.8)",
     lambda a, b: not near(a - b, [0.8, -0.8]), "any", False),
    ("bce_logits", "torch.nn.functional.binary_cross_entropy_with_logits({x}, {y}.sigmoid().expand_as({x}))",
     None, "any", False),
]:
    OPS.append((_n, _binop(_tpl, _ok or (lambda a, b: True), _kind, _pos)))


@op("ternary")
def _ternary(g, x):
    y, z = g.partner(x), g.partner(x)
    a, b, c = (g.t(k) if k in g.ns else None for k in (x, y, z))
    which = g.rng.choice(["lerp", "addcmul", "addcdiv", "where", "clamp_t", "clamp_t2"])
    if which == "lerp":
        return "torch.lerp(%s, %s, %s)" % (x, y, z)
    if which == "addcmul":
        return "torch.addcmul(%s, %s, %s, value=-0.5)" % (x, y, z)
    if which == "addcdiv":
        need(c is None or _denom(None, c))
        return "%s.addcdiv(%s, %s, value=0.7)" % (x, y, z)
    if which == "where":
        return "torch.where(%s > %s, %s, %s)" % (y, g.rng.choice(["0", "0.3"]), x, z)
    # clamp with tensor bounds: keep clear of the bounds and of min > max
    need(a is not None and b is not None and c is not None)
    lo, hi = (y, z) if which == "clamp_t" else (z, y)
    need(_no_tie(a, g.t(lo), 1e-3) and _no_tie(a, g.t(hi), 1e-3)
         and bool((g.t(lo) < g.t(hi) - 1e-3).all()))
    return "torch.clamp(%s, min=%s, max=%s)" % (x, lo, hi) if g.rng.random() < 0.5 else \
        "%s.clamp(%s, %s)" % (x, lo, hi)


@op("clamp_t1")
def _clamp_one(g, x):
    y = g.partner(x)
    need(y not in g.ns or _no_tie(g.t(x), g.t(y), 1e-3))
    return "%s.clamp(%s=%s)" % (x, g.rng.choice(["min", "max"]), y)


# -- reductions ---------------------------------------------------------------------------

def _dimkw(g, x, allow_tuple=True):
    t = g.t(x)
    if t.dim() == 0:
        return "", None
    d = g.dim(x)
    if allow_tuple and t.dim() >= 2 and g.rng.random() < 0.3:
        d = tuple(sorted(g.rng.sample(range(t.dim()), 2)))
    keep = g.rng.random() < 0.4
    return ("%s%s" % (d, ", keepdim=True" if keep else "")), d


@op("sum", 2)
def _sum(g, x):
    kw, _ = _dimkw(g, x)
    return "%s.sum(%s)" % (x, kw) if g.rng.random() < 0.5 else "torch.sum(%s%s)" % (x, ", " + kw if kw else "")


@op("mean")
def _mean(g, x):
    kw, _ = _dimkw(g, x)
    return "%s.mean(%s)" % (x, kw)


@op("prod")
def _prod(g, x):
    t = g.t(x)
    need(bounded(t, 3) and not near(t, [0], 0.2) and t.numel() <= 12)
    kw, d = _dimkw(g, x, allow_tuple=False)
    return "%s.prod(%s)" % (x, kw)


@op("amax")
def _amax(g, x):
    need(not has_ties(g.t(x)))
    kw, _ = _dimkw(g, x)
    return "%s.%s(%s)" % (x, g.rng.choice(["amax", "amin"]), kw)


@op("maxmin")
def _maxmin(g, x):
    t = g.t(x)
    need(not has_ties(t))
    f = g.rng.choice(["max", "min"])
    if t.dim() == 0 or g.rng.random() < 0.3:
        return "%s.%s()" % (x, f)
    return "torch.%s(%s, %d, keepdim=%s).values" % (f, x, g.dim(x), g.rng.random() < 0.3)


@op("norm")
def _norm(g, x):
    t = g.t(x)
    p = g.rng.choice([2, 1, 3, "float('inf')", 0.5])
    need(not near(t, [0], 0.01) and (p not in ("float('inf')",) or not has_ties(t.abs())))
    if t.dim() == 0 or g.rng.random() < 0.4:
        return "%s.norm(%s)" % (x, "" if p == 2 else "p=%s" % p)
    return "torch.norm(%s, p=%s, dim=%d, keepdim=%s)" % (x, p, g.dim(x), g.rng.random() < 0.3)


@op("var_std")
def _var(g, x):
    t = g.t(x)
    f = g.rng.choice(["var", "std"])
    c = g.rng.choice([0, 1, 2])
    if t.dim() == 0 or g.rng.random() < 0.3:
        need(t.numel() - c > 0)
        return "%s.%s(correction=%d)" % (x, f, c)
    d = g.dim(x)
    need(t.shape[d] - c > 0)
    return "torch.%s(%s, dim=%d, correction=%d, keepdim=%s)" % (f, x, d, c, g.rng.random() < 0.3)


@op("scan")
def _scan(g, x):
    t = g.t(x)
    f = g.rng.choice(["cumsum", "cumprod", "logcumsumexp", "cummax"])
    if f == "cumprod":
        need(not near(t, [0], 0.2) and bounded(t, 3))
    if f == "cummax":
        need(not has_ties(t))
        return "torch.cummax(%s, %d).values" % (x, g.dim(x) or 0)
    d = 0 if t.dim() == 0 else g.dim(x)
    return "torch.%s(%s, %d)" % (f, x, d) if g.rng.random() < 0.5 else "%s.%s(dim=%d)" % (x, f, d)


@op("softmax", 2)
def _softmax(g, x):
    t = g.t(x)
    d = 0 if t.dim() == 0 else g.dim(x)
    f = g.rng.choice(["torch.softmax(%s, %d)", "torch.nn.functional.log_softmax(%s, dim=%d)",
                      "%s.logsumexp(%d)", "torch.logsumexp(%s, dim=%d, keepdim=True)",
                      "%s.log_softmax(%d)", "torch.nn.functional.softmin(%s, %d)"])
    return f % (x, d)


@op("sorting")
def _sorting(g, x):
    t = g.t(x)
    need(t.dim() >= 1 and not has_ties(t))
    d = g.dim(x)
    n = t.shape[d]
    f = g.rng.choice(["sort", "topk", "kthvalue", "median", "median_all", "msort"])
    if f == "sort":
        return "torch.sort(%s, dim=%d, descending=%s).values" % (x, d, g.rng.random() < 0.5)
    if f == "topk":
        return "%s.topk(%d, dim=%d, largest=%s).values" % (x, g.rng.randint(1, n), d, g.rng.random() < 0.5)
    if f == "kthvalue":
        return "torch.kthvalue(%s, %d, %d, keepdim=%s).values" % (x, g.rng.randint(1, n), d,
                                                                 g.rng.random() < 0.3)
    if f == "median":
        return "%s.median(dim=%d).values" % (x, d)
    if f == "msort":
        return "torch.msort(%s)" % x
    return "%s.median()" % x


# -- nn.functional ---------------------------------------------------------------------------

@op("cross_entropy")
def _cross_entropy(g, x):
    t = g.t(x)
    need(t.dim() in (1, 2))
    c = t.shape[-1]
    red = g.rng.choice(["mean", "sum", "none"])
    if t.dim() == 1:
        tgt = "torch.tensor(%d)" % g.rng.randrange(c)
    else:
        tgt = "torch.tensor(%s)" % g.index(c, t.shape[0])
    if g.rng.random() < 0.3:  # probabilities as targets
        tgt = "%s.softmax(-1)" % g.const(tuple(t.shape))
    if g.rng.random() < 0.5 and "softmax" not in tgt:
        return "torch.nn.functional.nll_loss(%s.log_softmax(-1), %s, reduction=%r)" % (x, tgt, red)
    ls = ", label_smoothing=0.1" if g.rng.random() < 0.3 else ""
    w = ", weight=%s" % g.const((c,), "prob") if g.rng.random() < 0.3 and "softmax" not in tgt else ""
    return "torch.nn.functional.cross_entropy(%s, %s, reduction=%r%s%s)" % (x, tgt, red, ls, w)


@op("bce")
def _bce(g, x):
    t = g.t(x)
    return "torch.nn.functional.binary_cross_entropy(torch.sigmoid(%s), %s, reduction=%r)" % (
        x, g.const(tuple(t.shape), "prob"), g.rng.choice(["mean", "sum", "none"]))


@op("bce_logits_pw")
def _bce_pw(g, x):
    t = g.t(x)
    need(t.dim() >= 1)
    w = g.leaf((t.shape[-1],), "positive")
    return "torch.nn.functional.binary_cross_entropy_with_logits(%s, %s, pos_weight=%s)" % (
        x, g.const(tuple(t.shape), "prob"), w)


@op("layer_norm")
def _layer_norm(g, x):
    t = g.t(x)
    need(t.dim() >= 1)
    k = g.rng.randint(1, t.dim())
    ns = tuple(t.shape[t.dim() - k:])
    need(int(np.prod(ns)) >= 2 and not has_ties(t))
    if g.rng.random() < 0.5:
        return "torch.nn.functional.layer_norm(%s, %s)" % (x, ns)
    return "torch.nn.functional.layer_norm(%s, %s, %s, %s)" % (x, ns, g.leaf(ns), g.leaf(ns))


@op("linear")
def _linear(g, x):
    t = g.t(x)
    need(t.dim() >= 1)
    k = t.shape[-1]
    out = g.rng.randint(1, 4)
    w = g.leaf((out, k))
    if g.rng.random() < 0.5:
        return "torch.nn.functional.linear(%s, %s)" % (x, w)
    return "torch.nn.functional.linear(%s, %s, %s)" % (x, w, g.leaf((out,)))


# -- views and shape ops -------------------------------------------------------------------

@op("view", 2)
def _view(g, x):
    t = g.t(x)
    n = t.numel()
    shapes = [(n,), (-1,), (1, n), (n, 1), (1, -1, 1)]
    if n % 2 == 0 and n > 2:
        shapes += [(2, n // 2), (n // 2, 1, 2)]
    s = g.rng.choice(shapes)
    f = g.rng.choice(["view", "reshape", "reshape"])
    return "%s.%s(%s)" % (x, f, ", ".join(map(str, s)))


@op("permute", 2)
def _permute(g, x):
    t = g.t(x)
    need(t.dim() >= 1)
    d = t.dim()
    choice = g.rng.choice(["permute", "transpose", "t", "mT", "movedim"])
    if choice == "permute":
        p = list(range(d))
        g.rng.shuffle(p)
        return "%s.permute(%s)" % (x, ", ".join(map(str, p)))
    if choice == "transpose" or (choice == "mT" and d < 2) or (choice == "t" and d > 2):
        return "torch.transpose(%s, %d, %d)" % (x, g.dim(x), g.dim(x))
    if choice == "t":
        return "%s.t()" % x
    if choice == "mT":
        return "%s.mT" % x
    return "torch.movedim(%s, %d, %d)" % (x, g.dim(x), g.dim(x))


@op("expand")
def _expand(g, x):
    t = g.t(x)
    shape = [s if s != 1 or g.rng.random() < 0.5 else g.rng.randint(2, 3) for s in t.shape]
    if g.rng.random() < 0.4 and t.dim() < 3:
        shape = [g.rng.randint(1, 3)] + shape
    return "%s.expand(%s)" % (x, ", ".join(map(str, shape) if shape else "")) if shape else \
        "%s.expand(2)" % x


@op("squeeze")
def _squeeze(g, x):
    t = g.t(x)
    r = g.rng.random()
    if r < 0.4 and t.dim() < 3:
        return "%s.unsqueeze(%d)" % (x, g.rng.randint(-t.dim() - 1, t.dim()))
    if r < 0.6:
        return "torch.squeeze(%s)" % x
    if r < 0.8 and t.dim():
        return "%s.squeeze(%d)" % (x, g.dim(x))
    return "torch.flatten(%s%s)" % (x, ", 1" if t.dim() >= 2 else "")


@op("slice", 3)
def _slice(g, x):
    t = g.t(x)
    need(t.dim() >= 1)
    d = g.rng.randrange(t.dim())
    n = t.shape[d]
    r = g.rng.random()
    if r < 0.2:
        start = g.rng.randrange(n)
        return "%s.narrow(%d, %d, %d)" % (x, d, start, g.rng.randint(1, n - start))
    if r < 0.35:
        return "torch.select(%s, %d, %d)" % (x, d, g.rng.randrange(-n, n))
    parts = [":"] * d
    kind = g.rng.random()
    if kind < 0.5:
        parts.append("%s::%d" % (g.rng.choice(["", "1", "-2"]), g.rng.choice([1, 2, 3])))
    elif kind < 0.7:
        parts.append(str(g.rng.randrange(-n, n)))
    elif kind < 0.8:
        parts = ["..."] + [str(g.rng.randrange(t.shape[-1]))]
    else:
        parts.append("None")
    return "%s[%s]" % (x, ", ".join(parts))


@op("adv_index", 3)
def _adv(g, x):
    t = g.t(x)
    need(t.dim() >= 1)
    r = g.rng.random()
    if r < 0.25:
        return "%s[%s]" % (x, g.index(t.shape[0], g.rng.randint(1, 5)))
    if r < 0.4:
        return "%s[torch.tensor(%s)]" % (x, g.index(t.shape[0], g.rng.randint(1, 5)))
    if r < 0.55:
        thr = g.rng.choice([0.0, 0.5, -0.5])
        return "%s[%s > %s]" % (x, x, thr)
    if r < 0.7 and t.dim() >= 2:
        k = g.rng.randint(1, 4)
        return "%s[%s, %s]" % (x, g.index(t.shape[0], k), g.index(t.shape[1], k))
    if r < 0.8 and t.dim() >= 2:
        return "%s[:, %s]" % (x, g.index(t.shape[1]))
    if r < 0.9:
        d = g.dim(x) % t.dim()
        return "torch.index_select(%s, %d, torch.tensor(%s))" % (x, d, g.index(t.shape[d]))
    return "torch.masked_select(%s, %s > 0.2)" % (x, g.partner(x))


@op("gather")
def _gather(g, x):
    t = g.t(x)
    need(t.dim() >= 1)
    d = g.dim(x) % t.dim()
    shape = list(t.shape)
    shape[d] = g.rng.randint(1, 4)
    n = int(np.prod(shape))
    idx = np.array([g.rng.randrange(t.shape[d]) for _ in range(n)]).reshape(shape)
    f = g.rng.choice(["torch.gather(%s, %d, %s)", "torch.take_along_dim(%s, %s, dim=%d)"])
    lit = "torch.tensor(%s)" % _fmt(idx.reshape(-1).tolist(), tuple(shape))
    return f % (x, d, lit) if f.startswith("torch.g") else f % (x, lit, d)


@op("masked_fill")
def _masked_fill(g, x):
    y = g.partner(x)
    return "%s.masked_fill(%s > 0.1, %s)" % (x, y, g.rng.choice(["0.0", "-1.5", "2.0"]))


@op("join", 2)
def _join(g, x):
    t = g.t(x)
    shape = tuple(t.shape)
    same = [k for k in g.floats() if tuple(g.t(k).shape) == shape]
    y = g.rng.choice(same) if same and g.rng.random() < 0.6 else g.leaf(shape)
    if t.dim() == 0 or g.rng.random() < 0.4:
        return "torch.stack([%s, %s], %d)" % (x, y, g.rng.randint(-t.dim() - 1, t.dim()))
    d = g.dim(x)
    return "torch.cat((%s, %s, %s), dim=%d)" % (x, y, x, d)


@op("split")
def _split(g, x):
    t = g.t(x)
    need(t.dim() >= 1)
    d = g.dim(x)
    n = t.shape[d]
    f = g.rng.choice(["split", "chunk", "unbind"])
    if f == "unbind":
        return "torch.unbind(%s, %d)[%d]" % (x, d, g.rng.randrange(n))
    k = g.rng.randint(1, n)
    parts = -(-n // k)
    if f == "split":
        return "%s.split(%d, %d)[%d]" % (x, k, d, g.rng.randrange(parts))
    chunks = len(_torch.chunk(t, k, d))
    return "torch.chunk(%s, %d, dim=%d)[%d]" % (x, k, d, g.rng.randrange(chunks))


@op("rearrange", 2)
def _rearrange(g, x):
    t = g.t(x)
    need(t.dim() >= 1)
    f = g.rng.choice(["flip", "roll", "roll_all", "repeat", "tril", "triu", "diagonal", "tile"])
    if f == "flip":
        return "torch.flip(%s, (%d,))" % (x, g.dim(x))
    if f == "roll":
        return "%s.roll(%d, %d)" % (x, g.rng.randint(-3, 3), g.dim(x))
    if f == "roll_all":
        return "torch.roll(%s, %d)" % (x, g.rng.randint(-3, 3))
    if f == "repeat":
        return "%s.repeat(%s)" % (x, ", ".join(str(g.rng.randint(1, 2)) for _ in range(t.dim() + g.rng.randint(0, 1))))
    if f == "tile":
        return "torch.tile(%s, (2,))" % x
    need(t.dim() >= 2)
    if f in ("tril", "triu"):
        return "torch.%s(%s, %d)" % (f, x, g.rng.randint(-1, 1))
    d1, d2 = g.rng.sample(range(t.dim()), 2)
    return "torch.diagonal(%s, %d, %d, %d)" % (x, g.rng.randint(-1, 1), d1, d2)


# -- products ----------------------------------------------------------------------------

def _with_shape(g, shape):
    same = [k for k in g.floats() if tuple(g.t(k).shape) == tuple(shape)]
    return g.rng.choice(same) if same and g.rng.random() < 0.4 else g.leaf(shape)


@op("product", 3)
def _product(g, x):
    t = g.t(x)
    s = tuple(t.shape)
    r = g.rng.randint(1, 4)
    f = g.rng.choice(["mm", "mv", "matmul", "bmm", "addmm", "outer", "dot", "einsum", "baddbmm",
                      "addmv", "matmul_b"])
    if f == "mm" and len(s) == 2:
        return "torch.mm(%s, %s)" % (x, _with_shape(g, (s[1], r)))
    if f == "mv" and len(s) == 2:
        return "%s.mv(%s)" % (x, _with_shape(g, (s[1],)))
    if f == "addmv" and len(s) == 2:
        return "torch.addmv(%s, %s, %s, beta=0.5)" % (_with_shape(g, (s[0],)), x, _with_shape(g, (s[1],)))
    if f == "matmul" and len(s) >= 1:
        other = g.rng.choice([(s[-1],), (s[-1], r), (2, s[-1], r) if len(s) <= 2 else (1, s[-1], r)])
        return "%s @ %s" % (x, _with_shape(g, other))
    if f == "matmul_b" and len(s) >= 1:
        return "torch.matmul(%s, %s)" % (_with_shape(g, (r, s[0]) if len(s) == 1 else (r, s[-2])), x)
    if f == "bmm" and len(s) == 3:
        return "torch.bmm(%s, %s)" % (x, _with_shape(g, (s[0], s[2], r)))
    if f == "baddbmm" and len(s) == 3:
        return "torch.baddbmm(%s, %s, %s, alpha=0.5)" % (_with_shape(g, (s[1], r)), x,
                                                         _with_shape(g, (s[0], s[2], r)))
    if f == "addmm" and len(s) == 2:
        return "torch.addmm(%s, %s, %s, beta=0.3, alpha=2.0)" % (
            _with_shape(g, g.rng.choice([(s[0], r), (r,), ()])), x, _with_shape(g, (s[1], r)))
    if f == "outer" and len(s) == 1:
        return "torch.outer(%s, %s)" % (x, _with_shape(g, (r,)))
    if f == "dot" and len(s) == 1:
        return "torch.dot(%s, %s)" % (x, _with_shape(g, s))
    if f == "einsum" and len(s) == 2:
        e = g.rng.choice(["ij,jk->ik", "ij,jk->ki", "ij,jk->", "ij,jk->j"])
        return "torch.einsum(%r, %s, %s)" % (e, x, _with_shape(g, (s[1], r)))
    if f == "einsum" and len(s) == 3:
        return "torch.einsum('bij,bjk->bik', %s, %s)" % (x, _with_shape(g, (s[0], s[2], r)))
    if f == "einsum" and len(s) == 1:
        return "torch.einsum('i,j->ij', %s, %s)" % (x, _with_shape(g, (r,)))
    return None


# -- writers (out-of-place) ------------------------------------------------------------------

@op("scatter", 2)
def _scatter(g, x):
    t = g.t(x)
    need(t.dim() >= 1)
    d = g.dim(x) % t.dim()
    n = t.shape[d]
    f = g.rng.choice(["scatter", "scatter_add", "index_add", "index_copy", "index_put", "index_fill"])
    if f in ("scatter", "scatter_add"):
        shape = list(t.shape)
        shape[d] = g.rng.randint(1, n)
        cols = int(np.prod(shape)) // shape[d]
        # scatter: distinct positions along d in every column (else torch picks a winner)
        idx = np.stack([g.rng.sample(range(n), shape[d]) if f == "scatter" else
                        [g.rng.randrange(n) for _ in range(shape[d])] for _ in range(cols)], 0)
        idx = np.moveaxis(idx.reshape([s for i, s in enumerate(shape) if i != d] + [shape[d]]), -1, d)
        lit = "torch.tensor(%s)" % _fmt(idx.reshape(-1).tolist(), tuple(idx.shape))
        return "%s.%s(%d, %s, %s)" % (x, f, d, lit, _with_shape(g, tuple(shape)))
    k = g.rng.randint(1, n)
    idx = g.index(n, k, unique=(f == "index_copy"))
    shape = list(t.shape)
    shape[d] = len(idx)
    if f == "index_fill":
        return "%s.index_fill(%d, torch.tensor(%s), -0.5)" % (x, d, idx)
    if f == "index_put":
        shape = [len(idx)] + list(t.shape[1:])
        return "%s.index_put((torch.tensor(%s),), %s, accumulate=True)" % (x, idx, _with_shape(g, tuple(shape)))
    return "torch.%s(%s, %d, torch.tensor(%s), %s)" % (f, x, d, idx, _with_shape(g, tuple(shape)))


# -- in-place on non-leaf intermediates ------------------------------------------------------

@op("inplace", 4)
def _inplace(g, x):
    t = g.t(x)
    r = g.rng.random()
    if x[0] == "a" and g.rng.random() < 0.9:  # in-place on a leaf: both must raise (sometimes)
        return None
    if t._is_view() and g.rng.random() < 0.5:
        need(not _overlapping(t))
    if r < 0.15:
        return "!%s.add_(%s, alpha=0.5)" % (x, g.partner(x))
    if r < 0.3:
        return "!%s.mul_(%s)" % (x, g.partner(x))
    if r < 0.4:
        need(not near(t, [-0.6, 0.8]))
        return "!%s.clamp_(-0.6, 0.8)" % x
    if r < 0.5:
        return "!%s.copy_(%s)" % (x, g.partner(x))
    if r < 0.6:
        return "!%s %s= %s" % (x, g.rng.choice("+-*"), g.partner(x))
    if r < 0.7:
        return "!%s.sigmoid_()" % x if g.rng.random() < 0.5 else "!%s.tanh_()" % x
    need(t.dim() >= 1)
    n = t.shape[0]
    idx = g.rng.choice([str(g.rng.randrange(n)), "%d:" % g.rng.randrange(n), "::2",
                        str(g.index(n, unique=True))])
    sub = g.val("%s[%s]" % (x, idx))
    val = g.rng.choice(["1.5", None])
    if val is None:
        val = _with_shape(g, tuple(sub.shape)[g.rng.randint(0, sub.dim()):]) if sub.dim() else _with_shape(g, ())
    if r < 0.85:
        return "!%s[%s] = %s" % (x, idx, val)
    if idx.startswith("["):
        return None
    return "!%s[%s].mul_(%s)" % (x, idx, g.rng.choice(["2.0", "-0.5"]))


def _overlapping(t):
    return any(st == 0 and sz > 1 for st, sz in zip(t.stride(), t.shape))


@op("fresh")
def _fresh(g, x):
    """A non-leaf copy to write into in place (x * 1 keeps x's history)."""
    return g.rng.choice(["%s * 1.0", "%s.clone()", "%s + 0.0", "%s.contiguous()"]) % x


# ---------------------------------------------------------------------------------------
# Seeds
# ---------------------------------------------------------------------------------------

class Result:
    def __init__(self, seed, lines, excs, mismatch, names):
        self.seed, self.lines, self.excs = seed, lines, excs
        self.mismatch, self.names = mismatch, names


def run_seed(seed, n_ops=None):
    """Generate and run the program of `seed`; stops at the first fatal mismatch."""
    rng = random.Random(seed)
    n_ops = rng.randint(2, 8) if n_ops is None else n_ops
    second = rng.random() < 0.35
    st = State()
    gen = Gen(rng, st.tns)
    lines, excs, names = [], [], []

    def run(new):
        for line in new:
            if line is None:
                continue
            te, m, nm = st.step(line, len(lines))
            lines.append(line)
            excs.append(te)
            names.extend(nm)
            if m is not None:
                return m
        return None

    m = run(gen.start())
    for _ in range(n_ops):
        if m is not None:
            break
        m = run(gen.next_lines())
    if m is None:
        m = run(gen.end(second))
    if m is None and second:
        m = run(gen.end2())
    return Result(seed, lines, excs, m, names)


def reduce_program(lines, mismatch, budget=150):
    """Delete lines (one at a time, last to first) while the same mismatch shows."""
    sig = mismatch.signature()
    lines = list(lines[:mismatch.line_no + 1])
    runs = 0
    changed = True
    while changed and runs < budget:
        changed = False
        for i in range(len(lines) - 2, -1, -1):
            if runs >= budget or i >= len(lines) - 1:
                continue
            cand = lines[:i] + lines[i + 1:]
            runs += 1
            m, excs, _ = replay(cand)
            if m is not None and m.signature()[:2] == sig[:2] and \
                    not any(isinstance(e, NameError) for e in excs):
                lines, changed = cand, True
    m, excs, _ = replay(lines)
    return lines, m, excs


def format_program(lines, excs, mismatch=None):
    out = ["import torch  # or: import nbtensor as torch"]
    for line, e in zip(lines, excs):
        if e is not None:
            out.append("try:\n    %s\nexcept %s as e:  # torch raises\n    print(repr(e))"
                       % (line, _exc_class(e)))
        else:
            out.append(line)
    if mismatch is not None and mismatch.var:
        v = mismatch.var
        leaf = v[0] == "a" and mismatch.kind in ("grad", "grad2")
        out.append("print(%s)" % (v + ".grad" if leaf else v))
    return "\n".join(out)


_OP_RE = re.compile(r"(torch\.nn\.functional\.\w+|torch\.\w+|\.\w+_?\(|\.mT|\] = | [-+*/@]=? |\*\*|\[)")
_BORING = {"torch.tensor", "torch.float64", "torch.float32", "torch.zeros", ".sum(", ".backward(",
           "torch.autograd", ".expand_as(", "*"}


def ops_of(lines):
    """The op names used by a program's lines (ignoring leaves and the loss)."""
    found = set()
    for line in lines:
        if line.startswith(("loss", "gs =")) or re.match(r"a\d+ = torch\.tensor", line):
            continue
        for tok in _OP_RE.findall(re.sub(r"torch\.tensor\(.*?\)", "", line)):
            tok = tok.strip()
            if tok not in _BORING:
                found.add(tok)
    return found


def describe(res, reduce=True):
    """(group key, text) of a Result with a mismatch, reduced unless `reduce` is False."""
    m = res.mismatch
    lines, excs = res.lines[:m.line_no + 1], res.excs[:m.line_no + 1]
    if reduce:
        rl, rm, rexcs = reduce_program(res.lines, m)
        if rm is not None:
            lines, excs, m = rl, rexcs, rm
    key = "%s | %s" % (m.kind, " ".join(sorted(ops_of(lines if m.kind in ("grad", "grad2")
                                                      else [m.line]))))
    text = "seed %d: %s at line %d: %s\n  %s\n%s" % (
        res.seed, m.kind, m.line_no, m.line, m.detail.replace("\n", "\n  "),
        format_program(lines, excs, m))
    return key, text


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--examples", type=int, default=2, help="reproducers shown per group")
    p.add_argument("--no-reduce", action="store_true")
    a = p.parse_args(argv)
    if _torch is None:
        print("torch is not installed")
        return 2
    deadline = time.monotonic() + a.seconds
    failing, notes, n = [], {}, 0
    while time.monotonic() < deadline:
        res = run_seed(a.seed + n)
        n += 1
        for nm in res.names:
            _note(notes, nm, res)
        if res.mismatch is not None:
            failing.append(res)
    found = {}
    for res in failing:
        key, text = describe(res, reduce=not a.no_reduce)
        found.setdefault(key, []).append(text)
    print("gradient fuzz: %d programs from seed %d in %.0f s, %d with a mismatch, %d groups"
          % (n, a.seed, a.seconds, len(failing), len(found)))
    for key, texts in sorted(found.items(), key=lambda kv: -len(kv[1])):
        print("\n=== %s  (%d programs)" % (key, len(texts)))
        for text in texts[:a.examples]:
            print(text)
            print()
    print("\n=== lower priority: %d kinds of notes" % len(notes))
    for key, (count, seed, nm, lines) in sorted(notes.items()):
        print("--- %s  (%d programs; seed %d, line: %s)\n    %s" % (key, count, seed, nm.line, nm.detail))
        if nm.kind != "name":
            print("    " + "\n    ".join(lines[:nm.line_no + 1]))
    return 1 if found else 0


def _note(notes, nm, res):
    """Count a low-priority note, keeping the shortest program as its example."""
    if nm.kind == "name":
        key = "name | " + nm.detail.split(": ", 1)[1]
    else:
        key = "%s | %s" % (nm.kind, " ".join(sorted(ops_of(res.lines[:nm.line_no + 1]))))
    count, seed, old, lines = notes.get(key, (0, None, None, None))
    if old is None or nm.line_no < old.line_no:
        seed, old, lines = res.seed, nm, res.lines
    notes[key] = (count + 1, seed, old, lines)


if __name__ == "__main__":
    sys.exit(main())
