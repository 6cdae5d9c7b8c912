"""Differential fuzzing of nbtensor against torch (issue 9, "Keep it found").

Random short programs (tests/fuzz/program.py) run under torch and under nbtensor; after
every line every live variable must agree (shape, dtype, strides, values, memory
sharing, raised exception class). Skipped when torch is not installed.

    python -m pytest tests/fuzz -q                         # seeds 0..2999, at most 120 s
    python -m pytest tests/fuzz -q --fuzz-seconds 600 --fuzz-seed 1000
    NBTENSOR_FUZZ_SECONDS=5 python -m pytest tests/fuzz    # the same through the environment

Replay one seed (prints the reduced program of its first mismatch):

    python -c "from tests.fuzz.program import *; print(format_failure(run_seed(7)))"

Survey many seeds, grouped into classes with reproducers: python -m tests.fuzz.explore --help.
A mismatch that is a deliberate divergence goes into program.KNOWN_DIVERGENCES.
"""
import os
import time

import pytest

torch = pytest.importorskip("torch")

from .program import format_failure, format_program, replay, run_seed  # noqa: E402

DEFAULT_SECONDS = 120.0  # the cap on CI's fixed seeds (a cold kernel cache runs slowly)
DEFAULT_PROGRAMS = 3000
MAX_FAILURES_SHOWN = 3


def _opt(config, name, env, default):
    v = config.getoption(name, default=None)
    if v is None:
        v = os.environ.get(env)
    return default if v is None else type(default)(v)


def test_same_seed_same_program():
    a, b = run_seed(12345, 10), run_seed(12345, 10)
    assert a.lines == b.lines


def test_detects_a_difference():
    # The comparison itself: a result that differs in value, dtype, sharing or raising
    # must be reported.
    lines = ["v0 = torch.tensor([1.0, 2.0])",
             "v1 = v0 if torch.__name__ == 'torch' else v0.clone()"]
    m, _ = replay(lines)
    assert m is not None and m.kind in ("identity", "sharing")
    m, _ = replay(["v0 = torch.tensor([1, 2]) + (0 if torch.__name__ == 'torch' else 1)"])
    assert m is not None and m.kind == "values"
    m, _ = replay(["v0 = torch.tensor([-0.0]) if torch.__name__ == 'torch' "
                   "else torch.tensor([0.0])"])
    assert m is not None and m.kind == "values"
    m, _ = replay(["v0 = torch.tensor([1])", "v0.fill_(1 if torch.__name__ == 'torch' "
                   "else 'x')"])
    assert m is not None and m.kind == "nb-raises"
    m, _ = replay(["v0 = torch.tensor([float('nan'), 1.0])", "v1 = v0 * 1.0"])
    assert m is None
    assert "import torch" in format_program(lines, [None, None])


def test_only_ties_may_differ_in_the_sign_of_zero():
    # maximum & co. pick one of two equal values, torch by the element's position: a zero's
    # sign is not compared there (and nbtensor's copy is resynced); elsewhere it is.
    neg = "-0.0 if torch.__name__ == 'torch' else 0.0"
    m, _ = replay(["v0 = torch.zeros(3)", "v1 = torch.maximum(v0, torch.tensor(%s))" % neg,
                   "v2 = 1 / v1"])
    assert m is None
    m, _ = replay(["v0 = torch.zeros(3)", "v1 = torch.maximum(v0, torch.tensor("
                   "1.0 if torch.__name__ == 'torch' else 2.0))"])
    assert m is not None and m.kind == "values"  # other values of a tie op stay exact
    m, _ = replay(["v0 = torch.zeros(3)", "v1 = torch.mul(v0, torch.tensor(%s))" % neg])
    assert m is not None and m.kind == "values"


def test_reordered_sums_may_differ_only_in_which_non_finite_value():
    nan_or_inf = "float('nan') if torch.__name__ == 'torch' else float('inf')"
    m, _ = replay(["v0 = torch.tensor([%s]).sum()" % nan_or_inf])
    assert m is None
    m, _ = replay(["v0 = torch.tensor([1.0, 2.0]).sum() * (%s)" % "1.0 if torch.__name__ == 'torch' else float('inf')"])
    assert m is not None and m.kind == "values"  # finite against non-finite is still caught


def test_torch_nan_of_an_overflowing_fmod_quotient_is_accepted_only_there():
    m, _ = replay(["v0 = torch.full((40,), 3e38)", "v1 = torch.remainder(v0, 0.2)"])
    assert m is None  # torch: nan in its vectorised part, 0.1796 in its tail
    m, _ = replay(["v0 = torch.tensor([1.0, 2.0])",
                   "v1 = torch.remainder(v0, 0.0 if torch.__name__ == 'torch' else 1.0)"])
    assert m is not None and m.kind == "values"


def test_fuzz_programs(request):
    explicit = _opt(request.config, "--fuzz-seconds", "NBTENSOR_FUZZ_SECONDS", -1.0)
    seconds = DEFAULT_SECONDS if explicit < 0 else explicit
    # By default (CI) a fixed range of seeds, checked clean, within a time cap; with an
    # explicit --fuzz-seconds, as many programs as the time allows.
    limit = DEFAULT_PROGRAMS if explicit < 0 else None
    seed = _opt(request.config, "--fuzz-seed", "NBTENSOR_FUZZ_SEED", 0)
    deadline = time.monotonic() + seconds
    failures, known, n = [], {}, 0
    while time.monotonic() < deadline and (limit is None or n < limit):
        res = run_seed(seed + n)
        n += 1
        if res.mismatch is None:
            continue
        if res.known:
            known[res.known] = known.get(res.known, 0) + 1
            continue
        failures.append(res)
        if len(failures) >= MAX_FAILURES_SHOWN:
            break
    print("fuzz: %d programs from seed %d, %d known divergences %s"
          % (n, seed, sum(known.values()), known))
    if failures:
        pytest.fail("%d of %d fuzz programs disagree with torch:\n\n%s" % (
            len(failures), n, "\n\n".join(format_failure(r) for r in failures)),
            pytrace=False)
