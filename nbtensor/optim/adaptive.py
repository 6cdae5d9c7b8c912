"""Adagrad, RMSprop and Adadelta: steps scaled by running sums or averages of squared
gradients, as torch's single-tensor updates compute them."""
import nbtensor as torch
from nbtensor.optim._helpers import (
    addcdiv_, addcmul_, advance, check_fused, check_lr, check_nonnegative, ema_square_, gradient, step_counter,
    to_scalar)
from nbtensor.optim.optimizer import Optimizer

__all__ = ["Adagrad", "RMSprop", "Adadelta"]


class Adagrad(Optimizer):
    """Adagrad: ``p -= clr * g / (sqrt(sum g^2) + eps)`` with ``clr = lr / (1 + (t - 1) *
    lr_decay)``; state ('step', 'sum') is made for every parameter when it is constructed."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_lr(lr)
        check_nonnegative(lr_decay=lr_decay, weight_decay=weight_decay,
                          initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, fused=fused))
        check_fused(fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                self._state_for(p, group)

    def _initial_state(self, p, group):
        on_param = p.device if group["fused"] else None
        return {"step": step_counter(on_param), "sum": torch.full_like(p, group["initial_accumulator_value"])}

    def _update_param(self, p, group):
        state = self._state_for(p, group)
        step = advance(state)
        grad = gradient(p, group)
        clr = to_scalar(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
        addcmul_(state["sum"], grad, grad)
        addcdiv_(p, grad, state["sum"].sqrt().add_(group["eps"]), -clr)


class RMSprop(Optimizer):
    """RMSprop: ``p -= lr * g / (sqrt(avg g^2 [- (avg g)^2 if centered]) + eps)``, with
    optional momentum; state: 'step', 'square_avg', 'momentum_buffer' (momentum > 0) and
    'grad_avg' (centered)."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_lr(lr)
        check_nonnegative(eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                                      weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def _initial_state(self, p, group):
        state = {"step": step_counter(p.device if group["capturable"] else None),
                 "square_avg": torch.zeros_like(p)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = torch.zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = torch.zeros_like(p)
        return state

    def _update_param(self, p, group):
        state = self._state_for(p, group)
        alpha, momentum, lr = group["alpha"], group["momentum"], to_scalar(group["lr"])
        advance(state)
        grad = gradient(p, group)
        square_avg = ema_square_(state["square_avg"], grad, alpha)
        if group["centered"]:
            grad_avg = state["grad_avg"].lerp_(grad, 1 - alpha)
            avg = addcmul_(square_avg.clone(), grad_avg, grad_avg, -1).sqrt_()
        else:
            avg = square_avg.sqrt()
        avg = avg.add_(group["eps"])
        if momentum > 0:
            buf = addcdiv_(state["momentum_buffer"].mul_(momentum), grad, avg)
            p.add_(buf, alpha=-lr)
        else:
            addcdiv_(p, grad, avg, -lr)


class Adadelta(Optimizer):
    """Adadelta: the step is ``sqrt(avg dx^2 + eps) / sqrt(avg g^2 + eps) * g`` times `lr`;
    state: 'step', 'square_avg', 'acc_delta'."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonnegative(eps=eps, weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      capturable=capturable, foreach=foreach, differentiable=differentiable))

    def _initial_state(self, p, group):
        return {"step": step_counter(p.device if group["capturable"] else None),
                "square_avg": torch.zeros_like(p), "acc_delta": torch.zeros_like(p)}

    def _update_param(self, p, group):
        state = self._state_for(p, group)
        rho, eps = group["rho"], group["eps"]
        advance(state)
        grad = gradient(p, group)
        std = ema_square_(state["square_avg"], grad, rho).add(eps).sqrt_()
        delta = state["acc_delta"].add(eps).sqrt_().div_(std).mul_(grad)
        ema_square_(state["acc_delta"], delta, rho)
        p.add_(delta, alpha=-to_scalar(group["lr"]))
