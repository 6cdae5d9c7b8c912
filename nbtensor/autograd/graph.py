"""The recorded graph and the engine that runs it backwards.

A `Node` is one recorded op: `next_functions` are its inputs' nodes (an `AccumulateGrad` for
a leaf), and its backward maps the gradients of its outputs to its inputs' gradients with
nbtensor ops (so it runs on every device, and is itself recorded under ``create_graph``).
"""
import collections
import sys

from nbtensor.autograd import grad_mode
from nbtensor.autograd.anomaly_mode import _anomaly, check_gradients
from nbtensor.core import dtype as dt
from nbtensor.core.plan import broadcasts_to
from nbtensor.dispatch import tensor as _tensor
from nbtensor.dispatch.tensor import (_LEGACY_NAMES, WRITE_CLOCK, AutogradMeta, AutogradRecord, Tensor, version_of,
                                      versions_at)

_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors after they "
          "have already been freed). Saved intermediate values of the graph are freed when you call "
          ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
          "graph a second time or if you need to access saved tensors after calling backward.")


# Nodes whose name() torch qualifies with their C++ namespace (their repr does not show it).
_QUALIFIED = {"CopySlices": "torch::autograd::CopySlices", "CopyBackwards": "torch::autograd::CopyBackwards",
              "NotImplemented": "torch::autograd::NotImplemented"}


class Node(AutogradRecord):
    """One recorded op (torch's ``grad_fn``): ``name()``, ``next_functions``.

    A node with one output may also serve as the autograd record (``_ag``) of the tensor it
    made, instead of an `AutogradMeta` (one object per recorded op instead of two): it then
    reads as that tensor's record, one that requires grad, is output 0 of this node and views
    nothing. `own_record` gives the tensor an `AutogradMeta` of its own where its history is
    replaced (the base of a view written in place)."""

    __slots__ = ("_name", "_backward", "next_functions", "_saves", "_saved", "_clock", "_output")
    # (read from the class until a node sets its own, in its __dict__: most nodes have one
    # output, and no hooks or retained gradients)
    _n_outputs = 1
    _pre_hooks = None   # output_nr -> hooks registered on that output tensor
    _retained = None    # output_nr -> tensor whose .grad is kept (retain_grad)
    # (the fields of the record of the tensor it made, when it serves as that)
    requires_grad = True
    output_nr = 0
    base = None
    grad_fn = property(lambda self: self)
    edge = property(lambda self: (self, 0))

    def __init__(self, name, backward, inputs, n_outputs=1, saves=True, saved=None):
        self._name = name
        self._backward = backward
        # (`edge_of`, its common case inlined, and no list for one or two inputs: every
        # recorded op makes a node)
        n = len(inputs)
        if n == 1:
            x = inputs[0]
            ag = x._ag if type(x) is Tensor else None
            self.next_functions = ((ag.edge or edge_of(x)) if ag is not None and ag.requires_grad else NO_EDGE),
        elif n == 2:
            x, y = inputs
            ag = x._ag if type(x) is Tensor else None
            ex = (ag.edge or edge_of(x)) if ag is not None and ag.requires_grad else NO_EDGE
            ag = y._ag if type(y) is Tensor else None
            self.next_functions = ex, (ag.edge or edge_of(y)) if ag is not None and ag.requires_grad else NO_EDGE
        else:
            edges = []
            for x in inputs:
                ag = x._ag if type(x) is Tensor else None
                edges.append((ag.edge or edge_of(x)) if ag is not None and ag.requires_grad else NO_EDGE)
            self.next_functions = tuple(edges)
        if n_outputs != 1:
            self._n_outputs = n_outputs
        self._saves = saves
        self._output = None  # the alias of its result its backward reads (rules.KEEPS_OUT)
        if saves:
            # what backward reads (`saved` when the rule listed it, else whatever its closure
            # holds: worked out when checked) and the write clock now: backward checks that
            # no in-place write has changed those tensors since (unset, as `node_of` leaves
            # them, for a node that saves nothing: nothing reads them)
            self._saved = saved
            self._clock = WRITE_CLOCK[0]

    def name(self):
        return _QUALIFIED.get(self._name, self._name)

    def __repr__(self):
        return f"<{self._name} object at {hex(id(self))}>"

    def apply(self, grads):
        """The gradients of the inputs, given those of the outputs (a list)."""
        self.check_saved()
        return self._backward(grads if self._n_outputs > 1 else grads[0])

    def check_saved(self):
        """RuntimeError unless what backward reads is still there and unmodified."""
        if self._backward is None:  # (freed)
            raise RuntimeError(_FREED)
        if not self._saves or self._clock == WRITE_CLOCK[0]:
            return  # (no in-place write anywhere since the node was made)
        for t in _saved_tensors(self._backward) if self._saved is None else self._saved:
            if type(t) is not Tensor:
                continue  # (a rule's list may hold None and numbers)
            now, expected = versions_at(t, self._clock)
            if now != expected:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: [{_type_name(t)} [{', '.join(map(str, t._shape))}]] is at version {now}; "
                    f"expected version {expected} instead (in {self._name}). Hint: the value was overwritten "
                    "in place after the op that needed it ran; clone() it before writing.")


def _type_name(t):
    """The name torch's messages give a tensor's type: torch.FloatTensor, torch.cuda.LongTensor;
    bool has no legacy class there (CPUBoolType, CUDABoolType)."""
    cuda = t.device.type == "cuda"
    if t.dtype is dt.bool:
        return "CUDABoolType" if cuda else "CPUBoolType"
    name = _LEGACY_NAMES[t.dtype]
    return name.replace("torch.", "torch.cuda.") if cuda else name


def _saved_tensors(backward):
    """The tensors a rule's backward closure holds, one closure deep."""
    found = []
    for cell in backward.__closure__ or ():
        try:
            value = cell.cell_contents
        except ValueError:  # a cell not filled yet
            continue
        if type(value) is Tensor:
            found.append(value)
        elif type(value) in (list, tuple):
            found.extend(v for v in value if type(v) is Tensor)
        elif callable(value) and getattr(value, "__closure__", None):
            found.extend(_saved_tensors(value) if value.__closure__ else ())
    return found


class ViewNode(Node):
    """A one-output `Node` that also serves as the record of the view it made (one object
    instead of a node and an `AutogradMeta`: every recorded view makes one). It reads as a
    view's record: it requires grad, is output 0 of this node, and has the view's `base`
    and `view_version`; its edge is worked out at each use (`edge_of`), as any view's. A
    view whose node must be regenerated (`views.refresh_view`) first gets an AutogradMeta
    of its own (`own_record`)."""

    __slots__ = ("base", "view_version")
    edge = None


def node_of(name, backward, next_functions, saves, saved=None, kind=Node):
    """A one-output `Node` (or `kind`, a ViewNode) whose edges its caller worked out (the
    element-wise rules make their nodes so: see rules.binary_node). A node that saves
    nothing leaves `_saved` and `_clock` unset: only a node that saves reads them
    (`check_saved`, the engine)."""
    node = _new(kind)
    node._name = name
    node._backward = backward
    node.next_functions = next_functions
    node._saves = saves
    node._output = None
    if saves:  # (what it keeps and the write clock are read only for a node that saves)
        node._saved = saved
        node._clock = WRITE_CLOCK[0]
    return node


def outside_graph(t):
    """An alias of `t` (its memory, layout and version) without its autograd history: what
    a rule keeps of its op's result (see rules.KEEPS_OUT)."""
    alias = _new(Tensor)
    alias._ag = None
    alias._base = None
    alias._storage = t._storage
    alias._offset = t._offset
    alias._shape = t._shape
    alias._strides = t._strides
    alias.dtype = t.dtype
    alias.device = t.device
    alias._contig = t._contig
    return alias


_new = object.__new__


class AccumulateGrad:
    """The node of a leaf that requires grad: adds what reaches it to the leaf's ``.grad``."""

    __slots__ = ("variable", "next_functions", "__weakref__")
    _n_outputs = 1
    _pre_hooks = _retained = None

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


NO_EDGE = (None, 0)


def edge_of(x):
    """(node, output number) that a gradient for input `x` flows to; (None, 0) for a constant."""
    if type(x) is not Tensor:
        return NO_EDGE
    ag = x._ag
    if ag is None or not ag.requires_grad:
        return NO_EDGE
    edge = ag.edge
    if edge is not None:
        return edge
    if ag.base is not None and ag.view_version != version_of(x):
        _tensor.refresh_view(x)  # (a view: its memory was written in place since it was made)
        ag = x._ag  # (its record may be new: see ViewNode)
    if ag.grad_fn is not None:
        edge = (ag.grad_fn, ag.output_nr)
    else:
        if ag.accumulator is None:
            ag.accumulator = AccumulateGrad(x)
        edge = (ag.accumulator, 0)
    if ag.base is None:  # (a view's node may be regenerated: its edge is worked out at each use)
        ag.edge = edge
    return edge


def attach(result, node, inputs=()):
    """Make the tensors of `result` (one, or a tuple/list) the outputs of `node`, except
    those that are one of `inputs` itself (``atleast_2d(x, v)`` returns a matrix `x` as it
    is: its history stays its own)."""
    if type(result) is Tensor:
        if result.dtype.is_floating_point:
            result._ag = AutogradMeta(grad_fn=node, output_nr=0)
        return
    for i, t in enumerate(result):
        if type(t) is Tensor and t.dtype.is_floating_point:
            for x in inputs:  # (by identity: ``in`` would compare values)
                if t is x:
                    break
            else:
                t._ag = AutogradMeta(True, node, i)


def own_record(t):
    """`t`'s autograd record as an `AutogradMeta` of its own, made now when the node that made
    `t` serves as its record (see `Node`): for a tensor whose history is about to be replaced.
    The tensor's own fields (a retained ``.grad``) move with it."""
    ag = t._ag
    if type(ag) is AutogradMeta or ag is None:
        return ag
    meta = t._ag = AutogradMeta(True, ag, 0)
    if type(ag) is ViewNode:
        meta.base, meta.view_version, meta.edge = ag.base, ag.view_version, None
    for field in ("grad", "retains_grad"):
        if field in ag.__dict__:
            setattr(meta, field, ag.__dict__[field])
    return meta


def _apply_hooks(hooks, grad):
    for hook in hooks:
        new = hook(grad)
        if new is not None:
            if not isinstance(new, Tensor) or new._shape != grad._shape:
                raise RuntimeError(f"hook returned a gradient of shape {list(getattr(new, 'shape', ()))}, "
                                   f"expected {list(grad._shape)}")
            grad = new
    return grad


def run_backward(roots, root_grads, retain_graph, create_graph, inputs=None, allow_unused=False):
    """Propagate `root_grads` from the `roots` (tensors) through the graph. With `inputs`
    (autograd.grad), return their gradients instead of accumulating into ``.grad``."""
    edges = []
    for i, t in enumerate(roots):
        edge = edge_of(t)
        if edge[0] is None:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        edges.append(edge)
    wanted = None
    if inputs is not None:
        wanted = {}
        for i, x in enumerate(inputs):
            edge = edge_of(x)
            if edge[0] is None:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            wanted.setdefault(edge, []).append(i)
    # how many edges lead into each node from the part of the graph that runs
    starts = list(dict.fromkeys([node for node, _ in edges]))
    deps = _dependencies(starts)
    buffers = {}
    for (node, nr), g in zip(edges, root_grads):
        _accumulate(buffers, node, nr, g)
    ready = collections.deque([node for node in starts if node not in deps])
    results = [None] * len(inputs) if inputs is not None else None
    state = grad_mode._state
    previous = state.enabled
    state.enabled = create_graph
    anomaly = _anomaly.enabled
    try:
        while ready:
            node = ready.popleft()
            grads = buffers.pop(node, None) or [None] * node._n_outputs
            if node._pre_hooks or node._retained or wanted is not None:
                _visit(node, grads, wanted, results, create_graph)
            if type(node) is AccumulateGrad:
                if wanted is None and grads[0] is not None:
                    variable = node.variable
                    hooks = variable._ag.hooks
                    grad = grads[0]
                    grads[0] = None
                    grad = _apply_hooks(hooks, grad) if hooks else grad
                    # torch's AccumulateGrad steals a gradient nothing else holds instead of
                    # copying it: here, when the engine's `grad` is the only reference to the
                    # tensor and that tensor the only one over its memory (the engine drops
                    # its other references after each node: see the end of the loop), or the
                    # tensor it views (its `_base`) is held by it alone (``W.t()``'s gradient)
                    base = grad._base
                    owned = sys.getrefcount(grad) == 2 and (
                        sys.getrefcount(grad._storage) == 2 if base is None
                        else sys.getrefcount(base) == 3 and sys.getrefcount(grad._storage) == 3)
                    base = None
                    store_grad(variable, grad, create_graph, owned)
                    grad = None
                    if variable._ag.post_accumulate_hooks:
                        for hook in list(variable._ag.post_accumulate_hooks):
                            hook(variable)
                continue
            if node._n_outputs == 1:  # (Node.apply, inlined: every node runs it)
                if grads[0] is None:
                    in_grads = [None] * len(node.next_functions)
                else:
                    if node._backward is None or node._saves and node._clock != WRITE_CLOCK[0]:
                        node.check_saved()
                    if create_graph and node._output is not None:
                        _link_output(node)
                    in_grads = node._backward(grads[0])
            elif any(g is not None for g in grads):
                in_grads = node.apply(grads)
            else:
                in_grads = [None] * len(node.next_functions)
            if anomaly:
                check_gradients(node, in_grads)
            if not retain_graph and node._saves:  # free what it saved
                node._backward = None
                node._saved = None
            for (nxt, nr), g in zip(node.next_functions, in_grads):
                if nxt is None:
                    continue
                if g is not None:  # (_accumulate, inlined)
                    if type(nxt) is AccumulateGrad and g._shape != nxt.variable._shape:
                        g = _leaf_shaped(node, (nxt, nr), g, nxt.variable)
                    slot = buffers.get(nxt)
                    if slot is None:
                        slot = buffers[nxt] = [None] * nxt._n_outputs
                    slot[nr] = g if slot[nr] is None else slot[nr] + g
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0:
                    ready.append(nxt)
            in_grads = g = slot = grads = None  # (no gradient stays referenced from here: `owned` above)
    finally:
        state.enabled = previous
    if inputs is not None:
        for g in results:
            if g is None and not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                                   "Set allow_unused=True if this is the desired behavior.")
        return tuple(results)
    return None


def _leaf_shaped(node, edge, g, leaf):
    """`g`, which `node` passes to `leaf` along `edge`, in the leaf's shape: summed over the
    dimensions it was broadcast along, as torch's engine does; torch's error when the shapes
    are not compatible (a rule's bug must not land in ``.grad`` as a tensor of another shape)."""
    if broadcasts_to(leaf._shape, g._shape):
        return g.sum_to_size(leaf._shape)
    raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index "
                       f"{node.next_functions.index(edge)} - got {list(g._shape)} but expected shape compatible "
                       f"with {list(leaf._shape)}")


def _link_output(node):
    """Give the alias of its result that `node`'s backward reads (rules.KEEPS_OUT) the
    result's history, so that a graph built by backward (create_graph) reaches through it:
    the second derivative of exp runs through exp's output."""
    out = node._output
    if out._ag is None:
        out._ag = AutogradMeta(grad_fn=node, output_nr=0)


def _dependencies(starts):
    """How many edges lead into each node reachable from the nodes `starts`."""
    deps = {}
    stack = starts[:]
    if len(starts) == 1:  # one root (loss.backward()): the counts double as the visited set,
        while stack:      # since no node leads back to the root
            for nxt, _ in stack.pop().next_functions:
                if nxt is not None:
                    count = deps.get(nxt)
                    if count is None:
                        deps[nxt] = 1
                        stack.append(nxt)
                    else:
                        deps[nxt] = count + 1
        return deps
    seen = set(starts)
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is not None:
                deps[nxt] = deps.get(nxt, 0) + 1
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
    return deps


def _visit(node, grads, wanted, results, create_graph):
    """What happens at `node` before its backward when it has hooks, keeps a ``.grad``
    (retain_grad) or is one of autograd.grad's `wanted` inputs: `grads` (its outputs'
    gradients) go through the hooks, into the retained ``.grad`` and into `results`."""
    if node._pre_hooks:
        for nr, hooks in node._pre_hooks.items():
            if grads[nr] is not None:
                grads[nr] = _apply_hooks(hooks, grads[nr])
    if node._retained:
        for nr, t in node._retained.items():
            if grads[nr] is not None:
                store_grad(t, grads[nr], create_graph)
    if wanted is not None:
        for nr in range(node._n_outputs):
            for i in wanted.get((node, nr), ()):
                results[i] = grads[nr]


def _accumulate(buffers, node, nr, grad):
    slot = buffers.get(node)
    if slot is None:
        slot = buffers[node] = [None] * node._n_outputs
    slot[nr] = grad if slot[nr] is None else slot[nr] + grad


def store_grad(t, grad, create_graph, owned=False):
    """Add `grad` to ``t.grad`` (torch accumulates across backward calls); `owned`: nothing
    else references `grad` or its memory, so a first gradient may become ``.grad`` as it is."""
    ag = t._ag
    if not create_graph and grad._ag is not None:
        grad = grad.detach()
        owned = False
    if grad.dtype is not t.dtype:
        grad = grad.to(t.dtype)
        owned = True
    if ag.grad is None:
        # a copy unless `owned`: one gradient may reach several leaves, and .grad is the
        # leaf's own; laid out as the leaf when that is row-major (torch's gradient layout: a
        # transposed product's gradient becomes a row-major .grad, which the optimizer then
        # updates on fast paths)
        if create_graph:
            ag.grad = grad
        elif t.is_contiguous() and not grad.is_contiguous():
            ag.grad = grad.contiguous()
        elif owned and grad.is_contiguous() and t.is_contiguous():
            ag.grad = grad
        else:
            ag.grad = grad.clone()
    elif create_graph:
        ag.grad = ag.grad + grad
    else:
        state = grad_mode._state
        previous = state.enabled
        if not previous:  # (the engine runs with grad mode off unless create_graph)
            ag.grad.add_(grad)
            return
        state.enabled = False
        try:
            ag.grad.add_(grad)
        finally:
            state.enabled = previous
