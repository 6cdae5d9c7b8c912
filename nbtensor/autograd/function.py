"""``torch.autograd.Function``: ops whose forward and backward the user writes."""
from nbtensor.autograd import grad_mode
from nbtensor.autograd.graph import Node, attach
from nbtensor.dispatch.tensor import Tensor

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """The ``ctx`` a Function's forward fills and its backward reads."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self._saved = ()

    def save_for_backward(self, *tensors):
        """Keep `tensors` (or None) for backward, as ``ctx.saved_tensors``."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument is of type "
                                f"{type(t).__name__}")
        self._saved = tensors

    @property
    def saved_tensors(self):
        return self._saved

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        self._materialize = value


class Function:
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)``
    (one gradient per forward argument, None for those without one); call ``apply``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        needs = tuple(type(a) is Tensor and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        with grad_mode.no_grad():
            result = cls.forward(ctx, *args, **kwargs)
        if not (grad_mode.is_grad_enabled() and any(needs)):
            return result
        several = type(result) is not Tensor
        n_inputs = len(args)

        def backward(grads):
            grads = grads if several else (grads,)
            given = cls.backward(ctx, *grads)
            given = given if isinstance(given, tuple) else (given,)
            if len(given) != n_inputs:
                raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number of gradients "
                                   f"(expected {n_inputs}, got {len(given)})")
            return given

        node = Node(cls.__name__ + "Backward", backward if several else (lambda g: backward(g)), args,
                    n_outputs=len(result) if several else 1)
        non_diff = getattr(ctx, "_non_differentiable", ())
        attach(result, node)
        for t in non_diff:
            t._ag = None
        return result
