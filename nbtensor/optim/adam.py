"""Adam and AdamW, as torch's single-tensor update computes them; state: 'step' (a float32
scalar tensor on the CPU), 'exp_avg', 'exp_avg_sq' and, with amsgrad, 'max_exp_avg_sq'."""
import nbtensor as torch
from nbtensor.optim._helpers import (
    addcdiv_, advance, check_betas, check_fused, check_lr, check_nonnegative, ema_square_, gradient, step_counter,
    to_scalar)
from nbtensor.optim.optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam; with ``decoupled_weight_decay=True`` the weight decay acts on the parameter, as
    AdamW's."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        check_lr(lr)
        check_nonnegative(eps=eps)
        check_betas(betas)
        check_nonnegative(weight_decay=weight_decay)
        if not all(isinstance(b, float) for b in betas[:2]) and not all(isinstance(b, torch.Tensor) for b in betas[:2]):
            raise ValueError("betas must be either both floats or both Tensors")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))
        check_fused(fused, foreach, differentiable)

    def _initial_state(self, p, group):
        on_param = group["capturable"] or group["fused"]
        state = {"step": step_counter(p.device if on_param else "cpu"),
                 "exp_avg": torch.zeros_like(p), "exp_avg_sq": torch.zeros_like(p)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = torch.zeros_like(p)
        return state

    def _update_param(self, p, group):
        state = self._state_for(p, group)
        beta1, beta2 = (to_scalar(b) for b in group["betas"])
        step = advance(state)
        grad = gradient(p, group, decoupled=group["decoupled_weight_decay"])
        state["exp_avg"].lerp_(grad, 1 - beta1)
        second = ema_square_(state["exp_avg_sq"], grad, beta2)
        if group["amsgrad"]:
            second = torch.maximum(state["max_exp_avg_sq"], second, out=state["max_exp_avg_sq"])
        step_size = to_scalar(group["lr"]) / (1 - beta1 ** step)
        denom = (second.sqrt() / (1 - beta2 ** step) ** 0.5).add_(group["eps"])
        addcdiv_(p, state["exp_avg"], denom, -step_size)


class AdamW(Adam):
    """Adam with decoupled weight decay (default 0.01)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
