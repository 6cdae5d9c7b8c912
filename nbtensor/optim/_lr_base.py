"""The learning-rate scheduler base (torch.optim.lr_scheduler.LRScheduler) and the helpers
the schedulers share: reading and writing each group's value (numbers or one-element
tensors), per-group arguments, and torch's warnings."""
import warnings
import weakref

import nbtensor as torch
from nbtensor.optim._helpers import to_scalar
from nbtensor.optim.optimizer import Optimizer

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where possible. Please use "
    "`scheduler.step()` to step the scheduler. During the deprecation, if epoch is different from None, the closed "
    "form is used instead of the new chainable form, where available. Please open an issue if you are unable to "
    "replicate your use case: https://github.com/pytorch/pytorch/issues/new/choose.")


def format_param(name, optimizer, param):
    """`param` per parameter group: a list or tuple (one value per group), or one value for all."""
    if isinstance(param, (list, tuple)):
        if len(param) != len(optimizer.param_groups):
            raise ValueError(f"{name} must have the same length as optimizer.param_groups. {name} has {len(param)} "
                             f"values, param_groups has {len(optimizer.param_groups)}.")
    else:
        param = [param] * len(optimizer.param_groups)
    return [p.clone() if isinstance(p, torch.Tensor) else p for p in param]


def group_values(optimizer, key):
    """``group[key]`` of each group (tensors copied, so the list never aliases them)."""
    return [g[key].clone() if isinstance(g[key], torch.Tensor) else g[key] for g in optimizer.param_groups]


def set_group_value(group, key, value):
    """``group[key] = value``, or filled in place when the group holds a tensor."""
    if isinstance(group[key], torch.Tensor):
        group[key].fill_(to_scalar(value))
    else:
        group[key] = value


def check_optimizer(optimizer):
    """torch's TypeError for something that is not an Optimizer."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def warn_outside_step(scheduler):
    """torch's warning when ``get_lr()`` is called by the user rather than by ``step()``."""
    if not scheduler._get_lr_called_within_step:
        warnings.warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                      UserWarning, stacklevel=3)


class _Flag:
    """Sets the boolean attribute `name` of `owner` for the duration of a ``with`` block."""

    def __init__(self, owner, name):
        self.owner, self.name = owner, name

    def __enter__(self):
        setattr(self.owner, self.name, True)

    def __exit__(self, *exc):
        setattr(self.owner, self.name, False)


def _track_optimizer_steps(scheduler, optimizer):
    """Wrap ``optimizer.step`` (once) so that it records, in ``optimizer._opt_called``, that
    it has run: ``step()`` of a scheduler warns when it runs before the optimizer's."""
    if hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        return
    opt_ref = weakref.ref(optimizer)
    func = optimizer.step.__func__

    def wrapper(*args, **kwargs):
        opt = opt_ref()
        opt._opt_called = True
        return func.__get__(opt, opt.__class__)(*args, **kwargs)

    wrapper.__wrapped__, wrapper.__doc__, wrapper.__name__ = func, func.__doc__, func.__name__
    wrapper._wrapped_by_lr_sched = True
    optimizer.step = wrapper


class LRScheduler:
    """Base of the schedulers: sets each group's 'initial_lr' (``last_epoch=-1``) or requires
    it (resuming), keeps ``base_lrs``, ``last_epoch`` and ``get_last_lr()``, and takes its
    first step on construction. A subclass computes the next rates in ``get_lr()`` (and may
    give a ``_get_closed_form_lr()`` used by the deprecated ``step(epoch)``)."""

    _get_lr_called_within_step = False
    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                initial_lr = group["lr"]
                group.setdefault("initial_lr", initial_lr.clone() if isinstance(initial_lr, torch.Tensor)
                                 else initial_lr)
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming scheduler with "
                        "last_epoch >= 0.\nThis typically happens when:\n1. You're trying to resume training from a "
                        "checkpoint but haven't properly loaded the optimizer state\n2. You're using last_epoch >= 0 "
                        "for a fresh training run (not recommended)")
        self.base_lrs = group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        _track_optimizer_steps(self, optimizer)
        self._initial_step()

    def _initial_step(self):
        """Reset the step count and take the first step (in 'initial' mode)."""
        self._step_count = 0
        with _Flag(self, "_is_initial"):
            self.step()

    def state_dict(self):
        """Every attribute but the optimizer."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Take the attributes of `state_dict` (from ``state_dict()``)."""
        self.__dict__.update(state_dict)

    def _state_dict_with(self, key, saved):
        """The attributes but the optimizer, with `key` given as `saved` (for attributes that
        cannot be saved as they are: functions, schedulers)."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", key)}
        state[key] = saved
        return state

    def _load_state_dict_with(self, state_dict, key):
        """Take the attributes of `state_dict` but `key`; return what was saved under `key`."""
        saved = state_dict.pop(key)
        self.__dict__.update(state_dict)
        state_dict[key] = saved
        return saved

    def get_last_lr(self):
        """The learning rates the last ``step()`` set, one per group."""
        return self._last_lr

    def get_lr(self):
        """The next learning rates, one per group (called by ``step()``)."""
        raise NotImplementedError

    def step(self, epoch=None):
        """Advance one epoch and set each group's 'lr' (call it after ``optimizer.step()``);
        the deprecated `epoch` jumps to that epoch."""
        if self._step_count == 1:
            if not hasattr(self.optimizer.step, "_wrapped_by_lr_sched"):
                warnings.warn(
                    "Seems like `optimizer.step()` has been overridden after learning rate scheduler initialization. "
                    "Please, make sure to call `optimizer.step()` before `lr_scheduler.step()`. See more details at "
                    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate", UserWarning,
                    stacklevel=2)
            elif not getattr(self.optimizer, "_opt_called", False):
                warnings.warn(
                    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and later, you "
                    "should call them in the opposite order: `optimizer.step()` before `lr_scheduler.step()`.  Failure "
                    "to do this will result in PyTorch skipping the first value of the learning rate schedule. See "
                    "more details at https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate",
                    UserWarning, stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        with _Flag(self, "_get_lr_called_within_step"):
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                values = self._get_closed_form_lr() if hasattr(self, "_get_closed_form_lr") else self.get_lr()
        self._apply(values)

    def _apply(self, values):
        """Set each group's 'lr' to `values` and remember them for ``get_last_lr()``."""
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            set_group_value(group, "lr", lr)
        self._last_lr = group_values(self.optimizer, "lr")


class _LRScheduler(LRScheduler):
    """The old name of LRScheduler."""
