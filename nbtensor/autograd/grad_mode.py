"""torch's gradient-mode switches: whether autograd records the ops run now (per thread)."""
import contextlib
import functools
import threading

from nbtensor.dispatch import tensor as _tensor

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "is_inference_mode_enabled"]

class _ThreadState(threading.local):
    """Per-thread grad mode. The class attributes are every thread's defaults, so reading
    them never raises (an AttributeError caught per op cost more than the op's own checks)."""

    enabled = True
    inference = False


_state = _ThreadState()
_tensor.inference_state = _state  # (tensors made in inference mode are inference tensors)
_inference_lock = threading.Lock()


def is_grad_enabled():
    """True when ops run now are recorded for ``backward()`` (the default, per thread)."""
    return _state.enabled


def _set(enabled):
    _state.enabled = enabled


class _Mode(contextlib.ContextDecorator):
    """A context manager and decorator that sets grad mode to `self.mode` inside."""

    mode = True

    def __enter__(self):
        self._previous = is_grad_enabled()
        _set(self.mode)
        return None

    def __exit__(self, *exc):
        _set(self._previous)
        return False

    def __call__(self, fn):
        # a fresh context per call, so the decorated function is reentrant and thread-safe
        mode_type, args = type(self), self._args()

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with mode_type(*args):
                return fn(*a, **k)
        return wrapper

    def _args(self):
        return ()


class _Switch(_Mode):
    def __new__(cls, orig_func=None):
        if orig_func is not None:  # used as a bare decorator: @no_grad
            return cls()(orig_func)
        return super().__new__(cls)

    def __init__(self, orig_func=None):
        pass


class no_grad(_Switch):
    """``with nbtensor.no_grad():`` (or as a decorator): ops inside are not recorded."""

    mode = False


class enable_grad(_Switch):
    """Record ops inside, even within ``no_grad``."""

    mode = True


class set_grad_enabled(_Mode):
    """``set_grad_enabled(mode)``: as a call it sets grad mode for this thread; as a context
    manager or decorator, only inside."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'mode' must be bool, not {type(mode).__name__}")
        self.mode = mode
        self._previous = is_grad_enabled()
        _set(mode)  # the call alone takes effect, as torch's does

    def __enter__(self):
        return None  # already set by __init__

    def _args(self):
        return (self.mode,)


class inference_mode(_Mode):
    """``with inference_mode():`` — no recording inside (as ``no_grad``), and the tensors made
    inside are inference tensors (``is_inference()``; so are their views, and they cannot be
    made to require grad outside inference mode); ``inference_mode(False)`` records."""

    def __init__(self, mode=True):
        self.mode = not mode
        self.enabled = mode

    def __enter__(self):
        self._previous_inference = _state.inference
        _state.inference = self.enabled
        if self.enabled:
            _count_inference_thread(1)
        return super().__enter__()

    def __exit__(self, *exc):
        _state.inference = self._previous_inference
        if self.enabled:
            _count_inference_thread(-1)
        return super().__exit__(*exc)

    def _args(self):
        return (self.enabled,)


# Called (without arguments) once, when a thread first enters ``inference_mode()``: from then
# on inference tensors may exist (autograd/record.py installs its checks of writes to them).
on_first_inference_mode = []


def _count_inference_thread(step):
    """One more (or fewer) ``inference_mode()`` block open, in any thread: while none is,
    making a tensor does not read this thread's mode (see dispatch/tensor.py)."""
    with _inference_lock:
        while on_first_inference_mode:  # (under the lock: no thread makes one before they ran)
            on_first_inference_mode.pop(0)()
        _tensor.inference_threads += step


def is_inference_mode_enabled():
    """True inside ``inference_mode()``."""
    return _state.inference
