"""Views and in-place writes, as torch's autograd treats them.

A recorded op whose result shares its first argument's memory (a view: slicing, `view`,
`t`, `expand`, ...) remembers the tensor at the root of that chain of views (its `base`).
Then:
- an in-place op on the view also changes the base, so the base's history becomes a
  `CopySlices` node: the base's gradient, with the part the view covers replaced by what the
  in-place op's rule makes of it (`record_on_view`);
- any in-place write to the memory (through the base, the view or another view of it) leaves
  the view's recorded node stale: the next time autograd reads it, it is regenerated as an
  `AsStridedBackward0` node that picks the view's elements out of the base's gradient
  (`refresh_view`).
Positions are worked out with nbtensor ops, so this runs on every device.
"""
import nbtensor.ops.creation as creation
from nbtensor.autograd.graph import Node, ViewNode, node_of, own_record
from nbtensor.autograd.rules import into_zeros
from nbtensor.core import dtype as dt
from nbtensor.dispatch import tensor as _tensor
from nbtensor.dispatch.tensor import _WRITES, AutogradMeta, Tensor, _numel, make, version_of


def note_view(result, source):
    """Record that `result` (a new tensor with autograd metadata) views `source`'s memory."""
    if type(result) is Tensor and result._ag is not None and result._storage is source._storage:
        mark_view(result, result._ag, source)


def mark_view(result, meta, source):
    """Record in `meta`, `result`'s own `AutogradMeta`, that `result` views `source`'s memory."""
    ag = source._ag
    meta.base = ag.base if ag is not None and ag.base is not None else source
    meta.view_version = version_of(result)
    meta.edge = None  # (a view's node is regenerated after in-place writes: see graph.edge_of)
    if ag is not None and ag.multi_output is not None and meta.grad_fn is not None:
        # a view of one of several views keeps their rule, named after its own op
        meta.multi_output = (0, _op_name(meta.grad_fn._name))


def untracked_view_record(view):
    """The record of `view`, a view made outside the graph (of a tensor that required no
    grad then, or under no_grad), when an in-place op that records writes into it: a view of
    its `_base` that requires no grad yet (`record_on_view` makes the base's history and the
    view's). None when its base no longer shares its memory (``base.data = other``)."""
    base = view._base
    if base._storage is not view._storage:
        return None
    meta = view._ag = AutogradMeta(False)
    meta.base = base
    meta.view_version = version_of(view)
    return meta


def view_record(node, view, source):
    """The record of `view`, the result of `node` and a view of `source`'s memory: the
    `AutogradMeta` that ``AutogradMeta(True, node)`` and `mark_view` make, in one step (every
    recorded view makes one)."""
    meta = _new(AutogradMeta)
    meta.requires_grad = True
    meta.grad_fn = node
    meta.output_nr = 0
    meta.edge = None  # (a view's node is regenerated after in-place writes: see graph.edge_of)
    ag = source._ag
    if ag is None or ag.base is None:
        meta.base = source
    else:
        meta.base = ag.base
    log = _WRITES.get(id(view._storage))  # (`version_of`, inlined: every recorded view asks)
    if log is not None:  # (none: version 0, the class's default, for memory never written in place)
        meta.view_version = log[0] + len(log) - 1
    if ag is not None and ag.multi_output is not None:
        meta.multi_output = (0, _op_name(node._name))  # (see mark_view)
    return meta


def view_node(name, backward, edge, saves, saved, view, source):
    """The `ViewNode` of `view`, a view of `source`'s memory made by a recorded op whose
    input `source` has the gradient edge `edge` (`graph.node_of` and `view_record` in one
    step); None when `source` is one of several views (split, unbind), whose views keep an
    AutogradMeta (`view_record`)."""
    ag = source._ag
    if ag is not None and ag.multi_output is not None:
        return None
    node = node_of(name, backward, (edge,), saves, saved, ViewNode)
    node.base = source if ag is None or ag.base is None else ag.base
    log = _WRITES.get(id(view._storage))  # (`version_of`, inlined)
    node.view_version = 0 if log is None else log[0] + len(log) - 1
    return node


_new = object.__new__


def _op_name(node_name):
    """torch's op name in its view messages: ``SelectBackward0`` -> ``Select``."""
    return node_name[:node_name.rfind("Backward")] if "Backward" in node_name else node_name


def view_positions(base, view):
    """The row-major position in `base` of each element of `view` (a view of base's memory),
    as an int64 tensor of view's shape: both are laid over a scratch storage, the base's
    positions written through the first and read back through the second."""
    end = 1 + max(t._offset + sum((n - 1) * s for n, s in zip(t._shape, t._strides)) for t in (base, view))
    scratch = creation.zeros(end, dtype=dt.int64, device=base.device)._storage
    over = make(scratch, base._offset, base._shape, base._strides, dt.int64)
    over.copy_(creation.arange(base.numel(), device=base.device).reshape(base._shape))
    return make(scratch, view._offset, view._shape, view._strides, dt.int64).clone()


def _view_node(base, view, positions=None):
    """The node of `view` regenerated from `base`'s history (torch's AsStridedBackward0);
    `positions`: `view_positions(base, view)` flattened, when the caller has them."""
    if positions is None:
        positions = view_positions(base, view).reshape(-1)
    shape, dtype = base._shape, base.dtype

    def backward(g):
        flat = creation.zeros(_numel(shape), dtype=dtype, device=g.device)
        return (into_zeros(flat, "index_add", 0, positions, g.reshape(-1)).reshape(shape),)
    return Node("AsStridedBackward0", backward, (base,), saves=False)


MULTI_OUTPUT_HINT = ("This view is the output of a function that returns multiple views. Such functions do not allow "
                     "the output views to be modified inplace. You should replace the inplace operation by an "
                     "out-of-place one.")
# torch's node names of the ops whose outputs are several views of their input
_MULTI_OUTPUT_VIEWS = {"SplitBackward0": "Split", "SplitWithSizesBackward0": "SplitWithSizes",
                       "UnbindBackward0": "Unbind"}


def note_multi_output_views(outputs, source, node_name):
    """Mark `outputs`, views of `source` made by one op (its node `node_name`), as torch's
    multi-output views when that op is one of split, chunk and unbind."""
    op = _MULTI_OUTPUT_VIEWS.get(node_name)
    if op is None:
        return
    for i, t in enumerate(outputs):
        ag = t._ag
        if ag is not None and ag.base is not None and t._storage is source._storage:
            ag.multi_output = (i, op)


def refresh_view(view):
    """Regenerate the node of `view` when its memory was written in place since it was made."""
    ag = view._ag
    now = version_of(view)
    if ag.view_version != now:
        if ag.multi_output is not None:
            raise RuntimeError(
                f"Output {ag.multi_output[0]} of {ag.multi_output[1]} is a view and its base or another view of its "
                f"base has been modified inplace. {MULTI_OUTPUT_HINT}")
        if type(ag) is ViewNode:
            ag = own_record(view)  # (a ViewNode is its own node: the view's record is kept apart)
        ag.grad_fn = _view_node(ag.base, view)
        ag.output_nr = 0
        ag.view_version = now


def record_on_view(view, node_name, backward, inputs, saves):
    """After an in-place op on `view` (whose rule gave `node_name`, `backward` and `inputs`,
    the first being the view's old values): the base's history becomes CopySlices (the
    node returned) and the view's is regenerated from it."""
    base = view._ag.base
    positions = view_positions(base, view).reshape(-1)
    shape = view._shape

    def copy_slices(g):
        res = g.clone().reshape(-1)  # (a copy of its own, written below; row-major order as positions)
        grads = backward(res.index_select(0, positions).reshape(shape))
        if type(grads) is not tuple:
            grads = tuple(grads)
        old = grads[0]
        res.index_copy_(0, positions, old.reshape(-1) if old is not None else
                        creation.zeros(positions.numel(), dtype=res.dtype, device=res.device))
        return (res.reshape(g._shape),) + grads[1:]
    node = Node("CopySlices", copy_slices, (base,) + tuple(inputs[1:]), saves=saves)
    meta = own_record(base)
    if meta is None:
        base._ag = meta = AutogradMeta()
    meta.grad_fn, meta.output_nr, meta.edge = node, 0, (node, 0)
    view_meta = own_record(view)  # (see ViewNode)
    view_meta.requires_grad = True  # (a view made outside the graph: see untracked_view_record)
    view_meta.grad_fn = _view_node(base, view, positions)
    view_meta.view_version = version_of(view)
    return node


def is_view_of_leaf(t):
    """True when `t` views a leaf that requires grad (in-place writes to it are refused)."""
    ag = t._ag
    if ag is None or ag.base is None:
        return False
    base = ag.base._ag
    return base is not None and base.requires_grad and base.grad_fn is None


_tensor.refresh_view = refresh_view
