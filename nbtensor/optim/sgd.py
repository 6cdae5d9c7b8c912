"""SGD (momentum, dampening, Nesterov) and ASGD (averaged SGD), as torch's single-tensor
updates compute them."""
import nbtensor as torch
from nbtensor.optim._helpers import check_fused, check_lr, check_nonnegative, gradient, step_counter, to_scalar
from nbtensor.optim.optimizer import Optimizer

__all__ = ["SGD", "ASGD"]


class SGD(Optimizer):
    """Stochastic gradient descent with torch's momentum, dampening, Nesterov and weight decay;
    state: 'momentum_buffer' (only with momentum)."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        check_lr(lr)
        check_nonnegative(momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))
        check_fused(fused, foreach, differentiable)

    def _update_param(self, p, group):
        grad = gradient(p, group)
        momentum = group["momentum"]
        if momentum != 0:
            state = self.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.clone().detach()
            else:
                buf.mul_(momentum).add_(grad, alpha=1 - group["dampening"])
            grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
        p.add_(grad, alpha=-to_scalar(group["lr"]))


class ASGD(Optimizer):
    """Averaged SGD: the step size `eta` decays as ``lr / (1 + lambd * lr * t) ** alpha`` and
    'ax' averages the iterates from step `t0` on; state: 'step', 'eta', 'mu', 'ax'."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check_nonnegative(weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _initial_state(self, p, group):
        return {"step": step_counter(p.device),
                "eta": torch.tensor(to_scalar(group["lr"]), dtype=torch.float32, device=p.device),
                "mu": torch.ones((), dtype=torch.float32, device=p.device),
                "ax": torch.zeros_like(p)}

    def _update_param(self, p, group):
        state = self._state_for(p, group)
        lr, lambd, alpha = to_scalar(group["lr"]), group["lambd"], group["alpha"]
        state["step"] += 1
        grad = gradient(p, group)
        eta = state["eta"].item()
        p.mul_(1 - lambd * eta)
        p.add_(grad, alpha=-eta)
        ax, mu = state["ax"], state["mu"]
        if mu.item() != 1:
            ax.add_(p.sub(ax).mul_(mu))
        else:
            ax.copy_(p)
        step = state["step"].item()
        state["eta"].fill_(lr / ((1 + lambd * lr * step) ** alpha))
        mu.fill_(1 / max(1, step - group["t0"]))
