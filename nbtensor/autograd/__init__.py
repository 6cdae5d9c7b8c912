"""``nbtensor.autograd``: reverse-mode automatic differentiation, as torch's.

Ops are recorded at the dispatch point (`record`), each by the derivative rule of its form
(`rules`); `graph` holds the nodes and runs them backwards. Recording starts the first time
a tensor requires grad, so programs that never ask for gradients pay nothing.
"""
from nbtensor.autograd import memory_rules as _memory_rules  # noqa: F401  (before recording starts)
from nbtensor.autograd import record as _record  # noqa: F401  (hooks recording into the dispatcher)
from nbtensor.autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled,  # noqa: F401
                                         is_inference_mode_enabled, no_grad, set_grad_enabled)
from nbtensor.autograd.api import backward, grad
from nbtensor.autograd import function, functional  # noqa: F401  (torch.autograd.function.once_differentiable)
from nbtensor.autograd.anomaly_mode import (detect_anomaly, is_anomaly_check_nan_enabled,  # noqa: F401
                                            is_anomaly_enabled, set_detect_anomaly)
from nbtensor.autograd.function import Function, FunctionCtx  # noqa: F401
from nbtensor.autograd.variable import Variable  # noqa: F401
from nbtensor.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: F401
from nbtensor.autograd.graph import Node
from nbtensor.dispatch import dispatcher as forms

__all__ = ["backward", "grad", "gradcheck", "gradgradcheck", "Function", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled"]


# ---------------------------------------------------------------- Tensor methods
def _backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(self)/d(leaf) into each leaf's ``.grad`` (`gradient` weights a
    non-scalar `self`)."""
    backward(self, gradient, retain_graph, create_graph, inputs)


def _retain_grad(self):
    """Keep this non-leaf tensor's gradient in ``.grad`` when ``backward()`` runs."""
    ag = self._ag
    if ag is None or not ag.requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if ag.grad_fn is None or ag.retains_grad:
        return
    ag.retains_grad = True
    node = ag.grad_fn
    if node._retained is None:
        node._retained = {}
    node._retained[ag.output_nr] = self


def _retains_grad(self):
    ag = self._ag
    return ag is not None and ag.retains_grad


class _RemovableHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _register_hook(self, hook):
    """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
    replaces the gradient. Returns a handle whose ``remove()`` unregisters it."""
    ag = self._ag
    if ag is None or not ag.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if ag.grad_fn is None:
        if ag.hooks is None:
            ag.hooks = []
        hooks = ag.hooks
    else:
        node = ag.grad_fn
        if node._pre_hooks is None:
            node._pre_hooks = {}
        hooks = node._pre_hooks.setdefault(ag.output_nr, [])
    hooks.append(hook)
    return _RemovableHandle(hooks, hook)


def _register_post_accumulate_grad_hook(self, hook):
    """Call ``hook(self)`` each time backward has accumulated a gradient into this leaf's
    ``.grad``. Returns a handle whose ``remove()`` unregisters it."""
    ag = self._ag
    if ag is None or not ag.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if ag.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if ag.post_accumulate_hooks is None:
        ag.post_accumulate_hooks = []
    ag.post_accumulate_hooks.append(hook)
    return _RemovableHandle(ag.post_accumulate_hooks, hook)


forms.method("register_post_accumulate_grad_hook", _register_post_accumulate_grad_hook)
forms.method("backward", _backward)
forms.method("retain_grad", _retain_grad)
forms.method("retains_grad", property(_retains_grad))
forms.method("register_hook", _register_hook)
_backward.__name__, _retain_grad.__name__, _register_hook.__name__ = "backward", "retain_grad", "register_hook"

Node.__module__ = __name__
