"""torch's anomaly detection: with it on, backward checks what each node returns and raises
at the first node whose gradient holds a NaN, naming it (process-wide, as in torch)."""
import warnings

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]


class _Anomaly:
    """The process's setting; the engine reads `enabled` once per backward call."""

    enabled = False
    check_nan = True


_anomaly = _Anomaly()


def is_anomaly_enabled():
    """True while anomaly detection is on."""
    return _anomaly.enabled


def is_anomaly_check_nan_enabled():
    """True when anomaly detection, while on, checks gradients for NaN."""
    return _anomaly.check_nan


def _set(enabled, check_nan):
    _anomaly.enabled, _anomaly.check_nan = enabled, check_nan


class detect_anomaly:
    """``with detect_anomaly():`` (or as a decorator) — backward raises RuntimeError at the
    first node that returns a NaN gradient. It slows backward, as torch warns."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should "
                      "only be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        self._previous = (_anomaly.enabled, _anomaly.check_nan)
        _set(True, self.check_nan)

    def __exit__(self, *exc):
        _set(*self._previous)
        return False

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)
        wrapper.__name__, wrapper.__doc__, wrapper.__wrapped__ = fn.__name__, fn.__doc__, fn
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off now (``set_detect_anomaly(True)``), or inside a
    ``with`` block, after which the previous setting comes back."""

    def __init__(self, mode, check_nan=True):
        self._previous = (_anomaly.enabled, _anomaly.check_nan)
        _set(bool(mode), bool(check_nan))

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _set(*self._previous)
        return False


def check_gradients(node, grads):
    """RuntimeError naming `node` when one of `grads` (what its backward returned) holds NaN."""
    if not _anomaly.check_nan:
        return
    for i, g in enumerate(grads):
        if g is not None and bool(g.isnan().any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
