"""Recording: the recorder autograd sets at the dispatch point.

Nothing records until the first tensor requires grad (`_start`, called by
``requires_grad_``): until then every op runs exactly as without autograd. From then on
each form of each op passes through `record`, which returns at once unless grad mode is on
and an argument requires grad; otherwise it runs the op without recording inside and
makes the node the derivative rule of the form describes.
"""
from nbtensor.autograd import grad_mode
from nbtensor.autograd.graph import Node, attach
from nbtensor.autograd import linalg_rules, selection_rules, shape_rules  # noqa: F401  (register their rules)
from nbtensor.autograd.rules import KEEPS_OUT, NO_SAVED, NODE_NAMES, NONDIFFERENTIABLE, RULES, keeps_result
from nbtensor.autograd.views import is_view_of_leaf, note_view, record_on_view
from nbtensor.dispatch import dispatcher
from nbtensor.dispatch import tensor as _tensor
from nbtensor.dispatch.tensor import AutogradMeta, Tensor, bump_version, make

_started = False
_WRITES = frozenset()  # the forms that write into their first argument


def _start():
    global _started, _WRITES
    if not _started:
        _started = True
        names = dispatcher.method_names()
        _WRITES = frozenset(name for name in names
                            if (name.endswith("_") and not name.endswith("__") and name not in _NOT_WRITES)
                            or _augmented(name, names) or name == "__setitem__")
        dispatcher.set_recorder(wrap)


_NOT_WRITES = {"requires_grad_", "detach_"}


def _augmented(name, names):
    """True for an augmented assignment operator (``__iadd__``: ``__add__`` is a form too)."""
    return name.startswith("__i") and name.endswith("__") and "__" + name[3:] in names


_tensor.on_requires_grad.append(_start)


def _any_requires_grad(seq):
    for t in seq:
        if type(t) is Tensor:
            ag = t._ag
            if ag is not None and ag.requires_grad:
                return True
        elif (type(t) is list or type(t) is tuple) and _any_requires_grad(t):
            return True
    return False


def wrap(name, fn):
    """The form `name` as installed while autograd records: it counts in-place writes, and
    hands the call to `record` only when grad mode is on and an argument requires grad (the
    common case returns after a few checks, inlined here)."""
    plan = _plan(name, fn)
    writes = plan[2]
    state = grad_mode._state

    def recorded(*args, **kwargs):
        if writes and args and type(args[0]) is Tensor:
            bump_version(args[0])  # (also under no_grad: a graph may have saved the old values)
        if kwargs:
            out = kwargs.get("out")
            if type(out) is Tensor:
                bump_version(out)
        if not state.enabled:
            return fn(*args, **kwargs)
        for a in args:
            t = type(a)
            if t is Tensor:
                ag = a._ag
                if ag is not None and ag.requires_grad:
                    return record(plan, args, kwargs)
            elif (t is list or t is tuple) and _any_requires_grad(a):
                return record(plan, args, kwargs)
        if kwargs and _any_requires_grad(kwargs.values()):
            return record(plan, args, kwargs)
        return fn(*args, **kwargs)
    return recorded


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


def _untracked(fn, args, kwargs):
    """``fn(*args, **kwargs)`` with grad mode off (the op's insides are not recorded)."""
    state = grad_mode._state
    previous = state.enabled
    state.enabled = False
    try:
        return fn(*args, **kwargs)
    finally:
        state.enabled = previous


def _plan(name, fn):
    """What recording form `name` (whose function is `fn`) takes, worked out once: (name, fn,
    whether it writes into its first argument, the out-of-place form it records as, whether
    its results are differentiable, whether its node keeps tensors)."""
    base = name if name in _OWN_RULE_INPLACE else _inplace_base(name)
    return name, fn, name in _WRITES, base, name not in NONDIFFERENTIABLE, name not in NO_SAVED


def record(plan, args, kwargs):
    """Run a form (`plan` from `_plan`), an argument of which requires grad, and record it."""
    name, fn, writes, base, differentiable, saves = plan
    if kwargs and kwargs.get("out") is not None:
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if not args and "input" in kwargs:  # torch.exp(input=x): rules read the tensor from args[0]
        kwargs = dict(kwargs)
        args = (kwargs.pop("input"),)
    if writes:
        return _record_inplace(name, base, fn, args, kwargs)
    state = grad_mode._state  # (_untracked, inlined: this is every recorded op's path)
    previous = state.enabled
    state.enabled = False
    try:
        result = fn(*args, **kwargs)
    finally:
        state.enabled = previous
    if not differentiable:
        return result
    if type(result) is Tensor:
        if not result.dtype.is_floating_point:
            return result
        for a in args:
            if a is result:
                return result  # (x.contiguous(), x.to(x.dtype), ...: the input itself, already in the graph)
    elif not _floating(result):
        return result
    make_rule = RULES.get(name)  # (looked up per call: a rule may be replaced)
    keeps = KEEPS_OUT.get(name)  # (rules.keeps_result, inlined: every recorded op asks)
    out = result if keeps is None or type(result) is not Tensor or keeps is not True and not keeps(args, kwargs) \
        else _outside_graph(result)
    made = None if make_rule is None else make_rule(args, kwargs, out)
    if made is None:  # a new floating result no rule covers: never drop its gradient silently
        raise NotImplementedError(f"nbtensor: the derivative of '{name}' is not implemented for these "
                                  "arguments yet")
    saved = made[3] if len(made) > 3 else None
    node_name = NODE_NAMES.get(name) or made[0]
    first = args[0]
    if type(result) is Tensor:
        node = Node(node_name, made[2], made[1], 1, saves, saved)
        if out is not result:
            node._output = out
        result._ag = AutogradMeta(True, node, 0)
        if type(first) is Tensor and result._storage is first._storage:
            note_view(result, first)
    else:
        attach(result, Node(node_name, made[2], made[1], len(result), saves, saved), made[1])
        if type(first) is Tensor:
            for t in result:
                if t is not first:
                    note_view(t, first)
    return result


def _outside_graph(t):
    """An alias of `t` (its memory, layout and version) without its autograd history: what
    a rule keeps of its op's result (see rules.KEEPS_OUT)."""
    return make(t._storage, t._offset, t._shape, t._strides, t.dtype)


def _record_inplace(name, base, fn, args, kwargs):
    """An in-place form: it records as its out-of-place rule (`base`) on the old values, and
    the tensor's history moves to the new node."""
    self = args[0]
    ag = self._ag
    if ag is not None and ag.requires_grad and ag.grad_fn is None and ag.base is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if is_view_of_leaf(self):
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    if base is None:
        if name in NONDIFFERENTIABLE and ag is None:
            return _untracked(fn, args, kwargs)  # (x.normal_(...) on a tensor outside the graph)
        raise NotImplementedError(f"nbtensor: the derivative of '{name}' is not implemented yet")
    # the tensor as it was, with its history, for the rule (its values may be overwritten)
    before = make(self._storage, self._offset, self._shape, self._strides, self.dtype)
    if base != name or name == "__setitem__":
        before = _untracked(before.clone, (), {})
    before._ag = ag
    result = _untracked(fn, args, kwargs)
    if not self.dtype.is_floating_point:
        return result  # (an integer tensor holds no gradient)
    keeps = keeps_result(base, (before,) + tuple(args[1:]), kwargs) and (ag is None or ag.base is None)  # (a view's node is made elsewhere)
    out = _outside_graph(self) if keeps else self
    made = RULES[base]((before,) + tuple(args[1:]), kwargs, out)
    if made is None:
        raise NotImplementedError(f"nbtensor: the derivative of '{name}' is not implemented for these "
                                  "arguments yet")
    node_name, inputs, backward = made[:3]
    node_name = NODE_NAMES.get(name, node_name)
    if ag is not None and ag.base is not None:  # a view: its base's history changes too
        record_on_view(self, node_name, backward, inputs, base not in NO_SAVED)
        return result
    node = Node(node_name, backward, inputs, saves=base not in NO_SAVED, saved=made[3] if len(made) > 3 else None)
    if out is not self:
        node._output = out
    self._ag = AutogradMeta(grad_fn=node)
    return result
