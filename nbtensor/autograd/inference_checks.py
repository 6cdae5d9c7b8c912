"""torch's refusal to save an inference tensor for backward (the recorder's and
``autograd.Function``'s check; writes to inference tensors are refused where they are
counted, ``dispatch.tensor.bump_version``).

Nothing here runs while no inference tensor exists: the recorder installs its checks once a
thread has entered ``inference_mode()`` (see record.py), and each asks first whether an
argument of the call is an inference tensor.
"""
from nbtensor.autograd.graph import _saved_tensors
from nbtensor.dispatch import tensor as _tensor
from nbtensor.dispatch.tensor import Tensor, is_inference

SAVED_INFERENCE = ("Inference tensors cannot be saved for backward. Please do not use Tensors created in inference "
                   "mode in computation tracked by autograd. To work around this, you can make a clone to get a "
                   "normal tensor and use it in autograd, or use `torch.no_grad()` instead of "
                   "`torch.inference_mode()`.")


def holds_inference(values):
    """True when one of `values` (a call's arguments), or of a list or tuple among them, is
    an inference tensor; False at once while none exists."""
    if not _tensor._INFERENCE:
        return False
    for v in values:
        if type(v) is Tensor:
            if is_inference(v):
                return True
        elif (type(v) is list or type(v) is tuple) and holds_inference(v):
            return True
    return False


def refuse_saved(tensors):
    """torch's RuntimeError when one of `tensors` (what a node keeps for backward) is an
    inference tensor, outside inference mode (inside, torch records nothing at all)."""
    if _tensor.inference_state.inference:
        return
    for t in tensors:
        if type(t) is Tensor and is_inference(t):
            raise RuntimeError(SAVED_INFERENCE)


def refuse_saved_by(saved, backward):
    """`refuse_saved` of what a rule keeps: its list `saved`, or when it gave none, the
    tensors its `backward` closure holds."""
    refuse_saved(_saved_tensors(backward) if saved is None else saved)


def refuse_node_saving(node):
    """`refuse_saved_by` for the node a rule made (nothing, for a node that keeps no tensor)."""
    if node._saves:
        refuse_saved_by(node._saved, node._backward)
