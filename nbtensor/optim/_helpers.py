"""What the optimizers share: torch's argument checks, the per-parameter step counter, the
gradient with maximize and weight decay applied, and torch's addcmul/addcdiv update steps
(written with nbtensor ops, so they run on every device)."""
import nbtensor as torch

# The words torch's "Invalid ..." messages use for each hyper-parameter.
_LABELS = {"lr": "learning rate", "eps": "epsilon value", "weight_decay": "weight_decay value",
           "momentum": "momentum value", "alpha": "alpha value", "lr_decay": "lr_decay value",
           "initial_accumulator_value": "initial_accumulator_value value",
           "momentum_decay": "momentum_decay value"}


def to_scalar(value):
    """A hyper-parameter as a Python number (a one-element tensor is read)."""
    return value.item() if isinstance(value, torch.Tensor) else value


def check_lr(lr):
    """torch's checks of a learning rate (a number, or a one-element tensor)."""
    if isinstance(lr, torch.Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    check_nonnegative(lr=lr)


def check_nonnegative(**values):
    """``ValueError: Invalid <name>: <value>`` for the first negative value, in the order given."""
    for name, value in values.items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {_LABELS[name]}: {value}")


def check_betas(betas):
    """Both betas in [0, 1), as torch checks them (index by index)."""
    for i in range(2):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")


def step_counter(device=None):
    """A fresh per-parameter step count: a float32 scalar tensor, as torch stores 'step'."""
    return torch.tensor(0.0, dtype=torch.float32, device=device)


def advance(state):
    """Count one more step in ``state['step']`` (in place) and return the new count."""
    state["step"] += 1
    return state["step"].item()


def gradient(p, group, decoupled=False):
    """`p`'s gradient, negated under ``maximize``, with the group's weight decay: added to the
    gradient (L2), or with `decoupled` applied to `p` itself (``p *= 1 - lr * weight_decay``)."""
    grad = -p.grad if group["maximize"] else p.grad
    weight_decay = group.get("weight_decay", 0)
    if weight_decay != 0:
        if decoupled:
            p.mul_(1 - to_scalar(group["lr"]) * weight_decay)
        else:
            grad = grad.add(p, alpha=weight_decay)
    return grad


def addcmul_(x, a, b, value=1.0):
    """``x += value * a * b`` in place, rounded as torch's addcmul_ (value * a first)."""
    return x.add_(a.mul(value).mul_(b))


def addcdiv_(x, a, b, value=1.0):
    """``x += value * a / b`` in place, rounded as torch's addcdiv_ (value * a first)."""
    return x.add_(a.mul(value).div_(b))


def ema_square_(avg, grad, decay):
    """``avg = decay * avg + (1 - decay) * grad * grad`` in place, as torch writes it
    (``avg.mul_(decay).addcmul_(grad, grad, value=1 - decay)``)."""
    return addcmul_(avg.mul_(decay), grad, grad, 1 - decay)


def check_fused(fused, foreach, differentiable):
    """torch's refusals of ``fused=True`` with ``differentiable`` or ``foreach`` (a fused
    optimizer takes the same steps here as the others)."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
