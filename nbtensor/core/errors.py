"""Exception classes torch exposes by name (``except torch.OutOfMemoryError``)."""

__all__ = ["OutOfMemoryError"]


class OutOfMemoryError(RuntimeError):
    """A device allocation failed for lack of memory (``nbtensor.cuda.OutOfMemoryError``)."""

    __module__ = "nbtensor"
