"""An exception raised in a worker, carried to the main process and raised there again."""
import pickle
import sys
import traceback


class _KeyErrorText(str):
    """KeyError shows the repr of its argument; this text's repr is the text itself, so the
    traceback keeps its line breaks."""

    def __repr__(self):
        return self


class WorkerFailure:
    """The exception being handled in worker `worker_id`: its class and traceback text
    (both pickle, whatever the exception object holds)."""

    def __init__(self, worker_id):
        exc_type, exc, tb = sys.exc_info()
        self.where, self.name = f"in DataLoader worker process {worker_id}", exc_type.__name__
        self.text = "".join(traceback.format_exception(exc_type, exc, tb))
        try:  # a class the main process cannot look up (local, unpicklable) comes back a RuntimeError
            pickle.dumps(exc_type)
            self.exc_type = exc_type
        except Exception:
            self.exc_type = None

    def reraise(self):
        """Raise the worker's exception in this process: the same class where it can be
        built from a message (else RuntimeError), saying which worker and with its
        original traceback."""
        message = f"Caught {self.name} {self.where}.\nOriginal {self.text}"
        if self.exc_type is KeyError:
            message = _KeyErrorText(message)
        try:
            error = self.exc_type(message)
        except Exception:
            raise RuntimeError(message) from None
        try:
            raise error
        finally:
            del error  # no cycle through this frame: the loader's iterator (and workers) can go at once
