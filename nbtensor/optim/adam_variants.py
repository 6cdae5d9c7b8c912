"""Adamax, NAdam and RAdam: Adam's moment estimates with an infinity norm, Nesterov momentum
or a rectified step, as torch's single-tensor updates compute them."""
import nbtensor as torch
from nbtensor.optim._helpers import (
    addcdiv_, advance, check_betas, check_lr, check_nonnegative, ema_square_, gradient, step_counter, to_scalar)
from nbtensor.optim.optimizer import Optimizer

__all__ = ["Adamax", "NAdam", "RAdam"]


class _Moments(Optimizer):
    """The common part: torch's checks (lr, eps, betas, weight_decay), per-parameter
    'step', 'exp_avg' and a second moment (`_second` names it), and the decayed gradient
    with the first moment updated."""

    _second = "exp_avg_sq"

    def __init__(self, params, lr, betas, eps, weight_decay, extra_checks=None, **defaults):
        check_lr(lr)
        check_nonnegative(eps=eps)
        check_betas(betas)
        check_nonnegative(weight_decay=weight_decay, **(extra_checks or {}))
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, **defaults))

    def _initial_state(self, p, group):
        return {"step": step_counter(p.device if group["capturable"] else None),
                "exp_avg": torch.zeros_like(p), self._second: torch.zeros_like(p)}

    def _moments(self, p, group, state):
        """Count the step, return (step, gradient) with the first moment updated."""
        step = advance(state)
        grad = gradient(p, group, decoupled=group.get("decoupled_weight_decay", False))
        state["exp_avg"].lerp_(grad, 1 - group["betas"][0])
        return step, grad


class Adamax(_Moments):
    """Adamax: Adam with the infinity norm ('exp_inf') in place of the second moment."""

    _second = "exp_inf"

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        super().__init__(params, lr, betas, eps, weight_decay, foreach=foreach, maximize=maximize,
                         differentiable=differentiable, capturable=capturable)

    def _update_param(self, p, group):
        state = self._state_for(p, group)
        beta1, beta2 = group["betas"]
        step, grad = self._moments(p, group, state)
        exp_inf = state["exp_inf"]
        torch.maximum(exp_inf.mul_(beta2), grad.abs().add_(group["eps"]), out=exp_inf)
        clr = to_scalar(group["lr"]) / (1 - beta1 ** step)
        addcdiv_(p, state["exp_avg"], exp_inf, -clr)


class NAdam(_Moments):
    """NAdam: Adam with Nesterov momentum, the momentum ``mu_t = beta1 * (1 - 0.5 * 0.96 **
    (t * momentum_decay))`` and their running product ('mu_product') in the state."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        super().__init__(params, lr, betas, eps, weight_decay, extra_checks=dict(momentum_decay=momentum_decay),
                         momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                         maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable)

    def _initial_state(self, p, group):
        state = super()._initial_state(p, group)
        mu_product = torch.tensor(1.0, dtype=torch.float32, device=p.device if group["capturable"] else None)
        return {"step": state.pop("step"), "mu_product": mu_product, **state}

    def _update_param(self, p, group):
        state = self._state_for(p, group)
        (beta1, beta2), lr, decay = group["betas"], to_scalar(group["lr"]), group["momentum_decay"]
        step, grad = self._moments(p, group, state)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * decay))
        mu_product = state["mu_product"].mul_(mu).item()
        denom = ema_square_(state["exp_avg_sq"], grad, beta2).div(1 - beta2 ** step).sqrt().add_(group["eps"])
        addcdiv_(p, grad, denom, -lr * (1.0 - mu) / (1.0 - mu_product))
        addcdiv_(p, state["exp_avg"], denom, -lr * mu_next / (1.0 - mu_product * mu_next))


class RAdam(_Moments):
    """RAdam: Adam whose adaptive step is rectified by the variance estimate's length
    ``rho_t``, and plain momentum SGD while ``rho_t <= 5``."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        super().__init__(params, lr, betas, eps, weight_decay, maximize=maximize, foreach=foreach,
                         capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                         differentiable=differentiable)

    def _update_param(self, p, group):
        state = self._state_for(p, group)
        (beta1, beta2), lr = group["betas"], to_scalar(group["lr"])
        step, grad = self._moments(p, group, state)
        ema_square_(state["exp_avg_sq"], grad, beta2)
        bias_correction2 = 1 - beta2 ** step
        corrected = state["exp_avg"] / (1 - beta1 ** step)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        if rho_t > 5.0:
            adaptive = bias_correction2 ** 0.5 / state["exp_avg_sq"].sqrt().add_(group["eps"])
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            p.add_(corrected * lr * adaptive * rect, alpha=-1.0)
        else:
            p.add_(corrected * lr, alpha=-1.0)
