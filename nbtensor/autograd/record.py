"""Recording: the recorder autograd sets at the dispatch point.

Nothing records until the first tensor requires grad (`_start`, called by
``requires_grad_``): until then every op runs exactly as without autograd. From then on
each form of each op passes through `record`, which returns at once unless grad mode is on
and an argument requires grad; otherwise it runs the op without recording inside and
makes the node the derivative rule of the form describes.
"""
from nbtensor.autograd import grad_mode
from nbtensor.autograd.graph import Node, attach
from nbtensor.autograd.rules import NO_SAVED, NONDIFFERENTIABLE, RULES
from nbtensor.dispatch import dispatcher
from nbtensor.dispatch import tensor as _tensor
from nbtensor.dispatch.tensor import AutogradMeta, Tensor, bump_version, make

_started = False
_WRITES = frozenset()  # the forms that write into their first argument


def _start():
    global _started, _WRITES
    if not _started:
        _started = True
        _WRITES = frozenset(name for name in dispatcher.method_names()
                            if (name.endswith("_") and not name.endswith("__") and name not in _NOT_WRITES)
                            or (name.startswith("__i") and name.endswith("__") and name != "__invert__")
                            or name == "__setitem__")
        dispatcher.set_recorder(record)


_NOT_WRITES = {"requires_grad_", "detach_"}


_tensor.on_requires_grad.append(_start)


def _requires_grad(x):
    if type(x) is Tensor:
        ag = x._ag
        return ag is not None and ag.requires_grad
    if type(x) in (list, tuple):
        return any(type(t) is Tensor and t._ag is not None and t._ag.requires_grad for t in x)
    return False


def _needs_grad(args, kwargs):
    for a in args:
        if _requires_grad(a):
            return True
    for a in kwargs.values():
        if _requires_grad(a):
            return True
    return False


def _floating(result):
    if type(result) is Tensor:
        return result.dtype.is_floating_point
    if isinstance(result, (tuple, list)):
        return any(type(t) is Tensor and t.dtype.is_floating_point for t in result)
    return False


def _inplace_base(name):
    """The out-of-place form an in-place form `name` records as (``add_`` -> ``add``,
    ``__iadd__`` -> ``__add__``), or None."""
    if name.startswith("__i") and name.endswith("__"):
        base = "__" + name[3:]
        return base if base in RULES else None
    if name.endswith("_") and not name.endswith("__"):
        return name[:-1] if name[:-1] in RULES else None
    return None


_OWN_RULE_INPLACE = {"zero_", "fill_", "copy_", "__setitem__"}


def record(name, fn, args, kwargs):
    """Run the form `name` (its function `fn`) and record it when it must be."""
    if name in _WRITES and type(args[0]) is Tensor:
        bump_version(args[0])  # (also under no_grad: a graph may have saved the old values)
    out = kwargs.get("out") if kwargs else None
    if type(out) is Tensor:
        bump_version(out)
    if not grad_mode.is_grad_enabled() or not _needs_grad(args, kwargs):
        return fn(*args, **kwargs)
    if out is not None:
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    base = name if name in _OWN_RULE_INPLACE else _inplace_base(name)
    if base is not None:
        return _record_inplace(name, base, fn, args, kwargs)
    make_rule = RULES.get(name)
    with grad_mode.no_grad():
        result = fn(*args, **kwargs)
    if make_rule is None:
        if name in NONDIFFERENTIABLE or not _floating(result):
            return result
        raise NotImplementedError(f"nbtensor: the derivative of '{name}' is not implemented yet")
    made = make_rule(args, kwargs, result)
    if made is not None:
        node_name, inputs, backward = made
        several = type(result) is not Tensor
        node = Node(node_name, backward, inputs, n_outputs=len(result) if several else 1,
                    saves=name not in NO_SAVED)
        attach(result, node)
    return result


def _record_inplace(name, base, fn, args, kwargs):
    self = args[0]
    ag = self._ag
    if ag is not None and ag.requires_grad and ag.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    # the tensor as it was, with its history, for the rule (its values may be overwritten)
    before = make(self._storage, self._offset, self._shape, self._strides, self.dtype)
    with grad_mode.no_grad():
        if base != name or name == "__setitem__":
            before = before.clone()
        before._ag = ag
        result = fn(*args, **kwargs)
    made = RULES[base]((before,) + tuple(args[1:]), kwargs, self)
    if made is not None and self.dtype.is_floating_point:
        node_name, inputs, backward = made
        self._ag = AutogradMeta(grad_fn=Node(node_name, backward, inputs, saves=base not in NO_SAVED))
    return result
