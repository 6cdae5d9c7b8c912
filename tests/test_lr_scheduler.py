"""nbtensor.optim.lr_scheduler: every scheduler's get_last_lr() sequence against torch's
(when installed) and against closed forms computed here, plus torch's warnings, errors,
'initial_lr', last_epoch and state_dict behaviour."""
import math
import warnings

import pytest

import nbtensor as nb
from tests.support import needs_torch, torch

STEPS = 20


def _optimizer(lib, name="SGD", lr=1.0):
    """Two groups (lr and lr / 2) over tiny parameters; with momentum for SGD."""
    groups = [{"params": [lib.zeros(1, requires_grad=True)]}, {"params": [lib.zeros(1, requires_grad=True)],
                                                                "lr": lr / 2}]
    return getattr(lib.optim, name)(groups, lr=lr, **({"momentum": 0.9} if name == "SGD" else {}))


def _run(lib, make, optimizer="SGD", metrics=None):
    """The rates (and the first group's momentum or betas) after construction and after each
    of STEPS optimizer.step(); scheduler.step() rounds, and the scheduler."""
    opt = _optimizer(lib, optimizer)
    sched = make(lib.optim.lr_scheduler, opt)
    lrs, momenta = [sched.get_last_lr()], []
    for i in range(STEPS):
        opt.step()
        sched.step(*([metrics[i]] if metrics else []))
        lrs.append(sched.get_last_lr())
        group = opt.param_groups[0]
        momenta.append(group.get("momentum", group.get("betas")))
    return lrs, momenta, sched


SCHEDULES = {
    "LambdaLR": lambda L, o: L.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1.0 / (e + 1)]),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, lambda e: 0.9),
    "StepLR": lambda L, o: L.StepLR(o, 3, 0.5),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, [2, 5, 5, 9], 0.5),
    "ConstantLR": lambda L, o: L.ConstantLR(o, 0.25, 4),
    "LinearLR": lambda L, o: L.LinearLR(o, 0.2, 0.9, 7),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, 0.8),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, 8, 2.0),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, 6, 0.01),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, 3, 2, 0.05),
    "SequentialLR": lambda L, o: L.SequentialLR(o, [L.LinearLR(o, 0.1, total_iters=4), L.ExponentialLR(o, 0.7)], [4]),
    "ChainedScheduler": lambda L, o: L.ChainedScheduler([L.ConstantLR(o, 0.5, 3), L.ExponentialLR(o, 0.9)]),
    "CyclicLR": lambda L, o: L.CyclicLR(o, 0.1, 1.0, step_size_up=3, step_size_down=2),
    "CyclicLR-triangular2": lambda L, o: L.CyclicLR(o, [0.1, 0.2], 1.0, step_size_up=2, mode="triangular2"),
    "CyclicLR-exp_range": lambda L, o: L.CyclicLR(o, 0.1, 1.0, step_size_up=2, mode="exp_range", gamma=0.9),
    "OneCycleLR": lambda L, o: L.OneCycleLR(o, 1.0, total_steps=STEPS + 1),
    "OneCycleLR-three_phase": lambda L, o: L.OneCycleLR(o, [1.0, 2.0], total_steps=STEPS + 1, three_phase=True,
                                                        anneal_strategy="linear"),
}


@needs_torch
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_rates_match_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither library warns when the steps come in order
        mine, my_momenta, sched = _run(nb, SCHEDULES[name])
        theirs, their_momenta, tsched = _run(torch, SCHEDULES[name])
    assert mine == theirs  # the same formulas in the same order: equal to the last bit
    assert my_momenta == their_momenta
    assert set(sched.state_dict()) == set(tsched.state_dict())


@needs_torch
def test_reduce_on_plateau_and_adam_betas_match_torch():
    metrics = [5, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]
    make = lambda L, o: L.ReduceLROnPlateau(o, patience=2, cooldown=1, factor=0.5, min_lr=0.1)  # noqa: E731
    mine, theirs = _run(nb, make, metrics=metrics), _run(torch, make, metrics=metrics)
    assert mine[0] == theirs[0] and mine[2].state_dict() == theirs[2].state_dict()
    make = lambda L, o: L.OneCycleLR(o, 1.0, total_steps=STEPS)  # noqa: E731  (cycles Adam's beta1)
    mine, theirs = _run(nb, make, "Adam"), _run(torch, make, "Adam")
    assert mine[0] == theirs[0] and mine[1] == theirs[1]


def _closed(base, factor):
    return [base * factor, base / 2 * factor]


@pytest.mark.parametrize("name, closed_form", [
    ("LambdaLR", lambda e: [0.9 ** e, 0.5 / (e + 1)]),
    ("MultiplicativeLR", lambda e: _closed(0.9 ** e, 1)),
    ("StepLR", lambda e: _closed(0.5 ** (e // 3), 1)),
    ("MultiStepLR", lambda e: _closed(0.5 ** ((e >= 2) + 2 * (e >= 5) + (e >= 9)), 1)),
    ("ConstantLR", lambda e: _closed(0.25 if e < 4 else 1.0, 1)),
    ("LinearLR", lambda e: _closed(0.2 + 0.7 * min(e, 7) / 7, 1)),
    ("ExponentialLR", lambda e: _closed(0.8 ** e, 1)),
    ("PolynomialLR", lambda e: _closed((1 - min(e, 8) / 8) ** 2, 1)),
    ("CosineAnnealingLR", lambda e: [0.01 + (b - 0.01) * (1 + math.cos(math.pi * e / 6)) / 2 for b in (1.0, 0.5)]),
    ("CosineAnnealingWarmRestarts",  # periods 3, 6, 12 start at epochs 0, 3, 9
     lambda e: [0.05 + (b - 0.05) * (1 + math.cos(math.pi * c / t)) / 2 for b in (1.0, 0.5)
                for t, c in [(3, e) if e < 3 else (6, e - 3) if e < 9 else (12, e - 9)]]),
    ("SequentialLR", lambda e: _closed(0.1 + 0.9 * e / 4 if e < 4 else 0.7 ** (e - 4), 1)),
    ("ChainedScheduler", lambda e: _closed((0.5 if e < 3 else 1.0) * 0.9 ** e, 1)),
    ("CyclicLR",  # up from 0.1 to 1.0 in 3 steps, down in 2
     lambda e: [0.1 + 0.9 * (e % 5 / 3 if e % 5 <= 3 else (5 - e % 5) / 2)] * 2),
])
def test_rates_follow_the_closed_forms(name, closed_form):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lrs, _, _ = _run(nb, SCHEDULES[name])
    for epoch, got in enumerate(lrs):
        assert got == pytest.approx(closed_form(epoch), rel=1e-9, abs=1e-12), epoch


def test_one_cycle_by_hand():
    lrs, momenta, _ = _run(nb, SCHEDULES["OneCycleLR"])
    # warm-up to max_lr over pct_start * 21 - 1 = 5.3 steps, then cosine down to 1 / 25 / 1e4
    start, end = 1.0 / 25, 1.0 / 25 / 1e4
    assert lrs[0][0] == pytest.approx(start) and lrs[STEPS][0] == pytest.approx(end)
    assert lrs[3][0] == pytest.approx(1.0 + (start - 1.0) / 2 * (math.cos(math.pi * 3 / 5.3) + 1))
    # the peak is the first step of the second phase (which runs from step 5.3 to 20)
    peak = end + (1.0 - end) / 2 * (math.cos(math.pi * (6 - 5.3) / (20 - 5.3)) + 1)
    assert max(lr[0] for lr in lrs) == lrs[6][0] == pytest.approx(peak)
    assert momenta[-1] == pytest.approx(0.95) and min(momenta) < 0.86


def test_reduce_on_plateau_by_hand():
    metrics = [5, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]
    lrs, _, sched = _run(nb, lambda L, o: L.ReduceLROnPlateau(o, patience=2, cooldown=1, factor=0.5, min_lr=0.1),
                         metrics=metrics)
    firsts = [lr[0] for lr in lrs]
    # bad epochs 3, 4, 5: reduced at 5; a cooldown epoch (6); better at 7; bad 8, 9, 10:
    # reduced at 10; cooldown 11; reduced at 14, then at 18 (to min_lr, 0.1)
    assert firsts[:5] == [1.0] * 5 and firsts[5:10] == [0.5] * 5 and firsts[10:14] == [0.25] * 4
    assert firsts[14:18] == [0.125] * 4 and firsts[18:] == [0.1] * 3
    assert [lr[1] for lr in lrs[4:15:5]] == [0.5, 0.25, 0.1] and lrs[-1][1] == 0.1
    assert sched.state_dict()["best"] == 3.0 and sched.last_epoch == STEPS


def test_initial_lr_and_resuming():
    opt = _optimizer(nb)
    nb.optim.lr_scheduler.ExponentialLR(opt, 0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == [1.0, 0.5]
    with pytest.raises(KeyError, match=r"param 'initial_lr' is not specified in param_groups\[0\] when resuming"):
        nb.optim.lr_scheduler.StepLR(_optimizer(nb), 2, last_epoch=3)
    # resuming from last_epoch continues the schedule
    sched = nb.optim.lr_scheduler.StepLR(opt, 2, 0.5, last_epoch=3)
    assert sched.last_epoch == 4 and sched.base_lrs == [1.0, 0.5]


def test_state_dict_round_trip_continues_the_schedule():
    opt = _optimizer(nb)
    sched = nb.optim.lr_scheduler.CosineAnnealingLR(opt, 10)
    for _ in range(3):
        opt.step()
        sched.step()
    state = sched.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 3 and state["_step_count"] == 4
    other_opt = _optimizer(nb)
    other = nb.optim.lr_scheduler.CosineAnnealingLR(other_opt, 10)
    other.load_state_dict(state)
    other_opt.load_state_dict(opt.state_dict())
    for _ in range(2):
        for o, s in ((opt, sched), (other_opt, other)):
            o.step()
            s.step()
    assert other.get_last_lr() == sched.get_last_lr()
    lambdas = nb.optim.lr_scheduler.LambdaLR(_optimizer(nb), lambda e: 1.0).state_dict()
    assert lambdas["lr_lambdas"] == [None, None]


def test_warnings_as_torch():
    opt = _optimizer(nb)
    sched = nb.optim.lr_scheduler.StepLR(opt, 2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        sched.step()
    with pytest.warns(UserWarning, match=r"please use `get_last_lr\(\)`"):
        sched.get_lr()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
        sched.step(6)
    assert sched.get_last_lr() == pytest.approx([1e-3, 5e-4])  # the closed form at epoch 6
    opt = _optimizer(nb)
    sched = nb.optim.lr_scheduler.StepLR(opt, 2)
    opt.step = lambda closure=None: None  # replaced after the scheduler wrapped it
    with pytest.warns(UserWarning, match=r"Seems like `optimizer.step\(\)` has been overridden"):
        sched.step()


def _step(scheduler, times):
    for _ in range(times):
        scheduler.step()


@pytest.mark.parametrize("make, error, message", [
    (lambda L, o: L.StepLR(None, 2), TypeError, "NoneType is not an Optimizer"),
    (lambda L, o: L.LambdaLR(o, [lambda e: 1.0]), ValueError, "Expected 2 lr_lambdas, but got 1"),
    (lambda L, o: L.MultiplicativeLR(o, 3), TypeError, "lr_lambda should be a function, but got int"),
    (lambda L, o: L.ConstantLR(o, 2.0), ValueError, "Constant multiplicative factor expected to be between 0 and 1."),
    (lambda L, o: L.LinearLR(o, 0.0), ValueError, "Starting multiplicative factor expected to be greater than 0"),
    (lambda L, o: L.CosineAnnealingWarmRestarts(o, 0), ValueError, "Expected positive integer T_0, but got 0"),
    (lambda L, o: L.CosineAnnealingWarmRestarts(o, 2, 1.5), ValueError, "Expected integer T_mult >= 1, but got 1.5"),
    (lambda L, o: L.SequentialLR(o, [L.StepLR(o, 2)], [3]), ValueError,
     "Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone"),
    (lambda L, o: L.ChainedScheduler([L.ReduceLROnPlateau(o)]), ValueError,
     "ChainedScheduler does not support `ReduceLROnPlateau` scheduler"),
    (lambda L, o: L.ChainedScheduler([]), ValueError,
     "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler."),
    (lambda L, o: L.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0."),
    (lambda L, o: L.ReduceLROnPlateau(o, mode="avg"), ValueError, "mode avg is unknown!"),
    (lambda L, o: L.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "expected 2 min_lrs, got 1"),
    (lambda L, o: L.CyclicLR(o, 0.1, 1.0, mode="x"), ValueError, "mode is invalid and scale_fn is None"),
    (lambda L, o: L.CyclicLR(o, [0.1], 1.0), ValueError, "base_lr must have the same length as optimizer.param_groups"),
    (lambda L, o: L.OneCycleLR(o, 1.0), ValueError, "You must define either total_steps OR (epochs AND steps_per_epoch)"),
    (lambda L, o: L.OneCycleLR(o, 1.0, 10, pct_start=1), ValueError, "Expected float between 0 and 1 pct_start"),
    (lambda L, o: _step(L.OneCycleLR(o, 1.0, 2), 3), ValueError,
     "Tried to step 3 times. The specified number of total steps is 2"),
])
def test_bad_arguments_raise_as_torch(make, error, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error) as info:
            make(nb.optim.lr_scheduler, _optimizer(nb))
    assert str(info.value).startswith(message)


def test_cycle_momentum_needs_a_momentum():
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1 with `cycle_momentum` option"):
        nb.optim.lr_scheduler.CyclicLR(_optimizer(nb, "Adagrad"), 0.1, 1.0)
    assert issubclass(nb.optim.lr_scheduler._LRScheduler, nb.optim.lr_scheduler.LRScheduler)
