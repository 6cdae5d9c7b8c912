"""L-BFGS (torch.optim.LBFGS): a quasi-Newton method that keeps the last `history_size`
(step, gradient change) pairs and applies the inverse-Hessian approximation they define with
the two-loop recursion; each ``step(closure)`` runs up to `max_iter` iterations, with a fixed
step or a strong-Wolfe line search (``_line_search``).

All of its state is global; like torch's, it is kept as the state of the first parameter, so
that ``state_dict`` / ``load_state_dict`` save and restore it as any optimizer's:
'func_evals', 'n_iter', 'd', 't', 'old_dirs', 'old_stps', 'ro', 'H_diag', 'prev_flat_grad',
'prev_loss' and 'al'."""
import nbtensor as torch
from nbtensor.optim._helpers import check_lr
from nbtensor.optim._line_search import strong_wolfe
from nbtensor.optim.optimizer import Optimizer

__all__ = ["LBFGS"]

# What a step carries over to the next one (besides the counters and 'al').
_MEMORY = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss")


class LBFGS(Optimizer):
    """L-BFGS over all parameters of its single group, flattened into one vector.

    `lr` scales the step (the first iteration of the first step is also capped at
    ``1 / sum|grad|``); `max_eval` (default ``max_iter * 5 // 4``) bounds the closure calls per
    step; a step ends early when the largest gradient entry is at most `tolerance_grad` or
    the loss or the parameters change by less than `tolerance_change`; `line_search_fn` is
    None (fixed step) or "strong_wolfe"."""

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change, history_size=history_size,
                                      line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    @property
    def _params(self):
        return self.param_groups[0]["params"]

    # ---------------------------------------------------------------- the flat parameter vector
    def _flat_grad(self):
        """All gradients as one new vector (zeros for a parameter without one)."""
        views = [torch.zeros(p.numel(), dtype=p.dtype, device=p.device) if p.grad is None else p.grad.reshape(-1)
                 for p in self._params]
        return torch.cat(views, 0)

    def _add_to_params(self, step, direction):
        """``params += step * direction`` (`direction` flat, in parameter order)."""
        offset = 0
        for p in self._params:
            numel = p.numel()
            p.add_(direction[offset:offset + numel].view_as(p), alpha=step)
            offset += numel

    def _evaluate_along(self, evaluate, start, t, d):
        """(loss, flat gradient) at ``start + t * d``; the parameters are put back to `start`."""
        self._add_to_params(t, d)
        loss = float(evaluate())
        flat_grad = self._flat_grad()
        for p, saved in zip(self._params, start):
            p.copy_(saved)
        return loss, flat_grad

    # ---------------------------------------------------------------- one step
    def step(self, closure):
        """Minimise the loss that `closure` (zeroing the gradients, computing the loss and
        calling ``backward``) returns, for up to `max_iter` iterations; returns the loss of
        the first evaluation."""
        if len(self.param_groups) != 1:
            raise AssertionError(f"Expected exactly one param_group, but got {len(self.param_groups)}")
        group = self.param_groups[0]

        def evaluate():
            with torch.enable_grad():
                return closure()

        with torch.no_grad():
            state = self.state[self._params[0]]
            state.setdefault("func_evals", 0)
            state.setdefault("n_iter", 0)
            orig_loss = evaluate()
            state["func_evals"] += 1
            flat_grad = self._flat_grad()
            if flat_grad.abs().max() <= group["tolerance_grad"]:
                return orig_loss
            memory = {key: state.get(key) for key in _MEMORY}
            self._iterate(evaluate, group, state, memory, float(orig_loss), flat_grad)
            state.update(memory)
        return orig_loss

    def _iterate(self, evaluate, group, state, memory, loss, flat_grad):
        """The iterations of one step; updates `memory` (what the next step reuses)."""
        lr = group["lr"].reshape(()) if isinstance(group["lr"], torch.Tensor) else group["lr"]  # (as torch keeps it)
        n_iter, evals = 0, 1
        while n_iter < group["max_iter"]:
            n_iter += 1
            state["n_iter"] += 1
            self._set_direction(state, memory, flat_grad, group["history_size"])
            memory["prev_flat_grad"] = _overwrite(memory["prev_flat_grad"], flat_grad)
            memory["prev_loss"] = loss
            memory["t"] = min(1.0, 1.0 / flat_grad.abs().sum()) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad.dot(memory["d"])
            if gtd > -group["tolerance_change"]:
                break
            last = n_iter == group["max_iter"]
            loss, flat_grad, used, optimal = self._move(evaluate, group, memory, loss, flat_grad, gtd, evals, last)
            evals += used
            state["func_evals"] += used
            if last or evals >= group["max_eval"] or optimal or _stalled(group, memory, loss):
                break

    def _set_direction(self, state, memory, flat_grad, history_size):
        """The search direction ``memory['d']``: steepest descent on the very first
        iteration, else the L-BFGS direction after adding the last (s, y) pair to the
        history (when its curvature ``y . s`` exceeds 1e-10)."""
        if state["n_iter"] == 1:
            memory.update(d=flat_grad.neg(), old_dirs=[], old_stps=[], ro=[], H_diag=1)
            return
        y = flat_grad.sub(memory["prev_flat_grad"])
        s = memory["d"].mul(memory["t"])
        ys = y.dot(s)
        if ys > 1e-10:
            _remember(memory, y, s, ys, history_size)
        if "al" not in state:
            state["al"] = [None] * history_size
        memory["d"] = _two_loop(flat_grad, memory["old_dirs"], memory["old_stps"], memory["ro"], memory["H_diag"],
                                state["al"])

    def _move(self, evaluate, group, memory, loss, flat_grad, gtd, evals, last):
        """Step along ``memory['d']`` (fixed step `t`, or a strong-Wolfe search that sets
        ``memory['t']``); returns (loss, flat gradient, closure calls, optimality reached).
        A fixed last iteration does not evaluate the closure again."""
        tolerance_grad = group["tolerance_grad"]
        search = group["line_search_fn"]
        if search is None:
            self._add_to_params(memory["t"], memory["d"])
            if last:
                return loss, flat_grad, 0, False
            loss = float(evaluate())
            flat_grad = self._flat_grad()
            return loss, flat_grad, 1, flat_grad.abs().max() <= tolerance_grad
        if search != "strong_wolfe":
            raise RuntimeError("only 'strong_wolfe' is supported")
        start = [p.clone() for p in self._params]
        loss, flat_grad, memory["t"], used = strong_wolfe(
            lambda t: self._evaluate_along(evaluate, start, t, memory["d"]), memory["t"], memory["d"], loss,
            flat_grad, gtd, max_ls=group["max_eval"] - evals)
        self._add_to_params(memory["t"], memory["d"])
        return loss, flat_grad, used, flat_grad.abs().max() <= tolerance_grad


def _overwrite(buffer, value):
    """`value` copied into `buffer` (a new copy when there is no buffer yet)."""
    return value.clone() if buffer is None else buffer.copy_(value)


def _stalled(group, memory, loss):
    """The last iteration moved the parameters or the loss by less than `tolerance_change`."""
    tolerance = group["tolerance_change"]
    return memory["d"].mul(memory["t"]).abs().max() <= tolerance or abs(loss - memory["prev_loss"]) < tolerance


def _remember(memory, y, s, ys, history_size):
    """Add the pair (s, y) with ``ro = 1 / (y . s)`` to the history, dropping the oldest pair
    when it is full, and rescale the initial inverse Hessian to ``(y . s) / (y . y)``."""
    if len(memory["old_dirs"]) == history_size:
        for key in ("old_dirs", "old_stps", "ro"):
            memory[key].pop(0)
    memory["old_dirs"].append(y)
    memory["old_stps"].append(s)
    memory["ro"].append(1.0 / ys)
    memory["H_diag"] = ys / y.dot(y)


def _two_loop(flat_grad, dirs, steps, ro, h_diag, al):
    """``-H grad`` for the L-BFGS inverse Hessian H of the history (gradient changes `dirs`,
    steps `steps`, ``ro = 1 / (y . s)``, initial scale `h_diag`), by the two-loop recursion;
    the first loop's coefficients are written into `al`."""
    q = flat_grad.neg()
    for i in reversed(range(len(dirs))):
        al[i] = steps[i].dot(q) * ro[i]
        q.add_(dirs[i], alpha=-al[i])
    r = torch.mul(q, h_diag)
    for i in range(len(dirs)):
        beta = dirs[i].dot(r) * ro[i]
        r.add_(steps[i], alpha=al[i] - beta)
    return r
