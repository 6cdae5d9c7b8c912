"""``nbtensor.autograd.gradcheck``: recorded gradients against central differences."""
from nbtensor.autograd.api import grad as autograd_grad
from nbtensor.autograd.grad_mode import no_grad
from nbtensor.dispatch.tensor import Tensor

__all__ = ["gradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """The analytical and numerical Jacobians differ."""


def _outputs(result):
    result = result if isinstance(result, (tuple, list)) else (result,)
    return [o for o in result if isinstance(o, Tensor) and o.dtype.is_floating_point]


def _flat_values(outputs):
    return [v for o in outputs for v in o.detach().reshape(-1).tolist()]


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **_):
    """True when the gradients autograd records for ``func(*inputs)`` match central
    differences (step `eps`) within ``atol + rtol * |numerical|`` for every output element
    and every input that requires grad (use float64 inputs)."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    wrt = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    outputs = _outputs(func(*inputs))
    n_out = sum(o.numel() for o in outputs)
    # analytical: one row of the Jacobian per output element
    analytical = []
    for o in outputs:
        for j in range(o.numel()):
            if not o.requires_grad:
                analytical.append([None] * len(wrt))
                continue
            row = autograd_grad(o.reshape(-1)[j], wrt, retain_graph=True, allow_unused=True)
            analytical.append([None if g is None else g.reshape(-1).tolist() for g in row])
    # numerical: one column per input element
    for k, x in enumerate(wrt):
        data = x.detach().view(-1)
        for i in range(x.numel()):
            with no_grad():
                original = data[i].item()
                data[i] = original + eps
                plus = _flat_values(_outputs(func(*inputs)))
                data[i] = original - eps
                minus = _flat_values(_outputs(func(*inputs)))
                data[i] = original
            for j in range(n_out):
                numerical = (plus[j] - minus[j]) / (2 * eps)
                row = analytical[j][k]
                got = 0.0 if row is None else row[i]
                if abs(got - numerical) > atol + rtol * abs(numerical):
                    if raise_exception:
                        raise GradcheckError(
                            f"Jacobian mismatch for output element {j} with respect to input {k}, element {i}: "
                            f"numerical {numerical!r}, analytical {got!r}")
                    return False
    return True
