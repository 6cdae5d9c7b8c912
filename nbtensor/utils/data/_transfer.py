"""How a worker's batch crosses to the main process: pickled to bytes in the worker.

Pickling in the worker itself (rather than leaving it to the queue's feeder thread) means a
batch that cannot be pickled is an exception the worker reports, not a batch the queue
silently drops. Tensors pickle by value (``Tensor.__reduce__``: their elements, shape,
dtype, device and ``requires_grad``, contiguous); as torch's queue does, this pickler
refuses a non-leaf that requires grad (autograd does not cross processes)."""
import io
import pickle

import nbtensor as torch

_NON_LEAF = ("Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does not "
             "support crossing process boundaries.  If you just want to transfer the data, call detach() on "
             "the tensor before serializing (e.g., putting it on the queue).")


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, torch.Tensor) and obj.requires_grad and not obj.is_leaf:
            raise RuntimeError(_NON_LEAF)
        return NotImplemented


def dumps(obj):
    """`obj` as bytes for the result queue."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


def loads(payload):
    """The object `dumps` made `payload` of."""
    return pickle.loads(payload)
