"""Adafactor (torch.optim.Adafactor), as torch's single-tensor update computes it: the second
moment of a parameter with two or more dimensions is factored into row and column averages
over its last two dimensions; the step is relative to the parameter's RMS and clipped by the
update's RMS. State: 'step' (a float32 scalar tensor) and 'row_var' / 'col_var' (≥ 2-D
parameters) or 'variance' (0-D and 1-D parameters)."""
import nbtensor as torch
from nbtensor.optim._helpers import advance, step_counter
from nbtensor.optim.optimizer import Optimizer

__all__ = ["Adafactor"]


def _check_arguments(lr, beta2_decay, eps, d, weight_decay):
    """torch's checks (and messages) of Adafactor's hyper-parameters."""
    if isinstance(lr, torch.Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    checks = [(0.0 <= lr, f"Learning rate should be >= 0 but is: {lr}"),
              (0.0 >= beta2_decay, f"beta2_decay should be <= 0 but is: {beta2_decay}"),
              (eps[0] is None or 0.0 <= eps[0], f"epsilon1 should be >= 0 but is: {eps[0]}"),
              (0.0 <= eps[1], f"epsilon2 should be >= 0 but is: {eps[1]}"),
              (1.0 <= d, f"Clipping threshold d should be >= 1 but is: {d}"),
              (0.0 <= weight_decay, f"weight_decay should be >= 0 but is: {weight_decay}")]
    for ok, message in checks:
        if not ok:
            raise ValueError(message)


def _rms(t, scale=1.0):
    """The root mean square of `t`'s entries divided by `scale`, as a Python number."""
    return t.norm(2).item() / (t.numel() ** 0.5 * scale)


def _mean_square(grad, dim):
    """``(grad * grad).mean(dim, keepdim=True)``, computed from the norm as torch does."""
    return torch.norm(grad, dim=dim, keepdim=True).square_().div_(grad.size(dim))


class Adafactor(Optimizer):
    """Adafactor: relative step ``rho_t = min(lr, 1 / sqrt(t))`` scaled by ``max(eps2,
    RMS(p))``, second-moment decay ``1 - t ** beta2_decay``, update ``grad / sqrt(max(V,
    eps1^2))`` clipped to RMS `d`, and decoupled weight decay ``p *= 1 - lr * weight_decay``.
    `eps1` None means the machine epsilon of the first parameter (with a gradient) of each
    group, as in torch."""

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        _check_arguments(lr, beta2_decay, eps, d, weight_decay)
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize))

    def _initial_state(self, p, group):
        state = {"step": step_counter()}
        if p.dim() > 1:
            state["row_var"] = torch.zeros((*p.shape[:-1], 1), dtype=p.dtype, device=p.device)
            state["col_var"] = torch.zeros((*p.shape[:-2], 1, p.shape[-1]), dtype=p.dtype, device=p.device)
        else:
            state["variance"] = torch.zeros_like(p)
        return state

    def step(self, closure=None):
        """One Adafactor update of every parameter with a gradient; `closure` (re-evaluating
        the loss, with grad) runs first and its loss is returned."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                eps1 = group["eps"][0]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    if eps1 is None:
                        eps1 = torch.finfo(p.dtype).eps
                    self._update(p, group, eps1)
        return loss

    def _update(self, p, group, eps1):
        """One Adafactor update of `p` (which has a gradient), with floor `eps1`. A tensor
        `lr` stays a 0-dim tensor in the step-size arithmetic, as in torch."""
        state = self._state_for(p, group)
        lr = group["lr"].reshape(()) if isinstance(group["lr"], torch.Tensor) else group["lr"]
        step = advance(state)
        alpha = max(group["eps"][1], _rms(p)) * min(lr, 1 / (step ** 0.5))
        grad = -p.grad if group["maximize"] else p.grad
        if group["weight_decay"] != 0:
            p.mul_(1 - lr * group["weight_decay"])
        variance = self._second_moment(state, grad, step ** group["beta2_decay"], eps1)
        update = variance.clamp_(min=eps1 * eps1).rsqrt_().mul_(grad)
        clip = max(1.0, _rms(update, group["d"]))
        p.add_(update, alpha=-alpha / clip)

    @staticmethod
    def _second_moment(state, grad, weight, eps1):
        """The running second-moment estimate after taking in `grad` with weight `weight`
        (``1 - beta2_t``), as a new tensor: the outer product of the row and column averages
        over the row average's mean for ≥ 2-D gradients, else the plain running average."""
        if grad.dim() <= 1:
            return state["variance"].lerp_(grad * grad, weight).clone()
        row_var = state["row_var"].lerp_(_mean_square(grad, -1), weight)
        col_var = state["col_var"].lerp_(_mean_square(grad, -2), weight)
        return (row_var @ col_var).div_(row_var.mean(dim=-2, keepdim=True).clamp_(min=eps1))
