"""``torch.autograd.functional``: derivatives of a whole function of tensors — `vjp`, `jvp`,
`jacobian`, `hessian`, `vhp` and `hvp` — computed with ``autograd.grad`` (reverse mode; a
Jacobian one output element per pass, as torch's unvectorized default does; ``vectorize=``
and ``strategy=`` give the same values). ``jvp`` uses the double-backward trick, and ``hvp``
equals ``vhp``: a Hessian is symmetric.
"""
from nbtensor.autograd import grad_mode
from nbtensor.autograd.api import grad
from nbtensor.dispatch import dispatcher
from nbtensor.dispatch.tensor import Tensor
from nbtensor.ops.creation import zeros, zeros_like

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(x, what, fn_name):
    """(whether `x` was a tuple or list, `x` as a tuple of tensors); torch's TypeError else."""
    several = isinstance(x, (tuple, list))
    items = tuple(x) if several else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            if several:
                raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                                f"the value at index {i} has type {type(t)}.")
            raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple of Tensors but the "
                            f"given {what} has type {type(t)}.")
    return several, items


def _tracked(inputs, create_graph):
    """The inputs as tensors that require grad: aliases keeping their history when the
    result must be differentiable itself, else detached copies of the reference."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_()
                 for t in inputs)


def _run(func, inputs, fn_name):
    """`func(*inputs)` with grad mode on, as (whether it returned a tuple, its outputs)."""
    with grad_mode.enable_grad():
        outputs = func(*inputs)
    return _as_tuple(outputs, "outputs of the user-provided function", fn_name)


def _grads(outputs, inputs, grad_outputs, create_graph, strict, fn_name):
    """d(outputs)/d(inputs) weighted by `grad_outputs`, with zeros for an input the outputs
    do not reach (torch's error instead in strict mode)."""
    used = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if strict:
        for i, o in enumerate(outputs):
            if not o.requires_grad:
                raise RuntimeError(f"Output {i} of the user-provided function does not require gradients. The "
                                   "outputs must be computed in a differentiable manner from the input when running "
                                   "in strict mode.")
    found = (None,) * len(inputs)
    if used:
        with grad_mode.enable_grad():
            found = grad([o for o, _ in used], inputs, [g for _, g in used], retain_graph=True,
                         create_graph=create_graph, allow_unused=True)
    result = []
    for i, (g, x) in enumerate(zip(found, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The gradient with respect to input {i} is independent of the inputs of the "
                                   f"user-provided function. This is not allowed in strict mode.")
            g = zeros_like(x)
        result.append(g)
    return tuple(result)


def _finish(values, create_graph, several):
    """The results as torch returns them: detached unless `create_graph`, a tuple when the
    inputs were one."""
    values = tuple(v if create_graph else v.detach() for v in values)
    return values if several else values[0]


def _vectors(v, like, what, fn_name):
    """`v` as a tuple matching the tensors `like` in number and shape (torch's errors)."""
    _, v = _as_tuple(v, what, fn_name)
    if len(v) != len(like):
        raise RuntimeError(f"The given {what} should have the same number of elements as the {fn_name} inputs or "
                           f"outputs: got {len(v)} but expected {len(like)}.")
    for i, (a, b) in enumerate(zip(v, like)):
        if a.shape != b.shape:
            raise RuntimeError(f"Entry {i} in the {what} has invalid size: expected {tuple(b.shape)} but got "
                               f"{tuple(a.shape)}")
    return v


def _default_vector(tensors, fn_name, what):
    """ones for a single one-element tensor: the only case where torch lets `v` be None."""
    if len(tensors) != 1 or tensors[0].numel() != 1:
        raise RuntimeError(f"The vector v can only be None if the {what} is a single Tensor with a single element.")
    return (zeros_like(tensors[0]) + 1,)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), the vector-Jacobian product vᵀ·J at inputs)."""
    several_in, inputs = _as_tuple(inputs, "inputs", "vjp")
    inputs = _tracked(inputs, create_graph)
    several_out, outputs = _run(func, inputs, "vjp")
    v = _default_vector(outputs, "vjp", "user-provided function returns") if v is None else \
        _vectors(v, outputs, "v", "vjp")
    found = _grads(outputs, inputs, v, create_graph, strict, "vjp")
    return _finish(outputs, create_graph, several_out), _finish(found, create_graph, several_in)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), the Jacobian-vector product J·v at inputs), by the double-backward
    trick: the vjp with a stand-in vector u is linear in u; its derivative along v is J·v."""
    several_in, inputs = _as_tuple(inputs, "inputs", "jvp")
    inputs = _tracked(inputs, create_graph)
    v = _default_vector(inputs, "jvp", "input") if v is None else _vectors(v, inputs, "v", "jvp")
    several_out, outputs = _run(func, inputs, "jvp")
    stand_in = tuple(zeros_like(o).requires_grad_() for o in outputs)
    back = _grads(outputs, inputs, stand_in, True, strict, "jvp")
    found = _grads(back, stand_in, v, create_graph, strict, "jvp")
    return _finish(outputs, create_graph, several_out), _finish(found, create_graph, several_out)


def _jacobian_rows(outputs, inputs, create_graph, strict):
    """rows[i][j]: d outputs[i] / d inputs[j], shaped outputs[i].shape + inputs[j].shape."""
    stack = dispatcher.installed_function("stack")  # (recorded: a Hessian differentiates it)
    rows = []
    for out in outputs:
        flat = out.reshape(-1)
        per_element = [_grads((flat[k],), inputs, (None,), create_graph, strict, "jacobian")
                       for k in range(out.numel())]
        blocks = []
        for j, x in enumerate(inputs):
            if per_element:
                block = stack([g[j] for g in per_element]).reshape(tuple(out.shape) + tuple(x.shape))
            else:
                block = zeros(tuple(out.shape) + tuple(x.shape), dtype=x.dtype, device=x.device)
            blocks.append(block)
        rows.append(blocks)
    return rows


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of `func` at `inputs`: for a tensor input and output, a tensor of shape
    output.shape + input.shape; a tuple over inputs and/or outputs where those are tuples."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                         'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                         'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("torch.autograd.functional.jacobian: `strategy=\"forward-mode\"` requires "
                                  "`vectorize=True`.")
    several_in, inputs = _as_tuple(inputs, "inputs", "jacobian")
    inputs = _tracked(inputs, create_graph)
    several_out, outputs = _run(func, inputs, "jacobian")
    rows = _jacobian_rows(outputs, inputs, create_graph, strict)
    rows = [_finish(blocks, create_graph, several_in) for blocks in rows]
    return tuple(rows) if several_out else rows[0]


def _scalar_function(func, fn_name):
    """`func` checked to return a single one-element tensor (what a Hessian needs)."""
    def scalar(*inputs):
        several, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)
        if several or outputs[0].numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single "
                               "element")
        return outputs[0].reshape(())
    return scalar


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar `func` at `inputs` (input.shape + input.shape; a tuple of
    tuples for a tuple of inputs): the Jacobian of its gradient."""
    several_in, inputs = _as_tuple(inputs, "inputs", "hessian")
    scalar = _scalar_function(func, "hessian")

    def gradient(*xs):
        return jacobian(scalar, xs, create_graph=True, strict=strict)
    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict)
    return result if several_in else result[0][0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), vᵀ·H at inputs) for a scalar `func`."""
    several_in, inputs = _as_tuple(inputs, "inputs", "vhp")
    inputs = _tracked(inputs, create_graph)
    v = _default_vector(inputs, "vhp", "input") if v is None else _vectors(v, inputs, "v", "vhp")
    _, outputs = _run(_scalar_function(func, "vhp"), inputs, "vhp")
    first = _grads(outputs, inputs, (None,), True, strict, "vhp")
    found = _grads(first, inputs, v, create_graph, strict, "vhp")
    return _finish(outputs, create_graph, False), _finish(found, create_graph, several_in)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H·v at inputs) for a scalar `func` (H is symmetric: vᵀ·H)."""
    return vhp(func, inputs, v, create_graph, strict)
