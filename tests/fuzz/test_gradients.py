"""The gradient differential fuzzer (tests/fuzz/gradients.py) on a fixed set of seeds:
forward values, leaf gradients (first and second order) and raised exception classes
must match torch's. Skipped when torch is not installed.

    python -m tests.fuzz.gradients --seconds 300 --seed 1000   # explore, grouped reproducers
"""
import pytest

torch = pytest.importorskip("torch")

from .gradients import describe, replay, run_seed  # noqa: E402

SEEDS = range(200)  # ~10 s on two cores


def test_same_seed_same_program():
    assert run_seed(4321).lines == run_seed(4321).lines


def test_detects_a_wrong_gradient():
    lines = ["a0 = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)",
             "v0 = a0 * (2.0 if torch.__name__ == 'torch' else 2.0 + 1e-6)",
             "loss = v0.sum()", "loss.backward()"]
    m, _, _ = replay(lines)
    assert m is not None and m.kind == "values"  # v0 differs first
    lines[1] = "v0 = a0 * 2.0 if torch.__name__ == 'torch' else a0 * 2.0 + (a0 * 1e-6).detach()"
    m, _, _ = replay(lines)
    assert m is not None and m.kind == "values"
    lines[1:] = ["v0 = (a0 * 2.0).sum()", "v0.backward()",
                 "a0.grad.mul_(1.0 if torch.__name__ == 'torch' else 1.001)", "v1 = 0"]
    m, _, _ = replay(lines)
    assert m is not None and m.kind == "grad" and m.var == "a0"


def test_gradient_programs_match_torch():
    failures = [run_seed(s) for s in SEEDS]
    failures = [r for r in failures if r.mismatch is not None]
    if failures:
        pytest.fail("%d of %d gradient fuzz programs disagree with torch:\n\n%s" % (
            len(failures), len(SEEDS), "\n\n".join(describe(r)[1] for r in failures[:3])),
            pytrace=False)
