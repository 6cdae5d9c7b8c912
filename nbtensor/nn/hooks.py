"""Module hooks: the handle a ``register_*_hook`` returns, and the machinery of full
backward hooks.

A full backward hook sees the gradients of a module's outputs and of its (positional)
tensor inputs. As torch does, the module's tensor inputs and outputs each pass through one
identity node (``BackwardHookFunctionBackward``): the output node's backward receives the
outputs' gradients (the backward pre-hooks may replace them), the input node's backward
receives the inputs' gradients, calls the hooks with both and passes on what they return.
The nodes are ordinary nodes of nbtensor's graph, so this runs on every device.
"""
import collections
import itertools
import warnings
import weakref

from nbtensor.autograd import grad_mode
from nbtensor.autograd.graph import Node, attach
from nbtensor.dispatch.tensor import Tensor

__all__ = ["RemovableHandle", "BackwardHook"]


class RemovableHandle:
    """What registering a hook returns: ``remove()`` unregisters it (also on leaving a
    ``with`` block); ``id`` is its key in the hooks' dict (unique in the process)."""

    _ids = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._ids)
        extras = extra_dict if isinstance(extra_dict, (list, tuple)) else [] if extra_dict is None else [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras)

    def remove(self):
        """Unregister the hook (a second call does nothing)."""
        for ref in (self.hooks_dict_ref,) + self.extra_dict_ref:
            table = ref()
            if table is not None:
                table.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def hook_dict():
    """A new table of hooks (handle id -> hook), in call order (a handle holds it weakly)."""
    return collections.OrderedDict()


def register(table, hook, prepend=False, flags=()):
    """Put `hook` into `table` under a new handle's id (first with `prepend`); each dict of
    `flags` gets the id too (marks such as "called with kwargs"); returns the handle."""
    handle = RemovableHandle(table, extra_dict=list(flags))
    table[handle.id] = hook
    for flag in flags:
        flag[handle.id] = True
    if prepend:
        table.move_to_end(handle.id, last=False)
    return handle


def _identity_node(tensors, backward):
    """Aliases of `tensors` that are the outputs of one new node named as torch's
    (``BackwardHookFunctionBackward``) whose backward is `backward(grads)` (a list, one per
    tensor)."""
    with grad_mode.no_grad():
        aliases = tuple(t.detach() for t in tensors)
    n = len(tensors)
    node = Node("BackwardHookFunctionBackward", backward if n > 1 else (lambda g: backward([g])), tensors,
                n_outputs=n, saves=False)
    attach(aliases, node)
    for alias, t in zip(aliases, tensors):
        if not t.requires_grad:
            alias._ag = None  # (torch's: those that did not require grad still do not)
    return aliases


class BackwardHook:
    """One call of a module with full backward hooks (or backward pre-hooks): it wraps the
    call's tensor inputs and outputs and runs the hooks when the gradients pass through."""

    def __init__(self, module, hooks, pre_hooks):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = -1
        self.input_index = self.output_index = None

    @staticmethod
    def _spread(index, values, size):
        """A tuple of `size` with `values` at the positions `index`, None elsewhere."""
        out = [None] * size
        for i, v in zip(index, values):
            out[i] = v
        return tuple(out)

    @staticmethod
    def _wrapped(args, backward):
        """(`args` with its tensors replaced by the identity node's outputs, their positions)
        or (`args`, None) when no tensor requires grad or grad mode is off."""
        index = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in index]
        if not (grad_mode.is_grad_enabled() and any(t.requires_grad for t in tensors)):
            return args, None
        out = list(args)
        for i, alias in zip(index, _identity_node(tensors, backward)):
            out[i] = alias
        return tuple(out), index

    def setup_input_hook(self, args):
        """Wrap the module's positional arguments (before forward)."""
        wrapped, self.input_index = self._wrapped(args, self._input_backward)
        self.n_inputs = len(args)
        return wrapped

    def setup_output_hook(self, result):
        """Wrap the module's result: a tensor or a tuple (after the forward hooks)."""
        single = not isinstance(result, tuple)
        outputs = (result,) if single else result
        wrapped, self.output_index = self._wrapped(outputs, self._output_backward)
        self.n_outputs = len(outputs)
        return wrapped[0] if single else wrapped

    def _output_backward(self, grads):
        self.grad_outputs = self._spread(self.output_index, grads, self.n_outputs)
        for pre_hook in self.pre_hooks:
            new = pre_hook(self.module, self.grad_outputs)
            if new is None:
                continue
            if len(new) != len(self.grad_outputs):
                raise RuntimeError(f"Backward pre hook returned an invalid number of grad_output, got {len(new)}, "
                                   f"but expected {len(self.grad_outputs)}")
            self.grad_outputs = new
        passed = self.grad_outputs
        if self.input_index is None:  # no input requires grad: the hooks run now
            warnings.warn("Full backward hook is firing when gradients are computed with respect to module outputs "
                          "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
                          "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=2)
            grad_inputs = (None,) * self.n_inputs
            for hook in self.hooks:
                res = hook(self.module, grad_inputs, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple) and all(r is None for r in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                       "return None or None for all gradients.")
            self.grad_outputs = None
        return tuple(passed[i] for i in self.output_index)

    def _input_backward(self, grads):
        if self.grad_outputs is None:  # (the gradient reached the inputs without passing the outputs)
            return tuple(grads)
        res = self._spread(self.input_index, grads, self.n_inputs)
        for hook in self.hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(res):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(out)}, but "
                                   f"expected {len(res)}")
            res = out
        self.grad_outputs = None
        return tuple(res[i] for i in self.input_index)
