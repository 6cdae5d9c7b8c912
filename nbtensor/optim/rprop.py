"""Rprop: per-element step sizes grown or shrunk by the sign agreement of successive
gradients, as torch's single-tensor update computes it."""
import nbtensor as torch
from nbtensor.optim._helpers import addcmul_, check_lr, gradient, step_counter, to_scalar
from nbtensor.optim.optimizer import Optimizer

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Resilient backpropagation; state: 'step', 'prev' (the last gradient used) and
    'step_size' (per element, clamped to `step_sizes`)."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def _initial_state(self, p, group):
        return {"step": step_counter(p.device if group["capturable"] else None), "prev": torch.zeros_like(p),
                "step_size": torch.full_like(p, to_scalar(group["lr"]))}

    def _update_param(self, p, group):
        state = self._state_for(p, group)
        (etaminus, etaplus), (low, high) = group["etas"], group["step_sizes"]
        state["step"] += 1
        grad = gradient(p, group)
        agreement = grad.mul(state["prev"]).sign()
        factor = torch.where(agreement > 0, etaplus, torch.where(agreement < 0, etaminus, torch.ones_like(p)))
        step_size = state["step_size"].mul_(factor).clamp_(low, high)
        grad = torch.where(factor == etaminus, 0.0, grad)
        addcmul_(p, grad.sign(), step_size, -1)
        state["prev"].copy_(grad)
