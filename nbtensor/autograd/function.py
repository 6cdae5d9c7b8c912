"""``torch.autograd.Function``: ops whose forward and backward the user writes."""
import functools

from nbtensor.autograd import grad_mode
from nbtensor.autograd.graph import Node, attach
from nbtensor.autograd.inference_checks import holds_inference, refuse_saved
from nbtensor.dispatch.tensor import AutogradMeta, Tensor, bump_version, make_view
from nbtensor.ops.creation import zeros

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """The ``ctx`` a Function's forward (or ``setup_context``) fills and its backward reads."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self._saved = ()
        self._dirty = ()
        self._non_differentiable = ()
        self._materialize = True

    def save_for_backward(self, *tensors):
        """Keep `tensors` (or None) for backward, as ``ctx.saved_tensors``; backward raises if
        one of them is modified in place in between."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument is of type "
                                f"{type(t).__name__}")
        self._saved = tensors

    @property
    def saved_tensors(self):
        return self._saved

    def mark_dirty(self, *tensors):
        """Say that forward modified these input tensors in place (and returns them)."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        """Say that these outputs have no gradient (they do not require grad)."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        """Whether backward receives zeros (True, the default) or None for an output whose
        gradient was not computed."""
        self._materialize = bool(value)


class Function:
    """Subclass with static ``forward`` and ``backward(ctx, *grad_outputs)`` (one gradient
    per forward argument, None for those without one); call ``apply``. ``forward(ctx,
    *args)`` fills ctx itself; or ``forward(*args)`` with a static ``setup_context(ctx,
    inputs, output)`` that does."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        needs = tuple(type(a) is Tensor and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        separate = cls.setup_context is not Function.setup_context
        with grad_mode.no_grad():
            result = cls.forward(*args, **kwargs) if separate else cls.forward(ctx, *args, **kwargs)
            if separate:
                cls.setup_context(ctx, args, result)
        if not (grad_mode.is_grad_enabled() and any(needs)):
            return result
        return _connect(cls, ctx, args, result)


def _connect(cls, ctx, args, result):
    """`result` (forward's outputs) as the outputs of a new node running ``cls.backward``."""
    several = type(result) is not Tensor
    outputs = list(result) if several else [result]
    dirty = ctx._dirty
    for t in dirty:
        _check_dirty(t, outputs)
    if holds_inference(ctx._saved):
        refuse_saved(ctx._saved)
    for i, t in enumerate(outputs):  # an input returned as it is comes back as a new alias
        if type(t) is Tensor and any(t is a for a in args) and not any(t is d for d in dirty):
            outputs[i] = make_view(t._storage, t._offset, t._shape, t._strides, t.dtype)
    shapes = [(t._shape, t.dtype, t.device) if type(t) is Tensor else None for t in outputs]
    n_inputs = len(args)
    materialize = ctx._materialize

    def backward(grads):
        grads = list(grads) if several else [grads]
        if materialize:
            for i, g in enumerate(grads):
                if g is None and shapes[i] is not None:
                    grads[i] = zeros(shapes[i][0], dtype=shapes[i][1], device=shapes[i][2])
        given = cls.backward(ctx, *grads)
        given = given if isinstance(given, tuple) else (given,)
        if len(given) < n_inputs or any(g is not None for g in given[n_inputs:]):
            raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number of gradients "
                               f"(expected {n_inputs}, got {len(given)})")
        return given[:n_inputs]

    node = _FunctionNode(cls.__name__ + "Backward", backward if several else (lambda g: backward(g)), args,
                n_outputs=len(outputs) if several else 1,
                saved=[t for t in ctx._saved if not any(t is d for d in dirty)])
    for t in dirty:
        bump_version(t)
    result = outputs[0] if not several else tuple(outputs) if type(result) is tuple else outputs
    attach(result, node)  # (a dirty input too: its history continues from the node)
    for t in ctx._non_differentiable:
        t._ag = None
    return result


class _FunctionNode(Node):
    """The node of a Function's call (torch prints its module with its name)."""

    __slots__ = ()

    def __repr__(self):
        return f"<{__name__}.{self._name} object at {hex(id(self))}>"


def _check_dirty(t, outputs):
    """torch's errors for a tensor marked dirty: it must be returned, and it may not be a
    leaf that requires grad."""
    if not any(t is o for o in outputs):
        raise RuntimeError("Some elements marked as dirty during the forward method were not returned as output. "
                           "The inputs that are modified inplace must all be outputs of the Function.")
    ag = t._ag
    if ag is not None and ag.requires_grad and ag.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")


def once_differentiable(backward):
    """Decorate a Function's backward that cannot itself be differentiated: it runs without
    recording, and differentiating its results (``create_graph``) raises torch's error."""
    @functools.wraps(backward)
    def wrapper(ctx, *grad_outputs):
        with grad_mode.no_grad():
            given = backward(ctx, *grad_outputs)
        if not grad_mode.is_grad_enabled() or not any(type(g) is Tensor and g.requires_grad for g in grad_outputs):
            return given
        several = isinstance(given, tuple)
        grads = given if several else (given,)
        tensors = [g for g in grads if type(g) is Tensor and g.dtype.is_floating_point]
        if not tensors:
            return given

        def refuse(g):
            raise RuntimeError("trying to differentiate twice a function that was marked with "
                               "@once_differentiable")
        node = Node("Error", refuse, [g for g in grad_outputs if type(g) is Tensor], saves=False)
        grads = tuple(make_view(g._storage, g._offset, g._shape, g._strides, g.dtype)
                      if any(g is t for t in tensors)
                      else g for g in grads)
        for g in grads:
            if type(g) is Tensor and g.dtype.is_floating_point:
                g._ag = AutogradMeta(grad_fn=node)
        return grads if several else grads[0]
    return wrapper
