"""Derivative rules, keyed by the name a form is installed under (function and method share
a name and put the tensor first; operators have their own, reflected ones swap operands).

A rule is called after the forward op with ``(args, kwargs, out)`` when `out` is a new
floating tensor (or holds one), and returns ``(node name, inputs, backward[, saved])`` — `inputs` the
arguments gradients flow to (anything that is not a tensor requiring grad gets none),
``backward(grad)`` their gradients in that order (for ops with several outputs,
``backward(grads)`` with one entry per output, None for an output nobody used) — or None
when it does not cover these arguments (the recorder then raises NotImplementedError).
`saved` lists the tensors backward reads (whose in-place writes make backward raise); without
it the recorder finds them in backward's closure, which costs more per op.
Rules are written with nbtensor ops, so they run on every device and are themselves
recorded under ``create_graph=True``.
"""
import dis
import math
import numbers
import operator

import numpy as np

import nbtensor.ops.creation as creation
import nbtensor.ops.elementwise as elementwise
import nbtensor.ops.reduce as reduce
from nbtensor.autograd import grad_mode
from nbtensor.core import dtype as dt
from nbtensor.core.plan import broadcast_shapes, remember
from nbtensor.core.typeinfo import finfo
from nbtensor.dispatch import dispatcher
from nbtensor.autograd.graph import NO_EDGE, Node, edge_of, node_of, outside_graph
from nbtensor.dispatch.tensor import Tensor, _numel, wrap_dim

RULES = {}
_new = object.__new__
# torch's node names where one rule serves forms torch records differently (printed as
# ``grad_fn=<...>``); the recorder applies them.
NODE_NAMES = {
    "nansum": "NansumBackward0", "movedim": "PermuteBackward0", "moveaxis": "PermuteBackward0",
    "narrow": "SliceBackward0", "chunk": "SplitBackward0", "tensor_split": "SliceBackward0",
    "outer": "MulBackward0", "ger": "MulBackward0", "vdot": "VdotBackward0", "fmax": "FmaxBackward0",
    "fmin": "FminBackward0",
    "T": "PermuteBackward0", "mT": "TransposeBackward0", "mH": "TransposeBackward0", "norm": "LinalgVectorNormBackward0",
    "__rpow__": "PowBackward2", "unsqueeze": "UnsqueezeBackward0",
}
# Nodes that keep no tensor of the forward pass: backward through them twice is allowed.
NO_SAVED = set()
# Forms written with other forms (which record themselves): the recorder leaves them as
# they are, so their result's history is that of the forms inside.
COMPOSITE = {"sum_to_size", "__rtruediv__"}
# Forms whose results never require grad (torch records nothing for them).
NONDIFFERENTIABLE = {
    "detach", "detach_", "requires_grad_", "zeros_like", "ones_like", "empty_like", "full_like",
    "rand_like", "randn_like", "randint_like", "new_empty", "new_zeros", "new_ones", "new_full",
    "new_tensor", "tensor", "as_tensor", "asarray", "argmax", "argmin", "argsort", "bincount",
    "histc", "nonzero", "argwhere", "unique", "unique_consecutive", "searchsorted", "bucketize",
    "isclose", "allclose", "equal", "result_type", "count_nonzero", "sort_indices", "uniform_",
    "normal_", "random_", "bernoulli_", "data", "backward", "retain_grad", "register_hook",
    "register_post_accumulate_grad_hook",
}
# The factories: each makes a new leaf from numbers (and sizes), so none records, whatever it
# is given (``linspace(0, a, 3)`` of a tensor that requires grad: torch's result requires none).
FACTORIES = {
    "empty", "zeros", "ones", "full", "arange", "linspace", "logspace", "eye", "rand", "randn", "randint",
    "randperm", "empty_strided", "tril_indices", "triu_indices", "from_numpy", "frombuffer", "scalar_tensor",
    "hann_window", "hamming_window", "bartlett_window", "blackman_window", "kaiser_window",
}
NONDIFFERENTIABLE |= FACTORIES
# The factories whose arguments are sizes, dtypes, devices, generators and numbers only (a
# tensor given as a number is read by ``item()``): nothing they read can require grad (a size
# that is a floating tensor is refused), so they run as they are, grad mode left on (an
# ``out=`` write is counted once, by its ``copy_``).
SIZED_FACTORIES = {"empty", "zeros", "ones", "eye", "rand", "randn", "randint", "randperm", "empty_strided", "full",
                   "arange", "linspace", "logspace"}


# Forms whose rule keeps the op's result for backward (exp: g * out). The recorder hands
# such a rule an alias of the result that is outside the graph, so that the result, its
# node and the node's backward do not form a reference cycle (which only the garbage
# collector frees); under create_graph the engine links the alias to the node (Node._output).
# Maps the form to True, or to ``keeps(args, kwargs)`` when that depends on the call.
KEEPS_OUT = {}


def rule(*names, saves=True, keeps_out=None):
    """Register `fn(args, kwargs, out)` as the rule of the forms `names`; `keeps_out` says
    whether its backward reads `out`: a bool, or a function of (args, kwargs) for a rule that
    keeps it only for some calls (default: whether a function made inside `fn` captures
    `out`)."""
    def register(fn):
        keeps = "out" in fn.__code__.co_cellvars if keeps_out is None else keeps_out
        for name in names:
            RULES[name] = fn
            if not saves:
                NO_SAVED.add(name)
            if keeps:
                KEEPS_OUT[name] = keeps
            else:
                KEEPS_OUT.pop(name, None)
        return fn
    return register


def one_input(fn):
    """Mark rule `fn` as one whose only input is always its call's first argument: the
    recorder then calls it directly for a call without keywords on a tensor that requires
    grad, and makes the node and its edge itself (see record.py)."""
    fn.one_input = True
    return fn


def keeps_result(name, args, kwargs):
    """True when the rule of form `name` keeps the result of this call (see KEEPS_OUT)."""
    keeps = KEEPS_OUT.get(name)
    return keeps is True or (keeps is not None and keeps is not False and keeps(args, kwargs))


def _is_tensor(x):
    return type(x) is Tensor


def _arg(args, kwargs, i, name, default=None):
    return args[i] if len(args) > i else kwargs.get(name, default)


def sum_to(g, shape):
    """`g` summed over the dimensions along which a tensor of `shape` (a tuple) was broadcast."""
    gshape = g._shape
    if gshape == shape:
        return g
    plan = _SUM_TO.get((gshape, shape))
    if plan is None:
        plan = remember(_SUM_TO, (gshape, shape), _sum_to_plan(gshape, shape))
    dims, keepdim, reshape = plan
    g = g.sum(dims, keepdim=keepdim)
    return g.reshape(shape) if reshape else g


_SUM_TO = {}  # (gradient's shape, target shape) -> `_sum_to_plan`


def _sum_to_plan(gshape, shape):
    """(dims to sum, keepdim, whether to reshape after) for `sum_to`: the new leading
    dimensions and those `shape` has as 1 where `gshape` does not; when only leading ones
    are summed the sum has `shape` already (torch's keepdim sum and view, in one op)."""
    lead = len(gshape) - len(shape)
    kept = [lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1]
    if not kept:
        return tuple(range(lead)), False, False
    return tuple(range(lead)) + tuple(kept), True, lead > 0


class Like(tuple):
    """A tensor's shape, dtype and device without its values: what a rule keeps when its
    backward needs only those (so writing into the tensor later is allowed, as in torch).
    Made as ``Like((shape, dtype, device))``: a tuple, so making one runs no Python code."""

    __slots__ = ()
    _shape = property(operator.itemgetter(0))
    dtype = property(operator.itemgetter(1))
    device = property(operator.itemgetter(2))


def like(x):
    """`x`'s `Like`, or None for a constant (not a tensor)."""
    return Like((x._shape, x.dtype, x.device)) if type(x) is Tensor else None


def _wants(x):
    """True when `x` is a tensor that requires grad: a rule computes no gradient for anything
    else (torch's ``needs_input_grad``; ``X @ W`` with data `X` skips the product for X)."""
    if type(x) is not Tensor:
        return False
    ag = x._ag
    return ag is not None and ag.requires_grad


def _reads(fn, name):
    """True when the function `fn` reads its argument `name` (so a rule must keep its values)."""
    return fn is not None and any(i.opname.startswith("LOAD_FAST") and i.argval == name
                                  for i in dis.get_instructions(fn))


def _for(g, x):
    """`g` as the gradient of `x` (a tensor, its `Like`, or only its dtype when it has the
    shape of `g`: see `_target`): summed to its shape, in its dtype; None when `x` is a
    constant."""
    kind = type(x)
    if kind is _DTYPE:
        return g if g.dtype is x else g.to(x)
    if kind is not Tensor and kind is not Like:
        return None
    shape = x._shape
    if g._shape != shape:
        g = sum_to(g, shape)
    return g if g.dtype is x.dtype else g.to(x.dtype)


_DTYPE = type(dt.float32)


def _target(x, out):
    """What `_for` needs to make a gradient for operand `x` of an element-wise op whose
    result is `out`: None when `x` needs none, its dtype when it has `out`'s shape (nothing
    to sum: the common case makes no `Like`), else its `Like`."""
    if type(x) is Tensor:
        ag = x._ag
        if ag is not None and ag.requires_grad:
            return x.dtype if x._shape == out._shape else Like((x._shape, x.dtype, x.device))
    return None


def _zero(g, x):
    return None if not _is_tensor(x) else creation.zeros_like(x)


# ---------------------------------------------------------------- backward ops
BACKWARD_FORMS = {}  # name -> the installed form of a backward op (see `backward_op`)


def backward_op(name, node, compute, derivatives, n_tensors=2):
    """Install `compute(grad, x, *rest)` (an op's input gradient as torch's backward kernel
    computes it: ``threshold_backward``, ``elu_backward``...) as the form `name`, and return
    a caller of it. Under ``create_graph`` the form records the node `node`, whose inputs are
    its first `n_tensors` arguments and whose backward is ``derivatives(gg, grad, x, *rest)``
    -> one gradient per input: torch's double-backward formulas, so that second derivatives,
    and which gradients require grad, are torch's rather than those of the ops `compute`
    happens to be written with."""
    def make(args, kwargs, out):
        inputs = tuple(args[:n_tensors])
        return node, inputs, lambda gg: derivatives(gg, *args), inputs
    rule(name)(make)
    dispatcher.install_functions(BACKWARD_FORMS, {name: (name, compute)})
    return lambda *args: BACKWARD_FORMS[name](*args)


def zero_for(x, like_grad):
    """The gradient of `x` where a backward op is piecewise constant in it: zeros (torch's
    ``zeros_like``), or None when `x` requires no grad."""
    return creation.zeros_like(like_grad) if _wants(x) else None


def _threshold_backward(grad, x, threshold):
    return elementwise.apply(elementwise.OPS_BY_NAME["threshold_backward"], (grad, x, threshold))


# torch's threshold_backward (relu's and threshold's): the incoming gradient where x is
# above the threshold; its own gradient in x is zero, but under create_graph the result
# depends on x (relu's gradient requires grad, and a second backward reaches x with zeros)
threshold_backward = backward_op(
    "threshold_backward", "ThresholdBackwardBackward0", _threshold_backward,
    lambda gg, grad, x, threshold: (threshold_backward(gg, x, threshold) if _wants(grad) else None,
                                    zero_for(x, gg)))


# ---------------------------------------------------------------- element-wise, one operand
def _unary(node, derivative, saves=True, names=()):
    """A rule ``grad_x = derivative(g, x, out)`` (keeping only the values it reads)."""
    keep_x, keep_out = _reads(derivative, "x"), _reads(derivative, "out")
    keeps = saves and (keep_x or keep_out)

    def make(args, kwargs, out):
        x = args[0]
        meta = x.dtype  # (the recorder passes a tensor first; it has the result's shape)
        xv, ov = x if keep_x else None, out if keep_out else None
        return node, (x,), _unary_backward(derivative, xv, ov, meta), (xv, ov)

    def make_node(args, out):
        if len(args) != 1:
            return None
        x = args[0]  # (a tensor that requires grad: the recorder calls this when one argument does)
        ag = x._ag
        xv, ov = x if keep_x else None, outside_graph(out) if keep_out else None
        made = node_of(node, _unary_backward(derivative, xv, ov, x.dtype), ((ag.edge or edge_of(x)),), keeps,
                       (xv, ov))
        made._output = ov
        return made
    make.node = make_node
    rule(*names, saves=keeps, keeps_out=keep_out)(make)


def _unary_backward(derivative, xv, ov, meta):
    return lambda g: (_for(derivative(g, xv, ov), meta),)


_unary("NegBackward0", lambda g, x, out: -g, saves=False, names=("neg", "negative", "__neg__"))
_unary("ExpBackward0", lambda g, x, out: g * out, names=("exp",))
_unary("Exp2Backward0", lambda g, x, out: g * out * math.log(2.0), names=("exp2",))
_unary("Expm1Backward0", lambda g, x, out: g * (out + 1), names=("expm1",))
_unary("LogBackward0", lambda g, x, out: g / x, names=("log",))
_unary("Log2Backward0", lambda g, x, out: g / (x * math.log(2.0)), names=("log2",))
_unary("Log10Backward0", lambda g, x, out: g / (x * math.log(10.0)), names=("log10",))
_unary("Log1PBackward0", lambda g, x, out: g / (x + 1), names=("log1p",))
_unary("SqrtBackward0", lambda g, x, out: g / (2 * out), names=("sqrt",))
_unary("RsqrtBackward0", lambda g, x, out: -0.5 * g * out * out * out, names=("rsqrt",))
_unary("SinBackward0", lambda g, x, out: g * x.cos(), names=("sin",))
_unary("CosBackward0", lambda g, x, out: -g * x.sin(), names=("cos",))
_unary("TanBackward0", lambda g, x, out: g * (1 + out * out), names=("tan",))
_unary("TanhBackward0", lambda g, x, out: g * (1 - out * out), names=("tanh",))
_unary("SigmoidBackward0", lambda g, x, out: g * out * (1 - out), names=("sigmoid",))
_unary("ReluBackward0", lambda g, x, out: threshold_backward(g, out, 0), names=("relu",))  # (relu(nan): g)
_unary("AbsBackward0", lambda g, x, out: g * x.sign(), names=("abs", "absolute", "__abs__"))
_unary("ReciprocalBackward0", lambda g, x, out: -g * out * out, names=("reciprocal",))
_unary("PowBackward0", lambda g, x, out: 2 * g * x, names=("square",))
_unary("AtanBackward0", lambda g, x, out: g / (1 + x * x), names=("atan", "arctan"))
_unary("AsinBackward0", lambda g, x, out: g / (1 - x * x).sqrt(), names=("asin", "arcsin"))
_unary("AcosBackward0", lambda g, x, out: -g / (1 - x * x).sqrt(), names=("acos", "arccos"))
_unary("SinhBackward0", lambda g, x, out: g * x.cosh(), names=("sinh",))
_unary("CoshBackward0", lambda g, x, out: g * x.sinh(), names=("cosh",))
_unary("ErfBackward0", lambda g, x, out: g * (2 / math.sqrt(math.pi)) * (-x * x).exp(), names=("erf",))
_unary("FracBackward0", lambda g, x, out: g, saves=False, names=("frac",))
_unary("AsinhBackward0", lambda g, x, out: g / (x * x + 1).sqrt(), names=("asinh", "arcsinh"))
_unary("AcoshBackward0", lambda g, x, out: g * (x * x - 1).rsqrt(), names=("acosh", "arccosh"))
_unary("AtanhBackward0", lambda g, x, out: g / (1 - x * x), names=("atanh", "arctanh"))
for _name in ("sign", "floor", "ceil", "trunc", "fix", "angle"):
    _unary(_name.capitalize() + "Backward0", lambda g, x, out: creation.zeros_like(g), saves=False, names=(_name,))
# (a draw: its gradient is zero everywhere, as torch's BernoulliBackward0)
_unary("BernoulliBackward0", lambda g, x, out: creation.zeros_like(g), saves=False, names=("bernoulli",))


@rule("sgn", keeps_out=True)
def _sgn(args, kwargs, out):
    """A zero gradient for real tensors; torch's SgnBackward0 saves the input and the result
    (its complex formula reads both), so writing into either before backward raises."""
    x = args[0]
    return "SgnBackward0", (x,), lambda g: (creation.zeros_like(g),), (x, out)


@rule("round", saves=False)
def _round(args, kwargs, out):
    return "RoundBackward0", (args[0],), lambda g: (creation.zeros_like(g),)


@rule("__pos__", "clone", "contiguous", saves=False)
def _identity(args, kwargs, out):
    x = args[0]
    return "CloneBackward0", (x,), lambda g: (g,)


@rule("to", "type", "float", "double", "half", "type_as", "cpu", "cuda", saves=False)
def _to(args, kwargs, out):
    x = args[0]
    meta = like(x)
    return "ToCopyBackward0", (x,), lambda g: (g.to(dtype=meta.dtype, device=meta.device),)


# ---------------------------------------------------------------- element-wise, two operands
def _binary(node, dx, dy, names, saves=True, reflected=False, number_node=None):
    """A rule for ``op(x, y)`` (``reflected``: the form computes ``op(y, x)`` from (x, y);
    `number_node`: torch's node name when `y` is a number, if it has its own).
    It keeps a tensor only when the derivative of an operand that needs a gradient reads it
    (torch's saved variables: ``x * c`` with data `c` keeps `c`, not `x`)."""
    x_for_x, y_for_x, out_for_x = (_reads(dx, name) for name in ("x", "y", "out"))
    x_for_y, y_for_y, out_for_y = (_reads(dy, name) for name in ("x", "y", "out"))

    def kept(x, y, out, gx, gy):
        """(x, y, out) as backward reads them: None for a tensor it does not read."""
        return (x if type(x) is not Tensor or gx and x_for_x or gy and x_for_y else None,
                y if type(y) is not Tensor or gx and y_for_x or gy and y_for_y else None,
                out if gx and out_for_x or gy and out_for_y else None)

    def make(args, kwargs, out):
        x, y = args[0], args[1] if len(args) > 1 else kwargs.get("other")
        if reflected:
            x, y = y, x
        mx, my = _target(x, out), _target(y, out)
        saved = kept(x, y, out, mx is not None, my is not None)
        grads = _binary_backward(dx, dy, saved, mx, my)
        if reflected:
            return node, (y, x), lambda g: grads(g)[::-1], saved
        return node if number_node is None or type(y) is Tensor else number_node, (x, y), grads, saved

    # which of (x, y, out) backward reads (`kept`), by which operands need a gradient
    reads = {(gx, gy): (gx and x_for_x or gy and x_for_y, gx and y_for_x or gy and y_for_y,
                        gx and out_for_x or gy and out_for_y) for gx in (False, True) for gy in (False, True)}

    def node_for(args, out, ex, mx, ey, my):
        x, y = args
        read_x, read_y, read_out = reads[ex is not None, ey is not None]
        ov = outside_graph(out) if read_out else None
        saved = (x if read_x or type(x) is not Tensor else None, y if read_y or type(y) is not Tensor else None, ov)
        made = node_of(node if number_node is None or type(y) is Tensor else number_node,
                       _binary_backward(dx, dy, saved, mx, my), (ex or NO_EDGE, ey or NO_EDGE), saves, saved)
        if ov is not None:
            made._output = ov
        return made
    if not reflected:
        make.binary = None, None, node_for  # (the recorder calls binary_node with these: see record.py)
    rule(*names, saves=saves, keeps_out=out_for_x or out_for_y)(make)


def _binary_backward(dx, dy, saved, mx, my):
    """The backward of a `_binary` rule: `saved` is (x, y, out) as it reads them; `mx`, `my`
    what `_for` needs of each operand, None for one that needs no gradient."""
    xv, yv, ov = saved
    return lambda g: (_for(dx(g, xv, yv, ov), mx) if mx is not None and dx else None,
                      _for(dy(g, xv, yv, ov), my) if my is not None and dy else None)


def binary_node(name, plain, node_for, args, out):
    """The node of a call ``op(x, y)`` of an element-wise form whose result is `out` (None
    for a call of another arity), from each operand's edge and what `_for` needs of it
    (`_target`; both None for an operand that needs no gradient). A rule whose backward
    is fixed when each operand that needs a gradient has the result's shape and dtype gives
    those backwards as `plain` (indexed by whether x, then y, needs one: add, sub), and the
    node is made here, named `name`, saving nothing; otherwise
    ``node_for(args, out, ex, mx, ey, my)`` makes it."""
    if len(args) != 2:
        return None
    x, y = args
    ex = mx = ey = my = None
    # (a tensor made by a recorded op has its node as its record, and (node, 0) as its edge:
    # made here, not by the property, which costs a call)
    if type(x) is Tensor:
        ag = x._ag
        if type(ag) is Node:
            ex = ag, 0
        elif ag is not None and ag.requires_grad:
            ex = ag.edge or edge_of(x)
        if ex is not None:  # (a fresh result often has its first operand's shape object)
            mx = x.dtype if x._shape is out._shape or x._shape == out._shape else Like((x._shape, x.dtype, x.device))
    if type(y) is Tensor:
        ag = y._ag
        if type(ag) is Node:
            ey = ag, 0
        elif ag is not None and ag.requires_grad:
            ey = ag.edge or edge_of(y)
        if ey is not None:
            my = y.dtype if y._shape == out._shape else Like((y._shape, y.dtype, y.device))
    if plain is not None and (mx is None or mx is out.dtype) and (my is None or my is out.dtype):
        # (`node_of`, inlined for add and sub, the most frequent recorded ops)
        node = _new(Node)
        node._name = name
        node._backward = plain[ex is not None][ey is not None]
        node.next_functions = ex or NO_EDGE, ey or NO_EDGE
        node._saves = False
        node._output = None
        return node
    return node_for(args, out, ex, mx, ey, my)


def _alpha_rule(sign):
    # the backward of the common calls, made once: no alpha, and each operand either a
    # constant or a tensor of the result's shape and dtype (its gradient is g or -g as it is),
    # indexed by whether x, then y, needs a gradient
    y_grad = (lambda g: g) if sign > 0 else (lambda g: -g)
    plain = ((lambda g: (None, None), lambda g: (None, y_grad(g))), (lambda g: (g, None), lambda g: (g, y_grad(g))))

    def make(args, kwargs, out):
        x, y = args[0], args[1] if len(args) > 1 else kwargs.get("other")
        scale = sign * kwargs["alpha"] if kwargs and "alpha" in kwargs else sign
        mx, my = _target(x, out), _target(y, out)
        if scale == sign and (mx is None or mx is out.dtype) and (my is None or my is out.dtype):
            return node, (x, y), plain[mx is not None][my is not None]
        return node, (x, y), _scaled_backward(mx, my, scale)

    def scaled_node(args, out, ex, mx, ey, my):
        return node_of(node, _scaled_backward(mx, my, sign), (ex or NO_EDGE, ey or NO_EDGE), False)
    node = "AddBackward0" if sign > 0 else "SubBackward0"
    make.binary = node, plain, scaled_node
    return make


def _scaled_backward(mx, my, scale):
    """The backward of ``x + scale * y`` (`mx`, `my`: see `_target`)."""
    return lambda g: (_for(g, mx),
                      None if my is None else _for(g if scale == 1 else -g if scale == -1 else g * scale, my))


rule("add", "__add__", "__radd__", saves=False)(_alpha_rule(1))
rule("sub", "subtract", "__sub__", saves=False)(_alpha_rule(-1))
_binary("RsubBackward1", lambda g, x, y, out: g, lambda g, x, y, out: -g, ("__rsub__",), saves=False,
        reflected=True)
_binary("MulBackward0", lambda g, x, y, out: g * y, lambda g, x, y, out: g * x,
        ("mul", "multiply", "__mul__", "__rmul__"))
def _divisor_grad(g, x, y):
    """torch's div_tensor_other_backward: -g * ((x / y) / y), which neither overflows nor
    underflows where y * y would. One kernel for float32 and float64 (each step rounded as
    the ops round it), except under create_graph (torch's composed ops, whose graph the
    second derivative runs through) and in float16 (rounded to float16 after each op)."""
    if grad_mode._state.enabled or g.dtype is dt.float16:
        return -g * ((x / y) / y)
    return elementwise.apply(elementwise.OPS_BY_NAME["div_other_backward"], (g, x, y))


_binary("DivBackward0", lambda g, x, y, out: g / y, lambda g, x, y, out: _divisor_grad(g, x, y),
        ("true_divide", "__truediv__"))
def _extreme_grad(kernel, g, x, y, loses):
    """maximum's (`kernel` "maximum_backward", `loses` <) or minimum's gradient for `x` against
    `y`, as torch's: a tie splits the gradient; where either is NaN (the result too) both get
    all of it. One kernel, except under create_graph: there torch's composed ops, whose graph
    the second derivative runs through."""
    if grad_mode._state.enabled:
        return (g / 2).where(x == y, g).masked_fill(loses(x, y), 0)
    return elementwise.apply(elementwise.OPS_BY_NAME[kernel], (g, x, y))


_binary("MaximumBackward0", lambda g, x, y, out: _extreme_grad("maximum_backward", g, x, y, operator.lt),
        lambda g, x, y, out: _extreme_grad("maximum_backward", g, y, x, operator.lt), ("maximum",))
_binary("MinimumBackward0", lambda g, x, y, out: _extreme_grad("minimum_backward", g, x, y, operator.gt),
        lambda g, x, y, out: _extreme_grad("minimum_backward", g, y, x, operator.gt), ("minimum",))
# torch's: the first operand takes a tie, the other a NaN (fmax(nan, 1) is 1)
_binary("FmaxBackward0", lambda g, x, y, out: g.masked_fill(((x >= y) | y.isnan()).logical_not(), 0),
        lambda g, x, y, out: g.masked_fill((x >= y) | y.isnan(), 0), ("fmax",))
_binary("FminBackward0", lambda g, x, y, out: g.masked_fill(((x <= y) | y.isnan()).logical_not(), 0),
        lambda g, x, y, out: g.masked_fill((x <= y) | y.isnan(), 0), ("fmin",))
# torch's atan2_backward: both through 1 / (x² + y²), and 0 at the origin
_binary("Atan2Backward0", lambda g, x, y, out: g * (y / (x * x + y * y)).masked_fill((x == 0) & (y == 0), 0),
        lambda g, x, y, out: g * (-x / (x * x + y * y)).masked_fill((x == 0) & (y == 0), 0), ("atan2", "arctan2"))
_binary("LogaddexpBackward0", lambda g, x, y, out: g / ((y - x).exp() + 1),
        lambda g, x, y, out: g / ((x - y).exp() + 1), ("logaddexp",))
# the divisor's gradient through the quotient the op rounds (torch: floor for remainder,
# trunc for fmod); the dividend's is g
_binary("RemainderBackward1", lambda g, x, y, out: g,
        lambda g, x, y, out: -g * x.div(y, rounding_mode="floor"), ("remainder", "__mod__"),
        number_node="RemainderBackward0")
_binary("FmodBackward1", lambda g, x, y, out: g,
        lambda g, x, y, out: -g * x.div(y, rounding_mode="trunc"), ("fmod",), number_node="FmodBackward0")
# torch's copysign_tensor_self_backward: g · (result / x), 0 where x is 0; the sign's source gets 0
_binary("CopysignBackward0", lambda g, x, y, out: g * (out / x).masked_fill(x == 0, 0),
        lambda g, x, y, out: creation.zeros_like(g), ("copysign",))


def _not_implemented(op):
    """The rule of an op torch records without a derivative (its result requires grad): its
    node refuses only when a gradient has to pass through it."""
    def make(args, kwargs, out):
        def backward(g):
            raise RuntimeError(f"derivative for aten::{op} is not implemented")
        return "NotImplemented", tuple(args[:2]), backward
    return make


rule("floor_divide", "__floordiv__", "__rfloordiv__", saves=False)(_not_implemented("floor_divide"))
rule("__rmod__", saves=False)(_not_implemented("remainder"))
_remainder_of_a_tensor = RULES["remainder"]


@rule("remainder")
def _remainder(args, kwargs, out):
    """remainder(number, tensor) has no derivative in torch (remainder(tensor, ...) has)."""
    if not _is_tensor(args[0]):
        return _not_implemented("remainder")(args, kwargs, out)
    return _remainder_of_a_tensor(args, kwargs, out)


@rule("normal", saves=False)
def _normal(args, kwargs, out):
    """torch's normal(mean, std) passes zero gradients to its tensor arguments."""
    mean, std = _arg(args, kwargs, 0, "mean"), _arg(args, kwargs, 1, "std", 1.0)
    node = "NormalBackward3" if _is_tensor(mean) and _is_tensor(std) else \
        "NormalBackward1" if _is_tensor(mean) else "NormalBackward2"
    metas = like(mean), like(std)
    return node, (mean, std), lambda g: tuple(None if m is None else _zeros_of(m) for m in metas)


@rule("div", "divide")
def _div(args, kwargs, out):
    x, y = args[0], _arg(args, kwargs, 1, "other")
    # (torch's node for a call given rounding_mode, None included, is DivBackward2)
    name = "DivBackward2" if "rounding_mode" in kwargs else "DivBackward0"
    if kwargs.get("rounding_mode") is not None:
        return name, (x, y), lambda g: (_zero(g, x), _zero(g, y))
    # as torch: the result is not saved (writing into it later is allowed)
    return name, (x, y), lambda g: (_for(g / y, x) if _wants(x) else None,
                                    _for(_divisor_grad(g, x, y), y) if _wants(y) else None), \
        (y, x if _wants(y) else None)


def _pow_grads(g, x, y, out):
    gx = gy = None
    if _wants(x):  # torch's pow_backward(_self): zero where the exponent is 0, else g * (y * x ** (y - 1))
        if _is_tensor(y):
            gx = _for((g * (y * x.pow(y - 1))).masked_fill(y == 0, 0), x)
        else:
            gx = _for(creation.zeros_like(g) if y == 0 else g * (2 * x) if y == 2 else g * (y * x.pow(y - 1)), x)
    if _wants(y):
        log_x = x.log() if _is_tensor(x) else math.log(x) if x > 0 else float("nan") if x < 0 else -math.inf
        # torch: where the base is 0 and the exponent >= 0, the exponent's gradient is 0
        term = g * out * log_x
        if _is_tensor(x):
            term = term.masked_fill((x == 0) & (y >= 0), 0)
        elif x == 0:
            term = term.masked_fill(y >= 0, 0)
        gy = _for(term, y)
    return gx, gy


def _tensor_exponent(args, kwargs):
    return _is_tensor(_arg(args, kwargs, 1, "exponent"))


@rule("pow", "__pow__", "float_power", keeps_out=_tensor_exponent)
def _pow(args, kwargs, out):
    x, y = args[0], _arg(args, kwargs, 1, "exponent")
    name = "PowBackward1" if _is_tensor(y) and _is_tensor(x) else "PowBackward0"
    # as torch: a number exponent saves the base alone; a tensor one the base, it and the result
    if not _is_tensor(y):
        return name, (x, y), lambda g: _pow_grads(g, x, y, None), (x,)
    return name, (x, y), lambda g: _pow_grads(g, x, y, out), (x, y, out)


@rule("__rpow__")
def _rpow(args, kwargs, out):
    exponent, base = args[0], args[1]
    return "PowBackward1", (exponent,), lambda g: (_pow_grads(g, base, exponent, out)[1],), (base, exponent, out)


@rule("lerp")
def _lerp(args, kwargs, out):
    start, end, weight = args[0], _arg(args, kwargs, 1, "end"), _arg(args, kwargs, 2, "weight")
    ms, me, mw = _target(start, out), _target(end, out), _target(weight, out)

    def backward(g):
        gs = _for(g * (1 - weight), ms) if ms is not None else None
        ge = _for(g * weight, me) if me is not None else None
        return gs, ge, _for(g * (end - start), mw) if mw is not None else None
    node = "LerpBackward1" if _is_tensor(weight) else "LerpBackward0"
    return node, (start, end, weight), backward, (weight, start if mw is not None else None,
                                                  end if mw is not None else None)


@rule("where")
def _where(args, kwargs, out):
    if _is_tensor(args[0]) and args[0].dtype.is_floating_point:  # method: x.where(condition, y)
        x, cond, y = args[0], args[1], args[2]
    else:
        cond, x, y = args[0], _arg(args, kwargs, 1, "input"), _arg(args, kwargs, 2, "other")
    if x is None:
        return None  # where(condition): the indices
    mx, my = (like(x) if _wants(x) else None), (like(y) if _wants(y) else None)
    # as torch's, only the condition is saved (writing into x or y later is allowed)
    return "WhereBackward0", (x, y), lambda g: (_for(g.masked_fill(~cond, 0), mx) if mx is not None else None,
                                                _for(g.masked_fill(cond, 0), my) if my is not None else None), (cond,)


@rule("masked_fill")
def _masked_fill(args, kwargs, out):
    x, mask, value = args[0], _arg(args, kwargs, 1, "mask"), _arg(args, kwargs, 2, "value")
    name = "MaskedFillBackward1" if _is_tensor(value) else "MaskedFillBackward0"
    mx, mv = like(x), like(value)
    # as torch's, only the mask is saved (writing into x later is allowed)
    return name, (x, value), lambda g: (
        _for(g.masked_fill(mask, 0), mx),
        g.masked_fill(~mask, 0).sum().reshape(mv._shape).to(mv.dtype) if mv is not None else None), (mask,)


def _clamp_rule(low_name, high_name, node_numbers, node_tensors):
    """The rule of clamp (or clamp_min/clamp_max: `low_name` or `high_name` None), recorded
    as `node_numbers` with number bounds and as `node_tensors` with tensor ones."""
    def make(args, kwargs, out):
        x = args[0]
        low = _arg(args, kwargs, 1, low_name) if low_name else None
        high = _arg(args, kwargs, 2 if low_name else 1, high_name) if high_name else None
        if low_name is None:
            low = None
        keep = None
        if low is not None:
            keep = x >= low
        if high is not None:
            keep = (x <= high) if keep is None else keep & (x <= high)
        # torch's where(kept, g, 0): an infinite g outside the bounds gives 0, not nan
        drop = None if keep is None else keep.logical_not()
        if not (_wants(low) or _wants(high)):
            if not (_is_tensor(low) or _is_tensor(high)):
                return node_numbers, (x,), lambda g: (_for(g if drop is None else g.masked_fill(drop, 0), x),)
            return node_tensors, (x,), lambda g: (_for(g.masked_fill(drop, 0), x),), _bounds_saved(x, low, high)
        # tensor bounds that require grad (torch's clamp_backward_min_max): a bound takes the
        # gradient where it is the result; where min > max, max is the result
        if low is not None and high is not None:
            low_wins = (x < low) & (low < high) if _wants(low) else None
            high_wins = (x > high) | (high < low) if _wants(high) else None
        else:
            low_wins = x < low if _wants(low) else None
            high_wins = x > high if _wants(high) else None
        return node_tensors, (x, low, high), lambda g: (
            _for(g.masked_fill(drop, 0), x) if _wants(x) else None,
            None if low_wins is None else _for(g.masked_fill(low_wins.logical_not(), 0), low),
            None if high_wins is None else _for(g.masked_fill(high_wins.logical_not(), 0), high)), \
            _bounds_saved(x, low, high)
    return make


def _bounds_saved(x, low, high):
    """What torch's clamp with tensor bounds saves (x and the bounds; the masks here are
    made of them): writing into one before backward raises, as there."""
    return tuple(t for t in (x, low, high) if _is_tensor(t))


rule("clamp", "clip")(_clamp_rule("min", "max", "ClampBackward1", "ClampBackward0"))
rule("clamp_min")(_clamp_rule("min", None, "ClampMinBackward0", "ClampMinBackward1"))
rule("clamp_max")(_clamp_rule(None, "max", "ClampMaxBackward0", "ClampMaxBackward1"))


# ---------------------------------------------------------------- reductions
def _dims(x, dim):
    """The reduced dimensions of `x` for a ``dim`` argument (None or () meaning all)."""
    ndim = len(x._shape)
    if type(dim) is int:  # (the common call, checked by the op that ran: wrapped without a call)
        return (dim + ndim if dim < 0 else dim,) if ndim else ()
    if dim is None or dim == () or dim == []:
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    return tuple(sorted(wrap_dim(d, ndim) for d in dim)) if ndim else ()


def _reduction(args, kwargs):
    """(input, dim, keepdim, the reduced dims) of a reduction's call ``f(x, dim, keepdim)``."""
    x = args[0]
    n = len(args)
    if not kwargs:  # (`_arg`, inlined for the common positional call)
        dim = args[1] if n > 1 else None
        keepdim = args[2] if n > 2 else False
    else:
        dim, keepdim = _arg(args, kwargs, 1, "dim"), _arg(args, kwargs, 2, "keepdim", False)
    return x, dim, keepdim, _dims(x, dim)


def _unreduce(g, x, dims, keepdim):
    """`g` (a reduction's gradient) with the reduced `dims` put back, ready to broadcast to `x`."""
    if not g._shape:
        return g  # (a reduction to one value: a 0-d gradient broadcasts as it is)
    if not keepdim and x._shape:
        for d in dims:
            g = g.unsqueeze(d)
    return g


@one_input
@rule("sum", saves=False)
def _sum(args, kwargs, out):
    x = args[0]
    if len(args) == 1 and not kwargs:  # x.sum(): the 0-d gradient broadcasts back as it is
        shape, dtype = x._shape, x.dtype
        return "SumBackward0", (x,), lambda g: (_for(g.expand(shape), dtype),)
    x, dim, keepdim, dims = _reduction(args, kwargs)
    name = "SumBackward0" if dim is None else "SumBackward1"
    meta = like(x)
    return name, (x,), lambda g: (_for(_unreduce(g, meta, dims, keepdim).expand(meta._shape), meta),)


@rule("nansum")
def _nansum(args, kwargs, out):
    x, dim, keepdim, dims = _reduction(args, kwargs)
    meta = like(x)
    # as torch: a NaN element added nothing, so it gets no gradient
    return "NansumBackward0", (x,), lambda g: (
        _for(_unreduce(g, meta, dims, keepdim).expand(meta._shape) * x.isnan().logical_not(), meta),), (x,)


@one_input
@rule("mean", saves=False)
def _mean(args, kwargs, out):
    x = args[0]
    if len(args) == 1 and not kwargs:  # x.mean(): the 0-d gradient, divided, broadcasts back as it is
        shape, dtype, count = x._shape, x.dtype, _numel(x._shape)
        return "MeanBackward0", (x,), lambda g: (_for((g / count).expand(shape), dtype),)
    x, dim, keepdim, dims = _reduction(args, kwargs)
    count = 1
    for d in dims:
        count *= x._shape[d]
    name = "MeanBackward0" if dim is None else "MeanBackward1"
    meta = like(x)
    return name, (x,), lambda g: (_for((_unreduce(g, meta, dims, keepdim) / count).expand(meta._shape), meta),)


def _evenly(g, x, out, dims, keepdim):
    """The gradient of max/min/amax/amin over `dims`: shared equally by the tied elements."""
    # in g's dtype: a bool mask divided by its count is float32, and a 0-d float64 g times
    # a float32 tensor stays float32 (torch's promotion), which rounded the gradient
    hit = (x == _unreduce(out, x, dims, keepdim)).to(g.dtype)
    share = hit / hit.sum(dims, keepdim=True) if dims else hit
    return _unreduce(g, x, dims, keepdim) * share


def _evenly_distributed(g, x, out):
    """The gradient of max()/min() over every element (torch's evenly_distribute_backward):
    shared by the elements equal to the result, or by the NaN ones when the result is NaN."""
    hit = x.isnan() if bool(out.isnan()) else x == out
    return (g / hit.sum()).where(hit, 0.0)


def _extreme(node_all):
    def make(args, kwargs, out):
        x = args[0]
        if type(out) is not Tensor:  # (values, indices) over one dim: the common call, kept short
            return node_all.replace("1", "0"), (x,), _selected_backward(x, args, kwargs, out[1]), (out[1],)
        dim = _arg(args, kwargs, 1, "dim")
        other = kwargs.get("other")
        if _is_tensor(dim):
            other = dim
        if other is not None:
            fn = RULES["maximum" if node_all.startswith("Max") else "minimum"]
            return fn((x, other), {}, out)
        return node_all, (x,), lambda g: (_evenly_distributed(g, x, out),)
    return make


def _selected_backward(x, args, kwargs, indices):
    """The backward of ``max(x, dim, keepdim)``/``min``, whose result took `x`'s elements at
    `indices` (as torch's value_selecting_reduction_backward, only the indices are saved):
    the gradient scattered into zeros there. The dim is wrapped when backward runs (the op
    has checked it)."""
    dim = _arg(args, kwargs, 1, "dim")
    keepdim = _arg(args, kwargs, 2, "keepdim", False)
    meta = Like((x._shape, x.dtype, x.device))

    def backward(grads):
        g = grads[0]
        if g is None:
            return (None,)
        if not meta._shape:
            return (g,)
        d = wrap_dim(dim, len(meta._shape))
        index = indices if keepdim else indices.unsqueeze(d)
        return (into_zeros(_zeros_of(meta), "scatter", d, index, g if keepdim else g.unsqueeze(d)),)
    return backward


rule("max")(_extreme("MaxBackward1"))
rule("min")(_extreme("MinBackward1"))


def _amax_rule(node):
    def make(args, kwargs, out):
        x = args[0]
        dims = _dims(x, _arg(args, kwargs, 1, "dim", ()))
        keepdim = _arg(args, kwargs, 2, "keepdim", False)
        return node, (x,), lambda g: (_evenly(g, x, out, dims, keepdim),)
    return make


rule("amax")(_amax_rule("AmaxBackward0"))
rule("amin")(_amax_rule("AminBackward0"))


@one_input
@rule("logsumexp")
def _logsumexp(args, kwargs, out):
    x = args[0]
    dims = _dims(x, _arg(args, kwargs, 1, "dim"))
    keepdim = _arg(args, kwargs, 2, "keepdim", False)
    return "LogsumexpBackward0", (x,), lambda g: (
        _unreduce(g, x, dims, keepdim) * (x - _unreduce(out, x, dims, keepdim)).exp(),)


@one_input
@rule("softmax")
def _softmax(args, kwargs, out):
    x, d = args[0], _arg(args, kwargs, 1, "dim")
    meta = like(x)
    return "SoftmaxBackward0", (x,), lambda g: (_for(_fused_or(
        g, out, d, False, lambda: out * (g - (g * out).sum(d, keepdim=True))), meta),)


@one_input
@rule("log_softmax")
def _log_softmax(args, kwargs, out):
    x, d = args[0], _arg(args, kwargs, 1, "dim")
    meta = like(x)
    return "LogSoftmaxBackward0", (x,), lambda g: (_for(_fused_or(
        g, out, d, True, lambda: g - out.exp() * g.sum(d, keepdim=True)), meta),)


def _fused_or(g, out, d, log, composed):
    """(log-)softmax's input gradient by its one-kernel form (`reduce.fused_softmax_backward`)
    when no graph is being built of the backward pass and the tensors allow it; else
    `composed()`, made of recorded ops (so a second derivative exists)."""
    if not grad_mode.is_grad_enabled() and type(d) is int:
        fused = reduce.fused_softmax_backward(g, out, d, log)
        if fused is not None:
            return fused
    return composed()


def _variance_rule(node, root):
    def make(args, kwargs, out):
        x = args[0]
        dim = _arg(args, kwargs, 1, "dim")
        unbiased = _arg(args, kwargs, 2, "unbiased")
        keepdim = _arg(args, kwargs, 3, "keepdim", False)
        if isinstance(dim, bool):  # var(x, unbiased)
            dim, unbiased = None, dim
        correction = kwargs.get("correction")
        if correction is None:
            correction = 0 if unbiased is False else 1
        dims = _dims(x, dim)
        count = 1
        for d in dims:
            count *= x._shape[d]

        kept = out if root else None  # (torch's saved tensors: var keeps x, std x and its result)

        def backward(g):  # torch's std_backward and var_backward, in their order
            g = _unreduce(g, x, dims, keepdim)
            if root:  # (a zero standard deviation passes no gradient, not nan)
                result = _unreduce(kept, x, dims, keepdim)
                g = (g / (result * 2)).masked_fill(result == 0, 0)
            scale = 2 / (count - correction) if count - correction > 0 else math.inf
            return (scale * g * (x - x.mean(dims, keepdim=True)),)
        return node, (x,), backward, (x, kept)
    return make


rule("var", keeps_out=False)(_variance_rule("VarBackward0", False))
rule("std", keeps_out=True)(_variance_rule("StdBackward0", True))


@one_input
@rule("norm")
def _norm(args, kwargs, out):
    x = args[0]
    p = _arg(args, kwargs, 1, "p", "fro")
    dim = _arg(args, kwargs, 2, "dim")
    keepdim = _arg(args, kwargs, 3, "keepdim", False)
    p = 2.0 if p == "fro" else p
    if isinstance(p, str) or not isinstance(p, (int, float)):
        raise NotImplementedError(f"nbtensor: the derivative of norm with p={p!r} is not implemented")
    dims = _dims(x, dim)
    return "LinalgVectorNormBackward0", (x,), lambda g: (
        _norm_grad(_unreduce(g, x, dims, keepdim), x, float(p), _unreduce(out, x, dims, keepdim), dims),)


def _norm_grad(g, x, p, n, dims):
    """torch's norm_backward for the vector p-norm `n` of `x` (reduced dims kept as size 1)."""
    if p == 0.0:
        return None  # (torch's: no gradient at all, so .grad stays None)
    if p == 1.0:
        return x.sign() * g
    if p == 2.0:
        return g * (x / n).masked_fill(n == 0, 0)
    if math.isinf(p):  # the elements whose magnitude is the norm (or NaN) share the gradient
        magnitude = x.abs()
        hit = (magnitude == n) | magnitude.isnan()
        return x.sign() * ((g / hit.sum(dims, keepdim=True)) * hit)
    if p < 1.0:
        scaled = x.sign() * (x.abs() ** (p - 1)).masked_fill(x == 0, 0)
        return scaled * g * n ** (1 - p)
    scaled = x.sign() * x.abs() ** (p - 1) if p < 2.0 else x * x.abs() ** (p - 2)
    return scaled * (g / n ** (p - 1)).masked_fill(n == 0, 0)


@one_input
@rule("cumsum")
def _cumsum(args, kwargs, out):
    x, d = args[0], _arg(args, kwargs, 1, "dim")
    meta = like(x)  # (torch saves no tensor: writing into x later is allowed)
    return "CumsumBackward0", (x,), lambda g: (_for(g.flip(d).cumsum(d).flip(d), meta),), ()


@rule("nanmean")
def _nanmean(args, kwargs, out):
    x, dim, keepdim, dims = _reduction(args, kwargs)

    def backward(g):  # nansum / count of the others: NaN elements get no share
        nan = x.isnan()
        count = nan.logical_not().sum(dims, keepdim=True)
        return ((_unreduce(g, x, dims, keepdim) / count).masked_fill(nan, 0),)
    return "DivBackward0", (x,), backward


def _with_mean(node, moment):
    """var_mean / std_mean: the gradients of the moment's rule and of mean's, added."""
    def make(args, kwargs, out):
        x, dim = args[0], _arg(args, kwargs, 1, "dim")
        keepdim = _arg(args, kwargs, 3, "keepdim", False)
        moment_backward = RULES[moment](args, kwargs, out[0])[2]
        mean_dim = None if isinstance(dim, bool) else dim
        mean_backward = RULES["mean"]((x, mean_dim, keepdim) if mean_dim is not None else (x,),
                                      {"keepdim": keepdim} if mean_dim is None else {}, out[1])[2]

        def backward(grads):
            parts = [f(g)[0] for f, g in ((moment_backward, grads[0]), (mean_backward, grads[1])) if g is not None]
            return (parts[0] if len(parts) == 1 else parts[0] + parts[1],)
        return node, (x,), backward
    return make


rule("var_mean")(_with_mean("VarMeanBackward0", "var"))
rule("std_mean")(_with_mean("StdMeanBackward0", "std"))


@rule("aminmax")
def _aminmax(args, kwargs, out):
    x = args[0]
    dims = _dims(x, kwargs.get("dim"))
    keepdim = kwargs.get("keepdim", False)

    def backward(grads):  # each extreme shared by its tied elements, as amin's and amax's
        parts = [_evenly(g, x, value, dims, keepdim) for g, value in zip(grads, out) if g is not None]
        return (parts[0] if len(parts) == 1 else parts[0] + parts[1],)
    return "AminmaxBackward0", (x,), backward


@rule("logcumsumexp")
def _logcumsumexp(args, kwargs, out):
    x, d = args[0], _arg(args, kwargs, 1, "dim")

    def backward(g):
        if not x._shape or not x.numel():
            return (g,)  # (as torch's: the gradient as it is, which a second derivative sees as constant)
        # grad_i = sum over j >= i of g_j exp(x_i - out_j), split by the sign of g so that each
        # part is a reversed logcumsumexp (finite where the plain sum would overflow). As
        # torch's: log|g| masked by `where` to the lowest finite float (not log(0) = -inf,
        # whose derivative made the second derivative nan)
        lowest = finfo(g.dtype).min
        log_abs = g.abs().log()

        def part(positive):
            shifted = log_abs.where(g > 0 if positive else g < 0, lowest) - out
            return (shifted.flip(d).logcumsumexp(d).flip(d) + x).exp()
        return (part(True) - part(False),)
    return "LogcumsumexpBackward0", (x,), backward


def _reverse_cumsum(t, d):
    """The cumulative sum of `t` along `d` from its end: element i sums t_j for j >= i."""
    return t.flip(d).cumsum(d).flip(d)


@rule("cumprod")
def _cumprod(args, kwargs, out):
    x, d = args[0], _arg(args, kwargs, 1, "dim")

    def backward(g):
        if x.numel() <= 1 or x._shape[d % x.dim()] == 1:
            return (g,)  # (as torch's: the gradient as it is, which a second derivative sees as constant)
        if not bool((x == 0).any()):  # torch's: the reversed cumulative sum of g·out, over x
            return (_for(_reverse_cumsum(g * out, d) / x, x),)
        if grad_mode.is_grad_enabled():  # (create_graph)
            return (_cumprod_grad_from_spans(g, x, d),)
        return (_for(_cumprod_grad_with_zeros(g, x, d, out), x),)
    return "CumprodBackward0", (x,), backward


def _cumprod_grad_with_zeros(g, x, d, out):
    """cumprod's gradient where `x` holds zeros, in O(n) per slice (torch's): before a slice's
    first zero, x_i divides out_j exactly as without zeros; at the first zero z, grad_z is
    the reversed cumulative sum of g_j · prod(x_k, k <= j, k != z), the cumulative product of
    x with x_z set to 1; after it, every product holds x_z = 0. Its values only: after the
    first zero it is a constant 0, whose own derivative is not (see `_cumprod_grad_from_spans`)."""
    zeros = x == 0
    seen = zeros.cumsum(d)
    before_first, at_first = seen == 0, zeros & (seen == 1)
    divided = _reverse_cumsum(g * out, d) / x.masked_fill(before_first.logical_not(), 1)
    at_zero = _reverse_cumsum(g * x.masked_fill(at_first, 1).cumprod(d), d)
    return divided.where(before_first, at_zero.masked_fill(at_first.logical_not(), 0))


def _cumprod_grad_from_spans(g, x, d):
    """cumprod's gradient, differentiable everywhere (for create_graph, where x holds zeros):
    grad_i = sum over j >= i of g_j · prod(x_k, k <= j, k != i), from the products of every
    (i, j) span — an n × n table per slice, O(n²) as torch's double backward of cumprod is."""
    moved = x.movedim(d, -1) if x.dim() else x.reshape(1)
    n = moved._shape[-1]
    after = creation.ones((n, n), dtype=dt.bool, device=x.device).tril()  # k <= i: left out
    spans = moved.unsqueeze(-2).expand(*moved._shape[:-1], n, n).masked_fill(after, 1).cumprod(-1)
    before = moved.roll(1, -1).masked_fill(creation.arange(n, device=x.device) == 0, 1).cumprod(-1)
    upper = creation.ones((n, n), dtype=dt.bool, device=x.device).triu()
    gm = g.movedim(d, -1) if x.dim() else g.reshape(1)
    total = (spans.masked_fill(upper.logical_not(), 0) * gm.unsqueeze(-2)).sum(-1) * before
    return total.movedim(-1, d) if x.dim() else total.reshape(())


@rule("prod")
def _prod(args, kwargs, out):
    x, dim, keepdim, dims = _reduction(args, kwargs)

    def backward(g):
        if not x._shape:  # torch's prod_backward of a 0-d x: g itself (no result / x: not
            return (g,)   # nan at x = 0, inf or nan, and no dependence on x under create_graph)
        zeros = int((x == 0).sum())
        if not zeros:  # torch's prod_backward without zeros: g * (result / x)
            return (_unreduce(g, x, dims, keepdim) * (_unreduce(out, x, dims, keepdim) / x),)
        if dim is None and zeros > 1 and not grad_mode.is_grad_enabled():
            return (creation.zeros_like(x),)  # (torch's: every product of the others holds a zero)
        # the product of the other elements, exact with zeros among them: exclusive
        # products from both sides along each reduced dimension (torch's prod_safe_zeros_backward)
        # (with recorded forms only, so that under create_graph the result stays connected to
        # x through cumprod's rule; ops.joining.cat would cut it off silently)
        flat = x.reshape(-1) if dim is None else x.movedim(dims[0], -1)
        first = creation.zeros(flat._shape, dtype=dt.bool, device=x.device)
        first[..., 0] = True
        left = flat.roll(1, -1).masked_fill(first, 1).cumprod(-1)  # [1, x0, x0 x1, ...]
        right = flat.flip(-1).roll(1, -1).masked_fill(first, 1).cumprod(-1).flip(-1)
        others = left * right
        others = others.reshape(x._shape) if dim is None else others.movedim(-1, dims[0])
        return (_unreduce(g, x, dims, keepdim) * others,)
    if dim is not None and len(dims) != 1 and x._shape:
        return None
    return ("ProdBackward0" if dim is None else "ProdBackward1"), (x,), backward


# ---------------------------------------------------------------- views and data movement
def _reshaped_to(shape):
    """The backward of a view that reshapes a tensor of `shape` (only the shape is kept)."""
    return lambda g: (g.reshape(shape),)


@one_input
@rule("view", "reshape", "view_as", "reshape_as", "flatten", "unflatten", "squeeze", "unsqueeze",
      "ravel", saves=False)
def _reshape(args, kwargs, out):
    return "ViewBackward0", (args[0],), _reshaped_to(args[0]._shape)


def _squeeze_node(dim):
    """torch names squeeze's node after the form: every size-1 dim, one dim, or a tuple of them."""
    return "SqueezeBackward0" if dim is None else "SqueezeBackward1" if isinstance(dim, numbers.Integral) \
        else "SqueezeBackward2"


@one_input
@rule("squeeze", saves=False)
def _squeeze(args, kwargs, out):
    return _squeeze_node(_arg(args, kwargs, 1, "dim")), (args[0],), _reshaped_to(args[0]._shape)


@rule("T", saves=False)
def _reversed_dims(args, kwargs, out):
    x = args[0]  # x.T reverses every dimension (a deprecated use beyond 2-D): so does its gradient
    return "PermuteBackward0", (x,), lambda g: (g.permute(*range(g.dim() - 1, -1, -1)),)


def _t_backward(ndim):
    """The backward of ``t()`` (and mT, adjoint, H, mH) of a tensor with `ndim` dims."""
    if ndim < 2:
        return lambda g: (g,)
    return lambda g: (g.mT if ndim > 2 else g.t(),)


@one_input
@rule("t", "mT", "adjoint", "H", "mH", saves=False)
def _t(args, kwargs, out):
    return "TBackward0", (args[0],), _t_backward(len(args[0]._shape))


def _swapped(d0, d1):
    return lambda g: (g.transpose(d0, d1),)


@one_input
@rule("transpose", "swapaxes", "swapdims", saves=False)
def _transpose(args, kwargs, out):
    return "TransposeBackward0", (args[0],), _swapped(_arg(args, kwargs, 1, "dim0"), _arg(args, kwargs, 2, "dim1"))


@rule("permute", saves=False)
def _permute(args, kwargs, out):
    x = args[0]
    dims = args[1:] if len(args) > 1 else kwargs.get("dims")
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    order = [wrap_dim(d, x.dim()) for d in dims]
    inverse = [order.index(i) for i in range(len(order))]
    return "PermuteBackward0", (x,), lambda g: (g.permute(inverse),)


def _summed_to(shape):
    return lambda g: (sum_to(g, shape),)


@one_input
@rule("expand", "expand_as", "broadcast_to", saves=False)
def _expand(args, kwargs, out):
    return "ExpandBackward0", (args[0],), _summed_to(args[0]._shape)


def _positions(x):
    """Each element's row-major position in `x`, as an int64 tensor of x's shape and device."""
    return creation.arange(x.numel(), device=x.device).reshape(x._shape)


def _scatter_back(x, gathered):
    """The gradient of a data-movement op from its output gradients and the positions in `x`
    each output element came from (repeats add up)."""
    x = like(x)
    n = 1
    for size in x._shape:
        n *= size

    def backward(grads):
        total = creation.zeros(n, dtype=x.dtype, device=x.device)
        for g, pos in zip(grads, gathered):
            if g is not None:
                total = total.index_add(0, pos.reshape(-1), g.reshape(-1).to(x.dtype))
        return (total.reshape(x._shape),)
    return backward


def _moving(node, names, forward, several=False):
    """Rules for ops that only move, select or repeat elements of their first argument: the
    backward adds each output gradient back where the element came from (found by running
    the op, `forward`, on the elements' positions); returns the rule."""
    def make(args, kwargs, out):
        x = args[0]
        pos = forward(_positions(x), *args[1:], **kwargs)
        if several:
            return node, (x,), _scatter_back(x, pos)
        backward = _scatter_back(x, (pos,))
        return node, (x,), lambda g: backward((g,))
    return rule(*names)(make)


_moving("IndexBackward0", ("__getitem__",), lambda p, *a, **k: p.__getitem__(*a, **k))
_plain_getitem = RULES["__getitem__"]


def _zeros_of(meta):
    """Zeros of the shape, dtype and device of `meta` (a tensor's `Like`)."""
    return creation.zeros(meta._shape, dtype=meta.dtype, device=meta.device)


def into_zeros(zeros, name, *args):
    """``zeros.<name>(*args)`` for fresh `zeros` and an out-of-place op `name` (scatter_add,
    index_add): written into `zeros` itself, except under create_graph (grad mode on in
    backward), where the out-of-place form is recorded."""
    if grad_mode._state.enabled:
        return getattr(zeros, name)(*args)
    return getattr(zeros, name + "_")(*args)


def _is_index_array(item):
    """True for an integer index tensor, a range or a list of ints (not a bool mask)."""
    if type(item) is Tensor:
        return not item.dtype.is_floating_point and item.dtype is not dt.bool
    return type(item) is range or type(item) is list and all(type(i) is int for i in item)


def _index_tensor(item, device):
    """An index array (see `_is_index_array`) as a tensor on `device` (a tensor as it is)."""
    if type(item) is Tensor:
        return item
    if type(item) is range:
        return creation.arange(item.start, item.stop, item.step, device=device)
    return creation.tensor(item, dtype=dt.int64, device=device)


def _basic_getitem_backward(meta, index):
    """The backward of ``x[index]`` for a basic index (ints, slices, None, Ellipsis) of a
    tensor like `meta`: it selects no element twice, so the gradient is written into zeros."""
    def backward(g):
        z = _zeros_of(meta)
        z[index] = g
        return (z,)
    return backward


def _getitem_backward(x, index):
    """The backward of ``x[index]`` for an advanced index without running it on x's
    positions: an index made only of integer index arrays, masks and full slices adds the
    gradient (``index_put_`` accumulating repeats); None for other forms (mixed: the
    positions rule)."""
    items = index if type(index) is tuple else (index,)
    meta = like(x)
    if len(items) <= len(meta._shape) and all(_is_put_index(item) for item in items):
        return _put_backward(meta, items)
    return None


def _put_backward(meta, items):
    """`_getitem_backward`'s backward for index `items` of a tensor like `meta`."""
    def gathered(g):
        arrays = tuple(None if type(item) is slice else _index_tensor(item, meta.device) for item in items)
        return (_zeros_of(meta).index_put_(arrays, g, accumulate=True),)
    return gathered


def _is_put_index(item):
    """True for an item index_put_ takes as it is: an index array, a bool mask or a full
    slice (index_put_'s None)."""
    if type(item) is slice:
        return item == _ALL
    return _is_index_array(item) or type(item) is Tensor and item.dtype is dt.bool


_ALL = slice(None)


def _tensors_in(index):
    """The tensors of an index (what backward reads: torch saves them)."""
    if type(index) is Tensor:
        return (index,)
    return tuple(item for item in index if type(item) is Tensor) if type(index) is tuple else ()


@one_input
@rule("__getitem__")
def _getitem(args, kwargs, out):
    """x[index]: torch names the node after the last item it applies (an advanced index, an
    int, a slice or None)."""
    x, index = args[0], args[1]
    if type(index) is int:  # (``x[i]``, a loop's common index)
        return "SelectBackward0", (x,), _basic_getitem_backward(Like((x._shape, x.dtype, x.device)), index), ()
    if type(index) is Tensor and index._shape:  # (``x[rows]``, ``x[mask]``; a 0-d index selects, as an int)
        if index.dtype is dt.int64 and x._shape:  # (`_getitem_backward`'s case, without walking the index)
            return "IndexBackward0", (x,), _put_backward(Like((x._shape, x.dtype, x.device)), (index,)), (index,)
    else:
        items = index if type(index) is tuple else (index,)
        name = "SliceBackward0"
        for item in items:  # (one pass: basic indexing, the common case, needs nothing else)
            kind = type(item)
            if kind is int:
                name = "SelectBackward0"
            elif kind is slice:
                if item != _ALL:
                    name = "SliceBackward0"
            elif item is None:
                name = "UnsqueezeBackward0"
            elif kind is Tensor and not item._shape and item.dtype in _SELECTING:
                name = "SelectBackward0"  # (a 0-d integer tensor selects, as its int: torch's node)
            elif item is not Ellipsis:
                break
        else:
            if name == "SelectBackward0" and kind is not int:  # (backward reads the ints of now)
                index = tuple(int(item.item()) if type(item) is Tensor else item for item in items)
            return name, (x,), _basic_getitem_backward(like(x), index), ()
    direct = _getitem_backward(x, index)
    made = _plain_getitem(args, kwargs, out) if direct is None else (None, (x,), direct, _tensors_in(index))
    return ("IndexBackward0",) + made[1:]


_SELECTING = (dt.int64, dt.int32, dt.int16, dt.int8)  # (a 0-d index of these selects; uint8 and bool mask)


_moving("NarrowBackward0", ("narrow",), lambda p, *a, **k: p.narrow(*a, **k))
_moving("SelectBackward0", ("select",), lambda p, *a, **k: p.select(*a, **k))
_moving("DiagonalBackward0", ("diagonal",), lambda p, *a, **k: p.diagonal(*a, **k))


@one_input
@rule("gather")
def _gather(args, kwargs, out):
    x, dim, index = args[0], _arg(args, kwargs, 1, "dim"), _arg(args, kwargs, 2, "index")
    meta = like(x)
    # torch saves x (for its sizes) and the index: writing into either later raises at backward
    return "GatherBackward0", (x,), lambda g: (into_zeros(_zeros_of(meta), "scatter_add", dim, index, g),), \
        (x, index)


@one_input
@rule("index_select")
def _index_select(args, kwargs, out):
    x, dim, index = args[0], _arg(args, kwargs, 1, "dim"), _arg(args, kwargs, 2, "index")
    meta = like(x)
    return "IndexSelectBackward0", (x,), lambda g: (into_zeros(_zeros_of(meta), "index_add", dim, index, g),)


@one_input
@rule("masked_select")
def _masked_select(args, kwargs, out):
    """The gradient goes back to the selected positions (of x broadcast with the mask) in
    row-major order, then is summed to x's shape."""
    x, mask = args[0], _arg(args, kwargs, 1, "mask")
    meta = like(x)

    def backward(g):
        full = broadcast_shapes(meta._shape, mask._shape)
        z = creation.zeros(full, dtype=meta.dtype, device=meta.device)
        return (sum_to(z.index_put_((mask.expand(full),), g), meta._shape),)
    return "MaskedSelectBackward0", (x,), backward, (x, mask)  # (torch's saved tensors)


_take_positions = _moving("TakeBackward0", (), lambda p, *a, **k: p.take(*a, **k))


@rule("take")
def _take(args, kwargs, out):
    made = _take_positions(args, kwargs, out)
    return made + ((_arg(args, kwargs, 1, "index"),),)  # (torch saves the index; backward reads positions made of it)


_moving("FlipBackward0", ("flip",), lambda p, *a, **k: p.flip(*a, **k))
_moving("RollBackward0", ("roll",), lambda p, *a, **k: p.roll(*a, **k))
_moving("RepeatBackward0", ("repeat",), lambda p, *a, **k: p.repeat(*a, **k))
_moving("MovedimBackward0", ("movedim", "moveaxis"), lambda p, *a, **k: p.movedim(*a, **k))
_moving("SplitBackward0", ("split",), lambda p, *a, **k: p.split(*a, **k), several=True)
_split = RULES["split"]


@rule("split", "split_with_sizes")
def _split_rule(args, kwargs, out):
    """torch names the node of a split into given sizes SplitWithSizesBackward0."""
    if kwargs and "split_sizes" in kwargs:  # (split_with_sizes' name for split's argument)
        kwargs = dict(kwargs)
        kwargs["split_size_or_sections"] = kwargs.pop("split_sizes")
    made = _split(args, kwargs, out)
    sizes = _arg(args, kwargs, 1, "split_size_or_sections")
    return ("SplitBackward0" if isinstance(sizes, numbers.Integral) else "SplitWithSizesBackward0",) + made[1:]


_moving("SplitBackward0", ("tensor_split",), lambda p, *a, **k: p.tensor_split(*a, **k), several=True)
_moving("ChunkBackward0", ("chunk",), lambda p, *a, **k: p.chunk(*a, **k), several=True)
_moving("UnbindBackward0", ("unbind",), lambda p, *a, **k: p.unbind(*a, **k), several=True)


def _keep_where(name, mask_of):
    def make(args, kwargs, out):
        x = args[0]
        keep = mask_of(x, args, kwargs)
        return name, (x,), lambda g: (g * keep,)
    return make


rule("tril")(_keep_where("TrilBackward0", lambda x, a, k: creation.ones_like(x).tril(*a[1:], **k)))
rule("triu")(_keep_where("TriuBackward0", lambda x, a, k: creation.ones_like(x).triu(*a[1:], **k)))


@rule("cat", "concat", "concatenate", saves=False)
def _cat(args, kwargs, out):
    tensors = list(_arg(args, kwargs, 0, "tensors"))
    d = _arg(args, kwargs, 1, "dim", 0)
    for first in tensors:
        if first._shape != (0,):  # torch skips empty 1-D tensors
            if not (type(d) is int and 0 <= d < len(first._shape)):  # (the common dim needs no wrapping)
                d = wrap_dim(d, len(first._shape))
            break
    else:
        d = 0
    sizes = [like(t) if t._shape == (0,) else t._shape[d] for t in tensors]

    def backward(g):
        grads, start = [], 0
        for n in sizes:
            if type(n) is int:
                grads.append(g.narrow(d, start, n))
                start += n
            else:  # a skipped tensor's gradient: empty, as torch's
                grads.append(_zeros_of(n))
        return grads
    return "CatBackward0", tensors, backward


@rule("stack", saves=False)
def _stack(args, kwargs, out):
    tensors = list(_arg(args, kwargs, 0, "tensors"))
    d = wrap_dim(_arg(args, kwargs, 1, "dim", 0), tensors[0].dim() + 1)
    return "StackBackward0", tensors, lambda g: list(g.unbind(d))


# ---------------------------------------------------------------- products
@rule("mm")
def _mm(args, kwargs, out):
    x, y = args[0], _arg(args, kwargs, 1, "mat2")
    return "MmBackward0", (x, y), lambda g: (_mat1_grad(g, x, y) if _wants(x) else None,
                                             _mat2_grad(g, x, y) if _wants(y) else None), _product_saves(x, y)


@rule("bmm")
def _bmm(args, kwargs, out):
    x, y = args[0], _arg(args, kwargs, 1, "mat2")
    return "BmmBackward0", (x, y), lambda g: (g.bmm(y.mT) if _wants(x) else None,
                                              x.mT.bmm(g) if _wants(y) else None)


@rule("mv")
def _mv(args, kwargs, out):
    m, v = args[0], _arg(args, kwargs, 1, "vec")
    return "MvBackward0", (m, v), lambda g: (g.unsqueeze(1) * v.unsqueeze(0) if _wants(m) else None,
                                             m.t().mv(g) if _wants(v) else None)


@rule("dot", "inner", "vdot")
def _dot(args, kwargs, out):
    x, y = args[0], _arg(args, kwargs, 1, "other")
    return "DotBackward0", (x, y), lambda g: (g * y if _wants(x) else None, g * x if _wants(y) else None)


@rule("outer", "ger")
def _outer(args, kwargs, out):
    x, y = args[0], _arg(args, kwargs, 1, "vec2")
    return "OuterBackward0", (x, y), lambda g: (g.mv(y) if _wants(x) else None,
                                                g.t().mv(x) if _wants(y) else None)


def _column_major(m):
    """True for a matrix laid out column by column (a transposed row-major one: ``W.t()``)."""
    return m._strides[0] == 1 and m._strides[1] == m._shape[0]


def _mat1_grad(g, x, y):
    """The gradient of `x` in ``x @ y`` (matrices) from the result's `g`, in `x`'s layout when
    that is column-major, as torch's mm_mat1_backward (no copy to lay it out later)."""
    return y.mm(g.t()).t() if _column_major(x) else g.mm(y.t())


def _mat2_grad(g, x, y):
    """The gradient of `y` in ``x @ y``, in `y`'s layout when that is column-major (torch's
    mm_mat2_backward: nn.Linear's ``W.t()`` gets a gradient whose transpose, W's, is row-major)."""
    return g.t().mm(x).t() if _column_major(y) else x.t().mm(g)


def _matmul_grads(g, x, y):
    want_x, want_y = _wants(x), _wants(y)
    if x.dim() == 2 and y.dim() == 2:  # the common case, in two products
        return _mat1_grad(g, x, y) if want_x else None, _mat2_grad(g, x, y) if want_y else None
    x2 = x.unsqueeze(0) if x.dim() == 1 else x
    y2 = y.unsqueeze(-1) if y.dim() == 1 else y
    if y.dim() == 1:  # (first: a vector times a vector has a 0-d g, which takes -1 only)
        g = g.unsqueeze(-1)
    if x.dim() == 1:
        g = g.unsqueeze(-2)
    gx = sum_to(g.matmul(y2.mT), x2._shape).reshape(x._shape) if want_x else None
    gy = sum_to(x2.mT.matmul(g), y2._shape).reshape(y._shape) if want_y else None
    return gx, gy


def _product_saves(x, y):
    """What a product's backward reads (torch's saved operands): each operand only when the
    other one needs its gradient."""
    return (y if _wants(x) else None, x if _wants(y) else None)


@rule("matmul", "__matmul__")
def _matmul(args, kwargs, out):
    x, y = args[0], args[1] if len(args) > 1 else kwargs.get("other")
    nx, ny = len(x._shape), len(y._shape)
    return (_PRODUCT_NODES.get((nx, ny), "UnsafeViewBackward0"), (x, y), lambda g: _matmul_grads(g, x, y),
            _product_saves(x, y))


_PRODUCT_NODES = {(1, 1): "DotBackward0", (2, 2): "MmBackward0", (2, 1): "MvBackward0"}  # (dims) -> node


@rule("__rmatmul__")
def _rmatmul(args, kwargs, out):
    y, x = args[0], args[1]
    return "MmBackward0", (y, x), lambda g: _matmul_grads(g, x, y)[::-1], _product_saves(x, y)


@rule("addmm")
def _addmm(args, kwargs, out):
    c, x, y = args[0], _arg(args, kwargs, 1, "mat1"), _arg(args, kwargs, 2, "mat2")
    beta, alpha = kwargs.get("beta", 1), kwargs.get("alpha", 1)
    return "AddmmBackward0", (c, x, y), lambda g: (
        _for(g * beta if beta != 1 else g, c) if _wants(c) else None,
        (_mat1_grad(g, x, y) * alpha if alpha != 1 else _mat1_grad(g, x, y)) if _wants(x) else None,
        (_mat2_grad(g, x, y) * alpha if alpha != 1 else _mat2_grad(g, x, y)) if _wants(y) else None), \
        _product_saves(x, y)


# ---------------------------------------------------------------- in-place forms
@rule("zero_", "fill_", saves=False)
def _overwrite(args, kwargs, out):
    x, value = args[0], _arg(args, kwargs, 1, "value")
    name = "ZeroBackward0" if len(args) < 2 and "value" not in kwargs else \
        "FillBackward3" if _is_tensor(value) else "FillBackward2"
    # (torch's zeros for the overwritten tensor: its history still gets a gradient)
    return name, (x, value), lambda g: (creation.zeros_like(g) if _wants(x) else None,
                                        g.sum().reshape(value._shape) if _is_tensor(value) else None)


@rule("copy_", saves=False)
def _copy(args, kwargs, out):
    x, src = args[0], args[1]
    return "CopyBackwards", (x, src), lambda g: (creation.zeros_like(g) if _wants(x) else None, _for(g, src))


@rule("__setitem__")
def _setitem(args, kwargs, out):
    x, index, value = args
    pos = _positions(x)[index]
    shape, value_meta = x._shape, like(value)  # (no values of either are read: nothing saved)

    def backward(g):
        flat = g.reshape(-1).clone()
        written = pos.reshape(-1)
        kept = flat.index_fill(0, written, 0).reshape(shape)
        gv = g.reshape(-1).index_select(0, written).reshape(pos._shape) if value_meta is not None else None
        return kept, _for(gv, value_meta) if gv is not None else None
    name = _setitem_node_name(shape, index, value)
    # (torch's IndexPutBackward0 saves the index tensors; backward reads positions made of them)
    return name, (x, value), backward, _tensors_in(index) if name == "IndexPutBackward0" else ()


def _setitem_node_name(shape, index, value):
    """torch's node for ``x[index] = value``: CopySlices when basic indexing first takes a
    view of part of x (an int, None, or a slice not covering its dimension), else
    IndexPutBackward0 when the index has index tensors or masks, else (``x[:] = value``,
    all of x) the fill or copy's own node."""
    items = index if type(index) is tuple else (index,)
    dims = [_dims_taken(item) for item in items]
    if None in dims:  # (an Ellipsis: the dimensions the other items leave)
        dims[dims.index(None)] = len(shape) - sum(d for d in dims if d is not None)
    dim, advanced = 0, False
    for item, taken in zip(items, dims):
        if item is not Ellipsis:
            if type(item) is slice:
                if item.indices(shape[dim]) != (0, shape[dim], 1):
                    return "CopySlices"
            elif _is_basic_item(item):
                return "CopySlices"
            else:
                advanced = True
        dim += taken
    if advanced:
        return "IndexPutBackward0"
    return "CopyBackwards" if _is_tensor(value) else "FillBackward3"


def _is_basic_item(item):
    """An index item that takes a view (an int, a bool or None, or a 0-d tensor)."""
    if item is None or isinstance(item, (numbers.Integral, np.bool_)):
        return True
    return _is_tensor(item) and not item._shape


def _dims_taken(item):
    """How many dimensions of x an index item stands for (None for an Ellipsis)."""
    if item is Ellipsis:
        return None
    if item is None or isinstance(item, (bool, np.bool_)):
        return 0
    if _is_tensor(item) or isinstance(item, np.ndarray):
        is_mask = item.dtype is dt.bool if _is_tensor(item) else item.dtype == np.bool_
        return len(item.shape) if is_mask else 1
    return 1
