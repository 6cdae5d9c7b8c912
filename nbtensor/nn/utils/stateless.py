"""``nn.utils.stateless``: call a module with other tensors standing in for its parameters
and buffers (by dotted name), its own put back afterwards, as torch's ``functional_call``."""
import contextlib
import warnings

import nbtensor as torch

__all__ = ["functional_call"]

_MISSING = object()  # (the module had no attribute of that name)


def _tied_groups(module):
    """{name: every name of the same tensor} for the parameters and buffers registered under
    more than one name."""
    names_of = {}
    named = list(module.named_parameters(remove_duplicate=False)) + list(module.named_buffers(remove_duplicate=False))
    for name, tensor in named:
        names_of.setdefault(id(tensor), set()).add(name)
    return {name: group for group in names_of.values() if len(group) > 1 for name in group}


def _untied(module, tensors):
    """`tensors` with each given tied tensor also given under its other names; torch's
    ValueError when two names of one tied tensor are given different tensors."""
    groups = _tied_groups(module)
    given = [name for name in tensors if name in groups]
    out = dict(tensors)
    for name in given:
        group = groups[name]
        if len({id(tensors[other]) for other in group if other in tensors}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(group)}, which are tied. "
                             "Consider using tie_weights=False")
        out.update((other, tensors[name]) for other in group)
    return out


def _check_keys(module, names):
    """torch's RuntimeError (strict mode) when `names` are not exactly the module's
    parameter and buffer names."""
    valid = {n for n, _ in module.named_parameters(remove_duplicate=False)}
    valid |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
    missing, unexpected = sorted(valid - set(names)), sorted(set(names) - valid)
    errors = []
    if unexpected:
        errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
    if missing:
        errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
    if errors:
        raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t" + "\n\t".join(errors))


def _swap(module, path, tensor):
    """Put `tensor` at dotted `path` in `module` (``_MISSING``: remove it); returns what was
    there (``_MISSING`` when nothing was)."""
    prefix, _, name = path.rpartition(".")
    owner = module.get_submodule(prefix)
    if tensor is not _MISSING and tensor is not None and not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{tensor} is not an instance of torch.Tensor")
    for table in (owner._parameters, owner._buffers):
        if name in table:
            before = table[name]
            if tensor is _MISSING:
                del table[name]
            else:
                table[name] = tensor
            return before
    before = getattr(owner, name) if hasattr(owner, name) else _MISSING
    if tensor is not _MISSING:
        setattr(owner, name, tensor)
    elif hasattr(owner, name):
        delattr(owner, name)
    return before


def _swap_all(module, tensors, replaced):
    """Swap each of `tensors` (path -> tensor) in, recording in `replaced` what each
    replaced as it goes (so that a failure part-way can still be undone); returns it."""
    for path, tensor in tensors.items():
        replaced[path] = _swap(module, path, tensor)
    return replaced


@contextlib.contextmanager
def _reparametrize_module(module, tensors, tie_weights=False, strict=False):
    """Within the block, `module` uses `tensors` (dotted name -> tensor) in place of its own
    parameters and buffers; they are put back on leaving, also after an error. `tensors` is
    updated with what the names held on leaving (a forward may have replaced a buffer)."""
    untied = _untied(module, tensors) if tie_weights else tensors
    if strict:
        _check_keys(module, untied)
    originals = {}
    try:
        _swap_all(module, untied, originals)
        yield
    finally:
        current = _swap_all(module, originals, {})
        tensors.update({k: current[k] for k in tensors if k in current})


def _as_args(args):
    """Positional arguments as a tuple (None: none; a single non-tuple: one)."""
    if args is None:
        return ()
    return args if isinstance(args, tuple) else (args,)


def _functional_call(module, tensors, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with `tensors` substituted (no deprecation warning)."""
    with _reparametrize_module(module, tensors, tie_weights=tie_weights, strict=strict):
        return module(*_as_args(args), **(kwargs or {}))


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Deprecated (torch's FutureWarning; use ``torch.func.functional_call``): call `module`
    with `args` (a tuple, or one argument) and `kwargs`, the tensors of
    `parameters_and_buffers` (dotted name -> tensor) standing in for its parameters and
    buffers; its own are restored afterwards, also when forward raises. Gradients flow to
    the given tensors. With `tie_weights`, a tensor registered under several names that is
    given under one is replaced under all; with `strict`, the names must be exactly the
    module's."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed in "
                  "a future version of PyTorch. Please use `torch.func.functional_call` instead which is a drop-in "
                  "replacement.", FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
