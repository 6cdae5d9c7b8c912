"""Recording: the recorder autograd sets at the dispatch point.

Nothing records until the first tensor requires grad (`_start`, called by
``requires_grad_``): until then every op runs exactly as without autograd. From then on
each form of each op passes through the function `wrap` makes of it, which returns at once
unless grad mode is on and an argument requires grad; otherwise it runs the op without
recording inside and makes the node the derivative rule of the form describes. It takes
NumPy's keyword names (``axis=``, ``keepdims=``) as the form installed without recording
does (see dispatch/dispatcher.py).

The first time a thread enters ``inference_mode()`` (`_watch_inference`), the forms are
installed again with torch's refusals for inference tensors: before recording starts only
the forms that write get a wrapper (`_wrap_refusing`); once it records, the recorded forms
also refuse a node that keeps an inference tensor (`_refuse_saving_inference`).
"""
import functools
import inspect

from nbtensor.autograd import grad_mode
from nbtensor.core import numpy_names
from nbtensor.autograd.graph import Node, attach, edge_of, node_of, outside_graph
from nbtensor.autograd.inference_checks import holds_inference, refuse_node_saving, refuse_saved_by
from nbtensor.autograd import extra_rules, linalg_rules, math_rules, selection_rules, shape_rules, writer_rules  # noqa: F401,E501
from nbtensor.autograd.rules import (COMPOSITE, FACTORIES, KEEPS_OUT, NO_SAVED, NODE_NAMES, NONDIFFERENTIABLE, RULES,
                                     SIZED_FACTORIES, binary_node, keeps_result)
from nbtensor.autograd.views import (MULTI_OUTPUT_HINT, is_view_of_leaf, note_multi_output_views, note_view,
                                     record_on_view, refresh_view, untracked_view_record, view_node, view_record)
from nbtensor.dispatch import dispatcher
from nbtensor.dispatch import tensor as _tensor
from nbtensor.dispatch.tensor import (_LOGGED, WRITE_CLOCK, AutogradMeta, Tensor, bump_version, is_inference, make_view,
                                     refuse_inference_write, version_of)
from nbtensor.ops.elementwise import fast_into, fast_result

_started = False
# True once a thread has entered inference_mode(): inference tensors may exist, and the forms
# are installed with torch's refusals for them (writes outside inference mode, saving one for
# backward); until then those checks cost nothing
_watching = False
_WRITES = frozenset()  # the forms that write into their first argument


def _start():
    global _started
    if not _started:
        _started = True
        _find_writes()
        dispatcher.set_recorder(wrap)


def _watch_inference():
    """Install every form again with the checks inference tensors need (called when a thread
    first enters ``inference_mode()``). Before autograd records, only the forms that write
    (into their first argument or an ``out=``) change: they refuse to write an inference
    tensor outside inference mode."""
    global _watching
    _watching = True
    _find_writes()
    dispatcher.set_recorder(wrap)


def _find_writes():
    global _WRITES
    if not _WRITES:
        names = dispatcher.method_names()
        _WRITES = frozenset(name for name in names
                            if (name.endswith("_") and not name.endswith("__") and name not in _NOT_WRITES)
                            or _augmented(name, names) or name == "__setitem__")


_NOT_WRITES = {"requires_grad_", "detach_"}


def _augmented(name, names):
    """True for an augmented assignment operator (``__iadd__``: ``__add__`` is a form too)."""
    return name.startswith("__i") and name.endswith("__") and "__" + name[3:] in names


_tensor.on_requires_grad.append(_start)
grad_mode.on_first_inference_mode.append(_watch_inference)
_tensor.grad_enabled = grad_mode.is_grad_enabled


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
    records the call only when grad mode is on and an argument requires grad (the common
    cases return after a few checks). Two kinds of form record a plain call (no keywords)
    by a shorter path: an element-wise form whose rule makes the node itself (and whose
    call first tries the op's kernel-only fast path), and a form whose rule has one input,
    the first argument (views, reductions, indexing: see rules.one_input)."""
    if name in _RESIZES:
        return _wrap_resizing(fn)
    if name in COMPOSITE:
        return fn
    if not _started:  # (installed for inference tensors alone: see `_watch_inference`)
        return _wrap_refusing(name, fn)
    plan = _plan(name, fn)
    if plan[2]:
        return _wrap_writing(plan)
    if not plan[4]:
        return _wrap_sized(fn) if name in SIZED_FACTORIES else _wrap_nondifferentiable(fn, name in FACTORIES)
    state = grad_mode._state
    saves, checking = plan[5], plan[6]
    node_name = NODE_NAMES.get(name)
    renamed = numpy_names.renames(fn)

    rule = RULES.get(name)
    # (a rule whose one input is always the first argument: a call without keywords on a
    # tensor that requires grad makes its node below, see rules.one_input)
    single = getattr(rule, "one_input", False)
    single_keeps = KEEPS_OUT.get(name)  # (registered with `rule`: the same while RULES[name] is `rule`)
    calls_forms = name not in _STRIDE_VIEWS  # (when False, grad mode stays on around the op)
    into = getattr(fn, "plain_into", None)  # (see `plain_into` in ops/elementwise_forms.py)
    into_arity = -1 if into is None else into.arity

    def recorded(*args, **kwargs):
        x = None  # (the first argument, when the short path for `single` rules applies)
        if kwargs:
            out = kwargs.get("out")
            if type(out) is Tensor and len(kwargs) == 1:
                # (``add(x, y, out=z)``: `_take_keywords` and the checks below, inlined)
                bump_version(out)
                ag = out._ag
                if (ag is None or not ag.requires_grad) and not _any_requires_grad(args) or not state.enabled:
                    if len(args) == into_arity and fast_into(into, args, out, False):
                        return out
                    return fn(*args, out=out)
            else:
                _take_keywords(fn, renamed, kwargs)
                if not (_any_requires_grad(args) or _any_requires_grad(kwargs.values())) or not state.enabled:
                    return fn(*args, **kwargs)
            args, kwargs = _recordable_arguments(plan, args, kwargs)
        elif single and args and type(args[0]) is Tensor:
            # (a rule whose one input is the first argument: the others are sizes, dims and
            # indices, which no gradient reaches; ``m[:, 1:3]``'s index is not searched)
            x = args[0]
            ag = x._ag
            if ag is None or not ag.requires_grad or not state.enabled:
                return fn(*args)
        else:
            # (the arguments first: grad mode is thread-local, slower to read than they are)
            for a in args:
                t = type(a)
                if t is Tensor:
                    ag = a._ag
                    if ag is not None and ag.requires_grad:
                        break
                elif (t is list or t is tuple) and _any_requires_grad(a):
                    break
            else:
                return fn(*args)
            if not state.enabled:
                return fn(*args)
        # an argument requires grad: the op runs untracked, then its result joins the graph
        if calls_forms:
            state.enabled = False
            try:
                result = fn(*args, **kwargs) if kwargs else fn(*args)
            finally:
                state.enabled = True
        else:
            result = fn(*args, **kwargs) if kwargs else fn(*args)
        if (x is not None and type(result) is Tensor and result._ag is None and result is not x
                and result.dtype.is_floating_point and RULES.get(name) is rule):
            keeps = single_keeps
            out = result if keeps is None or keeps is not True and not keeps(args, kwargs) else outside_graph(result)
            made = rule(args, {}, out)
            if made is not None:
                # (`connect`, for one input that requires grad, `x`: the node's one edge is x's;
                # a view's node is also its record, see graph.ViewNode)
                if result._storage is not x._storage:
                    node = record = node_of(node_name or made[0], made[2],
                                            ((ag, 0) if type(ag) is Node else ag.edge or edge_of(x),), saves,
                                            made[3] if len(made) > 3 else None)
                else:
                    edge = (ag, 0) if type(ag) is Node else ag.edge or edge_of(x)
                    saved = made[3] if len(made) > 3 else None
                    node = record = view_node(node_name or made[0], made[2], edge, saves, saved, result, x)
                    if node is None:  # (a view of one of several views: see view_node)
                        node = node_of(node_name or made[0], made[2], (edge,), saves, saved)
                        record = view_record(node, result, x)
                if checking:
                    _refuse_saving_inference(args, {}, node)
                if out is not result:
                    node._output = out
                result._ag = record
                return result
        return connect(args, kwargs, result)

    def connect(args, kwargs, result):
        """`result` of the call (args, kwargs), made the output of the node its rule makes."""
        if type(result) is not Tensor:
            return _connect_several(plan, args, kwargs, result)
        if not result.dtype.is_floating_point or result._ag is not None:
            return result  # (an integer result, or an input returned as it is: already in the graph)
        # (`_node`, inlined: every recorded op with one result but the element-wise fast
        # ones takes this path)
        first = args[0]
        view = type(first) is Tensor and result._storage is first._storage
        if view and result is first:
            return result  # (x.type_as(y): an input that requires no grad, returned as it is)
        make_rule = RULES.get(name)  # (looked up per call: a rule may be replaced)
        keeps = KEEPS_OUT.get(name)
        out = result if keeps is None or keeps is not True and not keeps(args, kwargs) else outside_graph(result)
        made = None if make_rule is None else make_rule(args, kwargs, out)
        if made is None:
            _no_rule(name)
        inputs = made[1]
        ag = first._ag if type(first) is Tensor else None
        if ag is not None and len(inputs) == 1 and inputs[0] is first and ag.requires_grad:
            # (one input, the first argument, which requires grad: its edge is known; the
            # common case of views and reductions)
            node = node_of(node_name or made[0], made[2], ((ag.edge or edge_of(first)),), saves,
                           made[3] if len(made) > 3 else None)
        else:
            node = Node(node_name or made[0], made[2], inputs, 1, saves, made[3] if len(made) > 3 else None)
        if checking:
            _refuse_saving_inference(args, kwargs, node)
        if out is not result:
            node._output = out
        # (a view's record changes after in-place writes: it gets one of its own, see views.py;
        # any other result's record is its node, see graph.Node)
        result._ag = view_record(node, result, first) if view else node
        return result

    # an element-wise rule that makes the node of a plain call itself: from the result
    # (``rule.node(args, result)``, one operand) or by rules.binary_node (two operands,
    # called here with what the rule gives: one frame less)
    make_node = getattr(rule, "node", None)
    binary_name, binary_plain, binary_for = getattr(rule, "binary", None) or (None, None, None)
    if make_node is None and binary_for is None:
        return recorded
    # (a form whose plain call is the op itself: that call first tries the op's fast path,
    # which runs kernels only, so grad mode need not be turned off around it)
    op = getattr(fn, "plain_elementwise", None)
    arity = -1 if op is None else op.arity

    def recorded_elementwise(*args, **kwargs):
        """`recorded` for an element-wise form whose rule makes the node of a plain call itself
        (see above), without a tuple to unpack or edges to work out again; other calls take
        the general path."""
        if kwargs:
            return recorded(*args, **kwargs)
        plain = len(args) == arity
        for a in args:
            if type(a) is Tensor:
                ag = a._ag
                if ag is not None and ag.requires_grad:
                    break
        else:  # (nothing to record: the op's fast path first, without the form's frames)
            result = fast_result(op, args) if plain else None
            return fn(*args) if result is None else result
        if not state.enabled:
            return fn(*args)
        result = fast_result(op, args) if plain else None
        if result is None:
            state.enabled = False
            try:
                result = fn(*args)
            finally:
                state.enabled = True
        if type(result) is Tensor and result.dtype.is_floating_point and RULES.get(name) is rule:
            node = (binary_node(binary_name, binary_plain, binary_for, args, result) if binary_for is not None
                    else make_node(args, result))
            if node is not None:
                if checking:
                    _refuse_saving_inference(args, {}, node)
                if node_name is not None:
                    node._name = node_name
                result._ag = node
                return result
        return connect(args, {}, result)
    return recorded_elementwise


def _take_keywords(fn, renamed, kwargs):
    """What every wrapper does first with a call's keywords: NumPy's names (`renamed`, of
    `fn`) become torch's, in place, and an ``out=`` tensor counts a write (also under
    no_grad: a graph may have saved its old values)."""
    if renamed:
        numpy_names.rename_keywords(fn, renamed, kwargs)
    out = kwargs.get("out")
    if out is not None:
        _each_out(out, bump_version)


wrap.takes_numpy_names = True  # (see dispatch/dispatcher.py: no adapter frame per call)


def _refuse_saving_inference(args, kwargs, node):
    """torch's RuntimeError when `node`, made for a call (args, kwargs) with an inference
    tensor among its arguments, keeps one for backward (torch refuses at the forward op)."""
    if holds_inference(args) or kwargs and holds_inference(kwargs.values()):
        refuse_node_saving(node)


def _wrap_refusing(name, fn):
    """`wrap` before autograd records, once inference tensors may exist: a form that writes
    into its first argument or takes ``out=`` refuses to write an inference tensor outside
    inference mode (as torch, once the op is done; an ``out=`` before); the others stay as
    they are. (Versions are counted from the start of recording, as without inference.)"""
    writes = name in _WRITES
    if not writes and not _takes_out(fn):
        return fn
    renamed = numpy_names.renames(fn)
    if not writes:
        def refusing_out(*args, **kwargs):
            if kwargs:
                if renamed:
                    numpy_names.rename_keywords(fn, renamed, kwargs)
                _refuse_out(kwargs.get("out"))
                return fn(*args, **kwargs)
            return fn(*args)
        return refusing_out
    inference = _tensor._INFERENCE  # (the storages of inference tensors: one lookup per write)

    def refusing(*args, **kwargs):
        if kwargs:
            if renamed:
                numpy_names.rename_keywords(fn, renamed, kwargs)
            _refuse_out(kwargs.get("out"))
            result = fn(*args, **kwargs)
        else:
            result = fn(*args)
        if args:
            t = args[0]
            if type(t) is Tensor and id(t._storage) in inference:
                refuse_inference_write(t)
        return result
    return refusing


def _takes_out(fn):
    """True when the function `fn` may take ``out=`` (a parameter of that name, or ``**kwargs``)."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return True
    return "out" in code.co_varnames[:code.co_argcount + code.co_kwonlyargcount] or bool(
        code.co_flags & inspect.CO_VARKEYWORDS)


def _refuse_out(out):
    """`refuse_inference_write` for an ``out=`` argument."""
    _each_out(out, refuse_inference_write)


def _each_out(out, write):
    """`write(t)` for each tensor of an ``out=`` argument: a tensor, or a tuple or list of them."""
    if type(out) is Tensor:
        write(out)
    elif type(out) is tuple or type(out) is list:
        for t in out:
            if type(t) is Tensor:
                write(t)


_RESIZES = {"resize_", "resize_as_"}


def _wrap_resizing(fn):
    """`wrap` for ``resize_`` and ``resize_as_``: as torch's, a write (counted once autograd
    records; refused for an inference tensor outside inference mode) only when the shape
    changes."""
    write = bump_version if _started else refuse_inference_write
    renamed = numpy_names.renames(fn)

    def resizing(*args, **kwargs):
        if renamed and kwargs:
            numpy_names.rename_keywords(fn, renamed, kwargs)
        self = args[0] if args else kwargs.get("input", kwargs.get("self"))
        shape = self._shape if type(self) is Tensor else None
        result = fn(*args, **kwargs)
        if shape is not None and self._shape != shape:
            write(self)
        return result
    return resizing


def _wrap_nondifferentiable(fn, factory=False):
    """`wrap` for a form whose results never join the graph (``tensor``, ``argmax``): it
    counts an ``out=`` write and runs the op with grad mode off when an argument may require
    grad (a tensor that does, or a list or tuple, which is not searched: ``tensor(data)``
    of a long nested list costs no walk over it). A `factory`'s lists and tuples are sizes:
    ``zeros((2, 3))`` runs as it is."""
    state = grad_mode._state
    renamed = numpy_names.renames(fn)

    def untracked(*args, **kwargs):
        if kwargs:
            _take_keywords(fn, renamed, kwargs)
            return _untracked(fn, args, kwargs) if state.enabled else fn(*args, **kwargs)
        for a in args:
            t = type(a)
            if t is Tensor:
                ag = a._ag
                if ag is not None and ag.requires_grad:
                    break
            elif (t is list or t is tuple) and not factory:
                break
        else:
            return fn(*args)
        return _untracked(fn, args, kwargs) if state.enabled else fn(*args)
    return untracked


# Views made by stride arithmetic alone (ops/views.py): they call no form that records, so
# the recorder need not turn grad mode off around them (two thread-local writes, ~0.13 us).
# Not reshape or flatten, which may copy.
_STRIDE_VIEWS = frozenset(("view", "t", "transpose", "unsqueeze", "squeeze", "expand"))


def _wrap_sized(fn):
    """`wrap` for a factory of rules.SIZED_FACTORIES: it takes NumPy's keyword names, nothing
    else (an ``out=`` is written by ``out.copy_``, which counts the write)."""
    renamed = numpy_names.renames(fn)
    if not renamed:
        return fn

    def sized(*args, **kwargs):
        if kwargs:
            numpy_names.rename_keywords(fn, renamed, kwargs)
        return fn(*args, **kwargs)
    return sized


def _recordable_arguments(plan, args, kwargs):
    """(args, kwargs) of a recorded call made with keywords, as the rules read them: torch's
    error for ``out=``, and the first argument positional when it was given by keyword
    (``exp(input=x)``, ``cat(tensors=[a, b])``)."""
    if kwargs.get("out") is not None:
        raise RuntimeError(f"{plan[0]}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if not args:
        first = _first_parameter(plan[1])
        first = first if first in kwargs else "input" if "input" in kwargs else None
        if first is not None:
            kwargs = dict(kwargs)
            args = (kwargs.pop(first),)
    return args, kwargs


@functools.lru_cache(maxsize=None)
def _first_parameter(fn):
    """The name of `fn`'s first parameter when a call may give it by keyword, else None
    (worked out on first need, once per form: reading every form's signature at the start
    of recording cost ~20 ms)."""
    try:
        parameters = iter(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # (no signature to read)
        return None
    first = next(parameters, None)
    return first.name if first is not None and first.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD else None


def _node(name, node_name, args, kwargs, result, n_outputs, saves):
    """(node, its inputs) the rule of form `name` makes for this call (`result`: what the op
    returned; `node_name`: the form's own name for the node, if any)."""
    make_rule = RULES.get(name)  # (looked up per call: a rule may be replaced)
    keeps = KEEPS_OUT.get(name)  # (rules.keeps_result, inlined: every recorded op asks)
    out = result if keeps is None or type(result) is not Tensor or keeps is not True and not keeps(args, kwargs) \
        else outside_graph(result)
    made = None if make_rule is None else make_rule(args, kwargs, out)
    if made is None:
        _no_rule(name)
    node = Node(node_name or made[0], made[2], made[1], n_outputs, saves, made[3] if len(made) > 3 else None)
    if out is not result:
        node._output = out
    return node, made[1]


def _no_rule(name):
    """A new floating result no rule covers: never drop its gradient silently."""
    raise NotImplementedError(f"nbtensor: the derivative of '{name}' is not implemented for these arguments yet")


def _wrap_writing(plan):
    """`wrap` for a form that writes into its first argument (``add_``, ``__setitem__``)."""
    name, fn, _, base = plan[:4]
    checking = plan[6]
    state = grad_mode._state
    renamed = numpy_names.renames(fn)
    logs = _tensor._WRITES
    op = getattr(fn, "plain_inplace", None)  # (see `plain_inplace` in ops/elementwise_forms.py)
    arity = -1 if op is None else op.arity
    indexes = name == "__setitem__"

    def counted(args, result):
        """`result`, after counting the write to the first argument (only once the op has
        succeeded, as torch's; also under no_grad: a graph may have saved the old values)."""
        if args and type(args[0]) is Tensor:
            log = logs.get(id(args[0]._storage))  # (bump_version, its common case inlined)
            if log is None or len(log) >= _LOGGED:
                bump_version(args[0])
            else:
                WRITE_CLOCK[0] += 1
                log.append(WRITE_CLOCK[0])
        return result

    def recorded(*args, **kwargs):
        if kwargs:
            _take_keywords(fn, renamed, kwargs)
            if (_any_requires_grad(args) or _any_requires_grad(kwargs.values())) and state.enabled:
                args, kwargs = _recordable_arguments(plan, args, kwargs)
                return _record_inplace(name, base, fn, args, kwargs, checking)
            return counted(args, fn(*args, **kwargs))
        for a in (args if not indexes or len(args) != 3 else (args[0], args[2])):
            # (_any_requires_grad, inlined; grad mode read only when needed. ``x[index] = v``'s
            # index is not searched: its tensors are integer or bool, they never require grad)
            t = type(a)
            if t is Tensor:
                ag = a._ag
                if ag is not None and ag.requires_grad:
                    break
            elif (t is list or t is tuple) and _any_requires_grad(a):
                break
        else:
            if len(args) == arity and fast_into(op, args, args[0], True):
                return counted(args, args[0])
            return counted(args, fn(*args))
        if state.enabled:
            return _record_inplace(name, base, fn, args, kwargs, checking)
        if len(args) == arity and fast_into(op, args, args[0], True):  # (an optimizer's step, under no_grad)
            return counted(args, args[0])
        return counted(args, fn(*args))
    return recorded


def _floating(result):
    """True when `result` (a tensor, or a tuple or list of them) has a floating tensor."""
    if type(result) is Tensor:
        return result.dtype.is_floating_point
    if isinstance(result, (tuple, list)):
        for t in result:  # (a loop, not any() of a generator: every multi-output op asks)
            if type(t) is Tensor and t.dtype.is_floating_point:
                return True
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
    its results are differentiable, whether its node keeps tensors, whether it checks that
    the node keeps no inference tensor)."""
    base = name if name in _OWN_RULE_INPLACE else _inplace_base(name)
    saves = name not in NO_SAVED
    return name, fn, name in _WRITES, base, name not in NONDIFFERENTIABLE, saves, saves and _watching


def _connect_several(plan, args, kwargs, result):
    """Make the tensors of `result` (a tuple or list the form of `plan` returned) the outputs
    of one new node, when they are differentiable."""
    if not plan[4] or not _floating(result):
        return result
    name = plan[0]
    node, inputs = _node(name, NODE_NAMES.get(name), args, kwargs, result, len(result), plan[5])
    if plan[6]:
        _refuse_saving_inference(args, kwargs, node)
    if len(result) == 1:
        node._backward = _one_of_several(node._backward)
    attach(result, node, inputs)
    first = args[0]
    if type(first) is Tensor:
        for t in result:
            if t is not first:
                note_view(t, first)
        note_multi_output_views(result, first, node._name)
    return result


def _one_of_several(backward):
    """The backward of a node with one output whose rule takes a list of gradients (split,
    unbind, chunk into one piece): the engine hands a one-output node its gradient alone."""
    return lambda g: backward((g,))


def _record_inplace(name, base, fn, args, kwargs, checking):
    """An in-place form: it records as its out-of-place rule (`base`) on the old values, and
    the tensor's history moves to the new node. `checking`: whether inference tensors may
    exist (`_watching` when the form was installed)."""
    self = args[0]
    ag = self._ag
    if ag is None and self._base is not None and self.dtype.is_floating_point:
        ag = untracked_view_record(self)  # (a view of a tensor outside the graph: ``buf[0].copy_(y)``)
    if ag is not None and ag.multi_output is not None:
        raise RuntimeError(f"Output {ag.multi_output[0]} of {ag.multi_output[1]} is a view and is being modified "
                           f"inplace. {MULTI_OUTPUT_HINT}")
    if ag is not None and ag.requires_grad and ag.grad_fn is None and ag.base is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if is_view_of_leaf(self):
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    if base is None:
        if name in NONDIFFERENTIABLE and ag is None:
            result = _untracked(fn, args, kwargs)  # (x.normal_(...) on a tensor outside the graph)
            bump_version(self)
            return result
        raise NotImplementedError(f"nbtensor: the derivative of '{name}' is not implemented yet")
    # the tensor as it was, with its history, for the rule (its values may be overwritten)
    before = make_view(self._storage, self._offset, self._shape, self._strides, self.dtype)
    if base != name or name == "__setitem__":
        before = _untracked(before.clone, (), {})
    if ag is not None and ag.base is not None:
        # a view: its meta gets the regenerated history after the write, and what the rule
        # saved of the old values must keep the history they had (second derivatives go by it)
        refresh_view(self)
        ag = self._ag  # (its record may be new: see graph.ViewNode)
        before._ag = AutogradMeta(ag.requires_grad, ag.grad_fn, ag.output_nr)
    else:
        before._ag = ag
    read = _views_read(args, kwargs)
    for v in read:
        refresh_view(v)  # (the op reads their values before the write: their history as of then)
    if checking and base not in NO_SAVED and not is_inference(self) and (
            holds_inference(args[1:]) or kwargs and holds_inference(kwargs.values())):
        _refuse_saving_before_write(base, before, args, kwargs, self)
    clock = WRITE_CLOCK[0]
    result = _untracked(fn, args, kwargs)
    bump_version(self)  # (once the write succeeded, before the new node notes the clock)
    if not self.dtype.is_floating_point:
        return result  # (an integer tensor holds no gradient)
    held = [(v._ag, v._ag.view_version) for v in read]
    for v in read:
        v._ag.view_version = version_of(v)  # (this write does not make their edges stale; later uses see it)
    try:
        return _connect_inplace(name, base, args, kwargs, self, ag, before, result, clock)
    finally:
        for meta, version in held:
            meta.view_version = version


def _refuse_saving_before_write(base, before, args, kwargs, self):
    """torch's refusal, before an in-place op on `self` writes, when its rule (`base`, on the
    old values `before`) would keep an inference tensor for backward: torch saves what it
    reads before the write, so the tensor is left as it was. (An inference `self` is refused
    for the write itself, once done.)"""
    made = RULES[base]((before,) + tuple(args[1:]), kwargs, outside_graph(self))
    if made is not None:
        refuse_saved_by(made[3] if len(made) > 3 else None, made[2])


def _views_read(args, kwargs):
    """The views among an in-place op's other tensor arguments."""
    return [t for t in (*args[1:], *kwargs.values())
            if type(t) is Tensor and t._ag is not None and t._ag.base is not None]


def _connect_inplace(name, base, args, kwargs, self, ag, before, result, clock):
    """The node of in-place form `name` (recorded as `base` on `before`, the old values;
    `clock`: the write clock before the write)."""
    reads_out = keeps_result(base, (before,) + tuple(args[1:]), kwargs)
    keeps = reads_out and (ag is None or ag.base is None)  # (a view's node is made elsewhere)
    out = outside_graph(self) if keeps else self
    made = RULES[base]((before,) + tuple(args[1:]), kwargs, out)
    if made is None:
        raise NotImplementedError(f"nbtensor: the derivative of '{name}' is not implemented for these "
                                  "arguments yet")
    node_name, inputs, backward = made[:3]
    node_name = NODE_NAMES.get(name, node_name)
    saved = made[3] if len(made) > 3 else None
    if ag is not None and ag.base is not None:  # a view: its base's history changes too
        node = record_on_view(self, node_name, backward, inputs, base not in NO_SAVED)
    else:
        node = Node(node_name, backward, inputs, saves=base not in NO_SAVED, saved=saved)
        if out is not self:
            node._output = out
        self._ag = AutogradMeta(grad_fn=node)
    if saved is not None:
        _refuse_overwritten_reads(node, saved, self, out if reads_out else None, clock)
    return result


def _refuse_overwritten_reads(node, saved, written, out, clock):
    """torch's rule for an in-place op whose backward reads the memory it writes (``y *= y``,
    ``v.mul_(v[0])``): the values saved are the new ones, so backward raises as for a saved
    tensor written in place after the op. `saved`: the tensors the rule listed as torch's
    saved variables (a rule that lists none is not checked: its closure may hold a tensor
    only for its shape). `node` checks them against `clock`,
    the write clock before the write; `out`, the alias of its own result it keeps, if any, is
    not stale)."""
    if not node._saves:
        return
    stale = [t for t in saved if type(t) is Tensor and t is not out and t._storage is written._storage]
    if stale:
        node._clock = clock
        node._saved = stale
