"""``autograd.backward`` and ``autograd.grad``: run the recorded graph from some outputs."""
from nbtensor.autograd.graph import run_backward, store_grad
from nbtensor.dispatch.tensor import Tensor
from nbtensor.ops.creation import ones_like

__all__ = ["backward", "grad"]


def _as_list(x):
    if x is None:
        return None
    return [x] if isinstance(x, Tensor) else list(x)


def _root_grads(outputs, grad_outputs):
    grads = _as_list(grad_outputs) or [None] * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"grad requires one gradient per output: got {len(grads)} for {len(outputs)} outputs")
    result = []
    for i, (out, g) in enumerate(zip(outputs, grads)):
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = ones_like(out)
        elif not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        elif g._shape != out._shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                               f"output[{i}] has a shape of {out.shape}.")
        result.append(g)
    return result


def _check_roots(outputs):
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate into the leaves' ``.grad`` the gradients of `tensors` (weighted by
    `grad_tensors`, which scalar outputs may omit)."""
    outputs = _as_list(tensors)
    _check_roots(outputs)
    grads = _root_grads(outputs, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        wanted = _as_list(inputs)
        found = run_backward(outputs, grads, retain_graph, create_graph, inputs=wanted, allow_unused=True)
        for x, g in zip(wanted, found):
            if g is not None:
                store_grad(x, g, create_graph)
        return
    run_backward(outputs, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs` (a tuple), leaving ``.grad`` alone."""
    outputs = _as_list(outputs)
    inputs_list = _as_list(inputs)
    _check_roots(outputs)
    grads = _root_grads(outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    found = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs_list,
                         allow_unused=bool(allow_unused) or materialize_grads)
    if materialize_grads:
        found = tuple(g if g is not None else x.new_zeros(x.shape) for g, x in zip(found, inputs_list))
    return found
