"""torch's gradient-mode switches. nbtensor has no autograd yet, so gradients are never
recorded and these only keep programs written for torch (``with torch.no_grad():``) running."""
import contextlib

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode"]


class _Mode(contextlib.ContextDecorator):
    """A context manager and decorator that changes nothing (no gradients are recorded)."""

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


class no_grad(_Mode):
    """``with nbtensor.no_grad():`` — gradients are never recorded in nbtensor."""


class enable_grad(_Mode):
    """Accepted for compatibility; autograd is not available in this release."""


class inference_mode(_Mode):
    """Same as ``no_grad`` here."""


class set_grad_enabled(_Mode):
    """``set_grad_enabled(False)`` as a call, context or decorator; True is refused."""

    def __init__(self, mode):
        if mode:
            raise RuntimeError("set_grad_enabled(True): autograd is not available in this release of nbtensor")


def is_grad_enabled():
    """False: nbtensor records no gradients."""
    return False
