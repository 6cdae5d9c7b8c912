"""``torch.func`` (the part nbtensor has): ``functional_call``."""
import collections.abc

from nbtensor.nn.utils.stateless import _functional_call

__all__ = ["functional_call"]


def _merged(dicts):
    """One dict from `dicts` (a dict, or a sequence of dicts that share no key); torch's
    ValueErrors otherwise."""
    if isinstance(dicts, dict):
        return dicts
    if not isinstance(dicts, collections.abc.Sequence):
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(dicts)}")
    if not all(isinstance(d, dict) for d in dicts):
        raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
    counts = collections.Counter(k for d in dicts for k in d)
    repeated = [k for k, n in counts.items() if n > 1]
    if repeated:
        raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is ambiguous")
    return {k: v for d in dicts for k, v in d.items()}


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Call `module` with `args` (a tuple, or one argument) and `kwargs`, the tensors of
    `parameter_and_buffer_dicts` (a dict of dotted name -> tensor, or a sequence of such
    dicts with distinct keys) standing in for its parameters and buffers; its own are put
    back afterwards, also when forward raises. Gradients flow to the given tensors. With
    `tie_weights`, a tensor registered under several names and given under one is replaced
    under all; with `strict`, the names must be exactly the module's."""
    tensors = _merged(parameter_and_buffer_dicts)
    return _functional_call(module, tensors, args, kwargs, tie_weights=tie_weights, strict=strict)
