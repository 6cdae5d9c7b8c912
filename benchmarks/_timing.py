"""Shared timing loop and table format for the side-by-side comparison scripts.

The backends take turns: `repeat` rounds in a rotating order, a few samples per turn,
each backend keeping its best sample, so load from other processes slows all of them
alike. Each turn starts after a pause: the worker threads of the previous backend's
OpenMP/BLAS runtime spin for a while after a call (OpenBLAS and libgomp: up to ~0.1 s)
and, on two cores, would otherwise slow whichever backend runs next. Then the backend
runs untimed for a moment (`warm_up`), so its own workers are awake when sampling starts,
as they are in a loop of calls.
"""
import time

BACKENDS = ("nbtensor", "numpy", "torch")


def calls_per_sample(fn, min_seconds=2e-4):
    """How many calls make one sample of at least `min_seconds` (fast ops are timed in
    batches; short samples give the best-of more chances to miss other processes' bursts)."""
    once = float("inf")
    for _ in range(3):  # (the fastest of a few: the first calls may wake a thread pool)
        t = time.perf_counter()
        fn()
        once = min(once, time.perf_counter() - t)
    return max(1, int(min_seconds / max(once, 1e-7)))


def warm_up(fn, seconds=2e-3):
    """Call `fn` for about `seconds` (at least twice), untimed: after a pause a runtime's
    worker threads are asleep, and torch's first parallel calls after one took 30 us to 2 ms
    where back-to-back calls, as in a training loop, take 8 us (softmax of 256 x 10 on the
    2-core development machine)."""
    end = time.perf_counter() + seconds
    fn()
    fn()
    while time.perf_counter() < end:
        fn()


def best_times(fns, repeat=7, pause=0.1, samples=5):
    """Best seconds per call of each zero-argument callable in `fns` (backend -> callable)."""
    number = {b: calls_per_sample(f) for b, f in fns.items()}
    best = {b: float("inf") for b in fns}
    order = list(fns)
    for r in range(repeat):
        for b in order[r % len(order):] + order[:r % len(order)]:
            time.sleep(pause)
            fn, n = fns[b], number[b]
            warm_up(fn)
            for _ in range(samples):
                t = time.perf_counter()
                for _ in range(n):
                    fn()
                best[b] = min(best[b], (time.perf_counter() - t) / n)
    return best


def header(label_width):
    """Column titles matching `row`."""
    return (f"{'workload':{label_width}s} {'nbtensor':>12s} {'numpy':>12s} {'torch':>12s}"
            f" {'nb/np':>7s} {'nb/torch':>8s}")


def row(label, times, label_width):
    """One table line: the three times and nbtensor's time over NumPy's and torch's."""
    nb = times.get("nbtensor")

    def fmt(t):
        if t is None:
            return f"{'-':>12s}"
        return f"{t * 1e6:10.1f}us" if t < 1e-2 else f"{t * 1e3:10.2f}ms"

    def ratio(t, width):
        return f"{nb / t:{width}.2f}" if t is not None and nb is not None else f"{'-':>{width}s}"

    return (f"{label:{label_width}s} {fmt(nb)} {fmt(times.get('numpy'))} {fmt(times.get('torch'))}"
            f" {ratio(times.get('numpy'), 7)} {ratio(times.get('torch'), 8)}")


FOOTNOTE = "nb/np and nb/torch: nbtensor's time over the other's (below 1: nbtensor is faster)"
