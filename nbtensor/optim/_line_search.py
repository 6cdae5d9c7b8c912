"""The strong-Wolfe line search LBFGS uses (``line_search_fn="strong_wolfe"``): a bracketing
phase that grows the step until an interval holds an acceptable point, then a zoom phase
that shrinks it with safeguarded cubic interpolation, as torch's LBFGS searches.

Step lengths, losses and directional derivatives keep the types torch gives them (losses are
Python floats, directional derivatives 0-dim tensors of the parameters' dtype), so that the
arithmetic, and hence every trial step, rounds as torch's does."""
import math

import nbtensor as torch

__all__ = ["cubic_interpolate", "strong_wolfe"]


def _sqrt(value):
    return value.sqrt() if isinstance(value, torch.Tensor) else math.sqrt(value)


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped
    to `bounds` (default: the interval between x1 and x2); the middle of the bounds when the
    cubic has no real minimiser."""
    if bounds is None:
        bounds = (x1, x2) if x1 <= x2 else (x2, x1)
    low, high = bounds
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if not d2_square >= 0:
        return (low + high) / 2.0
    d2 = _sqrt(d2_square)
    (x_near, g_near), (x_far, g_far) = ((x1, g1), (x2, g2)) if x1 <= x2 else ((x2, g2), (x1, g1))
    min_pos = x_far - (x_far - x_near) * ((g_far + d2 - d1) / (g_far - g_near + 2 * d2))
    return min(max(min_pos, low), high)


class _Trial:
    """One evaluated point of the search: step `t`, loss `f`, flat gradient `g` and the
    directional derivative `gtd` (``g . d``)."""
    __slots__ = ("t", "f", "g", "gtd")

    def __init__(self, t, f, g, gtd):
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


class _Search:
    """The objective along the direction `d` from the start point (loss `f0`, slope `gtd0`),
    with the sufficient-decrease (c1) and curvature (c2) tests; counts its evaluations."""

    def __init__(self, evaluate, d, f0, gtd0, c1, c2):
        self.evaluate, self.d, self.f0, self.gtd0, self.c1, self.c2 = evaluate, d, f0, gtd0, c1, c2
        self.evals = 0

    @property
    def iterations(self):
        """The evaluations after the first one (what the `max_ls` budget counts)."""
        return self.evals - 1

    def trial(self, t):
        """Evaluate the objective at step `t`."""
        f, g = self.evaluate(t)
        self.evals += 1
        return _Trial(t, f, g, g.dot(self.d))

    def too_high(self, point):
        """The Armijo (sufficient decrease) condition fails at `point`."""
        return point.f > self.f0 + self.c1 * point.t * self.gtd0

    def flat_enough(self, point):
        """The strong curvature condition holds at `point`."""
        return abs(point.gtd) <= -self.c2 * self.gtd0


def _bracket(search, start, t, max_ls):
    """Grow the step from `t` until [previous, current] brackets an acceptable point; returns
    (bracket, done), done when the current point already satisfies both conditions."""
    prev, new = start, search.trial(t)
    while search.iterations < max_ls:
        if search.too_high(new) or (search.iterations > 1 and new.f >= prev.f):
            return [prev, new], False
        if search.flat_enough(new):
            return [new], True
        if new.gtd >= 0:
            return [prev, new], False
        t = cubic_interpolate(prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd,
                              bounds=(new.t + 0.01 * (new.t - prev.t), new.t * 10))
        prev, new = new, search.trial(t)
    return [start, new], False


def _low_high(bracket):
    """Indices of the lower-loss and the higher-loss end of the bracket."""
    return (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)


def _safeguard(t, a, b, stalled):
    """Keep the trial step `t` away from the ends of the bracket [a, b] (by a tenth of its
    width) when it comes too close twice in a row or falls outside; returns (t, stalled)."""
    low, high = min(a, b), max(a, b)
    margin = 0.1 * (high - low)
    if not min(high - t, t - low) < margin:
        return t, False
    if stalled or t >= high or t <= low:
        return (high - margin if abs(t - high) < abs(t - low) else low + margin), False
    return t, True


def _zoom(search, bracket, done, max_ls, d_norm, tolerance_change):
    """Shrink the bracket until its low end satisfies the strong Wolfe conditions, the budget
    is spent or the bracket is negligibly small; returns the low end."""
    low, high = _low_high(bracket)
    stalled = False
    while not done and search.iterations < max_ls:
        a, b = bracket
        if abs(b.t - a.t) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(a.t, a.f, a.gtd, b.t, b.f, b.gtd)
        t, stalled = _safeguard(t, a.t, b.t, stalled)
        new = search.trial(t)
        if search.too_high(new) or new.f >= bracket[low].f:
            bracket[high] = new
            low, high = _low_high(bracket)
            continue
        if search.flat_enough(new):
            done = True
        elif new.gtd * (bracket[high].t - bracket[low].t) >= 0:
            bracket[high] = bracket[low]
        bracket[low] = new
    return bracket[low]


def strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Search along `d` from the point with loss `f`, flat gradient `g` and slope `gtd`,
    starting at step `t`; ``evaluate(t)`` returns (loss, flat gradient) at step `t` (leaving
    the parameters where they were). At most ``max_ls`` evaluations after the first.

    Returns (loss, flat gradient, step, number of evaluations) of the accepted point."""
    search = _Search(evaluate, d, f, gtd, c1, c2)
    bracket, done = _bracket(search, _Trial(0, f, g, gtd), t, max_ls)
    best = _zoom(search, bracket, done, max_ls, d.abs().max(), tolerance_change)
    return best.f, best.g, best.t, search.evals
