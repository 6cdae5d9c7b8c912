"""``nn.DataParallel`` as torch's behaves with the devices nbtensor has.

Without a GPU (torch's "no available device type"), torch's DataParallel only wraps the
module: ``.module`` is it, ``device_ids`` is ``[]`` whatever was asked (D2L 13.6 passes
``[device('cpu')]``), the forward calls the module directly, and the wrapper adds the
``module.`` prefix to the state dict's keys. So does this one.

With a GPU (or Numba's simulated one), it follows torch's CUDA path: ``device_ids``
(default: every GPU) read as indices, ``output_device`` (default: ``device_ids[0]``), the
module moved to ``device_ids[0]`` when it is the only one, its parameters and buffers
checked to be there, the inputs (tensors inside tuples, lists and dicts too) copied there
before the module runs. nbtensor drives one GPU (``cuda:0``): where torch would split the
batch over several replicas, the module runs once on ``device_ids[0]`` over the whole batch
and the result is moved to ``output_device`` (the same values, except for what depends on
the batch being split, such as a BatchNorm's statistics).
"""
import nbtensor as torch
from nbtensor.nn.module import Module

__all__ = ["DataParallel", "data_parallel"]


def _device_type():
    """torch's _get_available_device_type: "cuda" when a GPU is there, else None."""
    return "cuda" if torch.cuda.is_available() else None


def _device_index(device):
    """torch's _get_device_index(device, optional=True): an int as it is, a device's (or a
    device string's) index, the current GPU for None or a device without an index."""
    if isinstance(device, str):
        device = torch.device(device)
    index = None
    if isinstance(device, torch.device):
        if device.type == "cpu":
            raise ValueError(f"Expected a non cpu device, but got: {device}")
        index = device.index
    if isinstance(device, int):
        index = device
    return torch.cuda.current_device() if index is None else index


def _moved(obj, device):
    """`obj` with every tensor in it (inside tuples, lists and dicts) on `device`."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a named tuple
        return type(obj)(*(_moved(o, device) for o in obj))
    if isinstance(obj, (tuple, list)):
        return type(obj)(_moved(o, device) for o in obj)
    if isinstance(obj, dict):
        return type(obj)((k, _moved(v, device)) for k, v in obj.items())
    return obj


def _check_placement(module, src):
    for t in list(module.parameters()) + list(module.buffers()):
        if t.device != src:
            raise RuntimeError(f"module must have its parameters and buffers on device {src} (device_ids[0]) but "
                               f"found one of them on device: {t.device}")


def _run(module, inputs, kwargs, src, output_device):
    """The module over the inputs copied to `src`, the output moved to `output_device`."""
    out = module(*_moved(tuple(inputs), src), **_moved(dict(kwargs or {}), src))
    target = torch.device("cuda", output_device) if output_device >= 0 else torch.device("cpu")
    return out if target == src else _moved(out, target)


class DataParallel(Module):
    """``DataParallel(module, device_ids=None, output_device=None, dim=0)``: `module` run over
    its inputs on the listed GPUs; without a GPU, `module` itself (see the file's notes)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        device_type = _device_type()
        if device_type is None:
            self.module = module
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(torch.cuda.device_count()))
        if output_device is None:
            output_device = device_ids[0]
        self.dim = dim
        self.module = module
        self.device_ids = [_device_index(x) for x in device_ids]
        self.output_device = _device_index(output_device)
        self.src_device_obj = torch.device(device_type, self.device_ids[0])
        if len(self.device_ids) == 1:
            self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        _check_placement(self.module, self.src_device_obj)
        return _run(self.module, inputs, kwargs, self.src_device_obj, self.output_device)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """The functional form of DataParallel: ``module(*inputs)`` on ``device_ids[0]``, the
    result on `output_device`; torch's RuntimeError without a GPU."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    device_type = _device_type()
    if device_type is None:
        raise RuntimeError("device type could not be determined")
    if device_ids is None:
        device_ids = list(range(torch.cuda.device_count()))
    if output_device is None:
        output_device = device_ids[0]
    device_ids = [_device_index(x) for x in device_ids]
    output_device = _device_index(output_device)
    src = torch.device(device_type, device_ids[0])
    _check_placement(module, src)
    return _run(module, inputs, module_kwargs, src, output_device)
