"""``nn.Module``: the base class of layers and models (registration of parameters, buffers
and submodules; traversal; state dicts; moving and casting; hooks; printing)."""
import collections
import functools
import warnings

import nbtensor as torch
from nbtensor.dispatch.tensor import to_keywords
from nbtensor.nn import hooks as _hooks
from nbtensor.nn.parameter import Parameter, UninitializedParameter, buffer_persistence, is_lazy

__all__ = ["Module"]


def _typename(value):
    """torch.typename: a tensor's legacy type name (``torch.FloatTensor``), else the class's."""
    return value.type() if isinstance(value, torch.Tensor) else type(value).__name__


class _IncompatibleKeys(collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it missed and those it did not expect."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys!r}, unexpected_keys={self.unexpected_keys!r})"

    __str__ = __repr__


# The hook tables every module has (each maps a handle's id to a hook, or marks an id).
_HOOK_TABLES = ("_backward_pre_hooks", "_backward_hooks", "_forward_hooks", "_forward_hooks_with_kwargs",
                "_forward_hooks_always_called", "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs",
                "_state_dict_pre_hooks", "_load_state_dict_post_hooks")


def _check_name(name, kind, owner):
    """torch's checks of a name given to register_buffer / register_parameter / add_module."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if "." in name:
        # (torch names the offending module name, not a parameter's or buffer's)
        raise KeyError(f'{kind} name can\'t contain "."' + (f", got: {name}" if kind == "module" else ""))
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    table = {"parameter": owner._parameters, "buffer": owner._buffers, "module": owner._modules}[kind]
    if hasattr(owner, name) and name not in table:
        raise KeyError(f"attribute '{name}' already exists")


def _assigned(source, requires_grad):
    """What ``load_state_dict(assign=True)`` makes a parameter: `source` itself when it is
    a Parameter, else a Parameter over its memory."""
    if isinstance(source, Parameter):
        return source.requires_grad_(requires_grad)
    return Parameter(source, requires_grad)


def _materialized(param, shape):
    """`param` (uninitialised) given memory of `shape`."""
    param.materialize(shape)
    return param


def _parse_to(*args, **kwargs):
    """(device, dtype, memory_format) of a ``Module.to(...)`` call: ``to(device)``,
    ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)`` or keywords (non_blocking and copy
    are accepted; any other keyword, or a memory_format that is not one, is torch's TypeError)."""
    device, dtype, _, memory_format = to_keywords(args, kwargs)
    for arg in args:
        if isinstance(arg, torch.dtype):
            dtype = arg
        elif isinstance(arg, torch.Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, (str, int, torch.device)) and not isinstance(arg, bool):
            device = arg
    return device, dtype, memory_format


class Module:
    """Base class of layers and models: parameters and submodules assigned as attributes are
    registered (in order) and found by ``parameters()``, ``state_dict()``, ``to()``, ..."""

    training = True
    _compiled_call_impl = None  # (set by ``compile()``: what calling the module runs instead)

    def __init__(self):
        set_ = object.__setattr__
        set_(self, "training", True)
        set_(self, "_parameters", collections.OrderedDict())
        set_(self, "_buffers", collections.OrderedDict())
        set_(self, "_non_persistent_buffers_set", set())
        for table in _HOOK_TABLES:
            set_(self, table, _hooks.hook_dict())
        set_(self, "_modules", collections.OrderedDict())

    # ------------------------------------------------------------ attributes
    def __setattr__(self, name, value):
        """torch's rules: a Parameter or Module is registered (a name already in its table
        keeps its place); a name registered as a parameter, child module or buffer takes only
        its kind or None; anything else is a plain attribute."""
        if "_parameters" not in self.__dict__:  # (a plain tensor is a plain attribute until then)
            if isinstance(value, (Parameter, Module)):
                what = "parameters" if isinstance(value, Parameter) else "module"
                raise AttributeError(f"cannot assign {what} before Module.__init__() call")
            return object.__setattr__(self, name, value)
        params, modules, buffers = self._parameters, self._modules, self._buffers
        if isinstance(value, (Parameter, Module)):  # registered; any other use of the name is dropped
            table = params if isinstance(value, Parameter) else modules
            self.__dict__.pop(name, None)
            for other in (params, modules, buffers):
                if other is not table:
                    other.pop(name, None)
            self._non_persistent_buffers_set.discard(name)
            table[name] = value
            return
        for table, kind, what, expected in ((params, Parameter, "parameter", "torch.nn.Parameter"),
                                            (modules, Module, "child module", "torch.nn.Module")):
            if name in table:
                if value is not None and not isinstance(value, kind):
                    raise TypeError(f"cannot assign '{_typename(value)}' as {what} '{name}' "
                                    f"({expected} or None expected)")
                table[name] = value
                return
        persistent = buffer_persistence(value)
        if persistent is not None or name in buffers:  # an nn.Buffer registers itself, with its persistence
            if value is not None and not isinstance(value, torch.Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                "(torch.nn.Buffer, torch.Tensor or None expected)")
            if persistent is None:
                persistent = name not in self._non_persistent_buffers_set
            self.register_buffer(name, value, persistent)
            return
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        for table in ("_parameters", "_buffers", "_modules"):
            found = self.__dict__.get(table)
            if found is not None and name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for table in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(table, {}):
                del self.__dict__[table][name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __getstate__(self):
        """The module's attributes less its ``compile()``-d call, as torch pickles (and
        deep-copies) a module: the copy runs uncompiled."""
        state = self.__dict__.copy()
        state.pop("_compiled_call_impl", None)
        return state

    def __setstate__(self, state):
        """(unpickling a module saved before some of the hook tables existed)"""
        self.__dict__.update(state)
        for table in _HOOK_TABLES:
            self.__dict__.setdefault(table, _hooks.hook_dict())
        self.__dict__.setdefault("_non_persistent_buffers_set", set())

    def register_parameter(self, name, param):
        """Register `param` (a Parameter, or None for a slot without one) under `name`."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(name, "parameter", self)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register `tensor` (or None) as the buffer `name`: moved with the module and, when
        `persistent`, part of its state dict."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(name, "buffer", self)
        if tensor is not None and not isinstance(tensor, torch.Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Register `module` (or None) as the child `name`."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name(name, "module", self)
        self._modules[name] = module

    register_module = add_module

    # ------------------------------------------------------------ looking up by path
    def _get_name(self):
        return type(self).__name__

    def get_submodule(self, target):
        """The submodule at dotted path `target` ("" is the module itself)."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return mod

    def set_submodule(self, target, module, strict=False):
        """Put `module` at dotted path `target` (its parent must exist; with `strict` the
        name must too)."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if hasattr(parent, name):
            if not isinstance(getattr(parent, name), Module):
                raise AttributeError("`" + name + "` is not an nn.Module")
        elif strict:
            raise AttributeError(parent._get_name() + " has no attribute `" + name + "`")
        setattr(parent, name, module)

    def _get_registered(self, target, table, what):
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(mod._get_name() + " has no attribute `" + name + "`")
        value = getattr(mod, name)
        if name not in getattr(mod, table):
            raise AttributeError("`" + name + "` is not " + what)
        return value

    def get_parameter(self, target):
        """The parameter at dotted path `target` (``"1.0.weight"``)."""
        return self._get_registered(target, "_parameters", "an nn.Parameter")

    def get_buffer(self, target):
        """The buffer at dotted path `target`."""
        return self._get_registered(target, "_buffers", "a buffer")

    # ------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        if self._compiled_call_impl is not None:
            return self._compiled_call_impl(*args, **kwargs)
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_impl(self, *args, **kwargs):
        """A call of the module as it is without ``compile()``: forward, with its hooks."""
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def compile(self, *args, **kwargs):
        """Compile this module's call in place with ``torch.compile`` (every argument goes
        to it as it is, and is checked there): calling the module then runs the compiled
        call (forward and its hooks; ``compiler.is_compiling()`` is true inside). Returns
        None. nbtensor's compile runs the same Python, so the values are the eager ones."""
        self._compiled_call_impl = torch.compile(self._call_impl, *args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        """A call with hooks, in torch's order: forward pre-hooks, the input side of the
        backward hooks, forward, forward hooks, the output side of the backward hooks. A
        forward hook registered with ``always_call`` also runs when forward raises."""
        result, called = None, set()
        try:
            for key, hook in list(self._forward_pre_hooks.items()):
                if key in self._forward_pre_hooks_with_kwargs:
                    new = hook(self, args, kwargs)
                    if new is not None:
                        if not (isinstance(new, tuple) and len(new) == 2):
                            raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, "
                                               f"new_kwargs), but got {new}.")
                        args, kwargs = new
                else:
                    new = hook(self, args)
                    if new is not None:
                        args = new if isinstance(new, tuple) else (new,)
            backward_hook = None
            if self._backward_hooks or self._backward_pre_hooks:
                backward_hook = _hooks.BackwardHook(self, list(self._backward_hooks.values()),
                                                    list(self._backward_pre_hooks.values()))
                args = backward_hook.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            for key, hook in list(self._forward_hooks.items()):
                called.add(key)
                new = hook(self, args, kwargs, result) if key in self._forward_hooks_with_kwargs \
                    else hook(self, args, result)
                if new is not None:
                    result = new
            if backward_hook is not None:
                if not isinstance(result, (torch.Tensor, tuple)):
                    warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple of "
                                  f"Tensors but received {type(result)}", stacklevel=3)
                result = backward_hook.setup_output_hook(result)
            return result
        except Exception:
            for key, hook in list(self._forward_hooks.items()):
                if key in self._forward_hooks_always_called and key not in called:
                    try:
                        new = hook(self, args, kwargs, result) if key in self._forward_hooks_with_kwargs \
                            else hook(self, args, result)
                        if new is not None:
                            result = new
                    except Exception as e:  # (torch's: the forward's error is the one raised)
                        warnings.warn("module forward hook with ``always_call=True`` raised an exception that was "
                                      f"silenced as another error was raised in forward: {e}", stacklevel=2)
            raise

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before each forward (``hook(module, args, kwargs)``
        with `with_kwargs`); what it returns (not None) replaces the arguments. Returns a
        handle whose ``remove()`` unregisters it."""
        flags = (self._forward_pre_hooks_with_kwargs,) if with_kwargs else ()
        return _hooks.register(self._forward_pre_hooks, hook, prepend, flags)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """Call ``hook(module, args, output)`` after each forward (``hook(module, args,
        kwargs, output)`` with `with_kwargs`); what it returns (not None) replaces the
        output. With `always_call` it also runs when forward raises."""
        flags = ((self._forward_hooks_with_kwargs,) if with_kwargs else ()) + (
            (self._forward_hooks_always_called,) if always_call else ())
        return _hooks.register(self._forward_hooks, hook, prepend, flags)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_output)`` when the gradients of the module's outputs are
        computed (a tuple, None for an output without one); what it returns (not None)
        replaces them."""
        return _hooks.register(self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_input, grad_output)`` when the gradients of the module's
        positional tensor inputs are computed (None for the others); what it returns (not
        None) replaces grad_input. The inputs and outputs pass through identity nodes
        (``BackwardHookFunctionBackward``), as torch's."""
        return _hooks.register(self._backward_hooks, hook, prepend)

    # ------------------------------------------------------------ traversal
    def named_children(self):
        """(name, child) for each child module, a child registered under two names once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        if remove_duplicate:
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():  # (every name: `memo` drops the repeats)
            if module is None:
                continue
            yield from module.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def _named_members(self, table, prefix, recurse, remove_duplicate=True):
        seen = set()
        modules = self.named_modules(remove_duplicate=remove_duplicate) if recurse else [("", self)]
        for mod_prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                full = (mod_prefix + "." if mod_prefix else "") + name
                yield (prefix + "." if prefix else "") + full, value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def apply(self, fn):
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------ state
    def register_state_dict_pre_hook(self, hook):
        """Call ``hook(module, prefix, keep_vars)`` before ``state_dict`` reads this module."""
        return _hooks.register(self._state_dict_pre_hooks, hook)

    def register_load_state_dict_post_hook(self, hook):
        """Call ``hook(module, incompatible_keys)`` after ``load_state_dict`` (on the module
        it was called on and each submodule); the hook may edit the key lists in place."""
        return _hooks.register(self._load_state_dict_post_hooks, hook)

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """The parameters and persistent buffers, by dotted name (detached unless `keep_vars`)."""
        if args:  # (the positional form torch still accepts)
            destination, prefix, keep_vars = (list(args) + [destination, prefix, keep_vars][len(args):])[:3]
        out = collections.OrderedDict() if destination is None else destination
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        for name, param in self._parameters.items():
            if param is not None:
                keep = keep_vars or isinstance(param, UninitializedParameter)  # (torch's: itself)
                out[prefix + name] = param if keep else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                out[prefix + name] = buf if keep_vars else buf.detach()
        for name, module in self._modules.items():  # (a shared child under each of its names)
            if module is not None:
                module.state_dict(destination=out, prefix=prefix + name + ".", keep_vars=keep_vars)
        return out

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy `state_dict`'s tensors into this module's parameters and buffers (with
        `assign`, make them the parameters and buffers instead); with `strict`, missing or
        unexpected keys raise before anything is copied."""
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        result = _IncompatibleKeys(missing, unexpected)
        for _, module in self.named_modules():
            for hook in module._load_state_dict_post_hooks.values():
                hook(module, result)
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
            if unexpected:
                parts.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(parts))
        lazy = {}  # key -> what gives a lazy parameter (or buffer) the checkpoint's shape
        for name, module in self.named_modules():
            lazy.update(module._lazy_loads(state_dict, name + "." if name else ""))
        for key, target in own.items():
            if key in state_dict and key not in lazy and not is_lazy(target) and (
                    tuple(state_dict[key].shape) != tuple(target.shape)):
                raise RuntimeError(
                    f"Error(s) in loading state_dict for {type(self).__name__}:\n\tsize mismatch for {key}: "
                    f"copying a param with shape {state_dict[key].shape} from checkpoint, the shape in current "
                    f"model is {target.shape}.")
        for key, materialize in lazy.items():
            own[key] = materialize()
        own = {k: t for k, t in own.items() if not is_lazy(t)}  # (lazy in the checkpoint too: nothing to copy)
        if assign:
            self._assign_entries({k: state_dict[k] for k in own if k in state_dict})
            return result
        with torch.no_grad():
            for key, target in own.items():
                if key in state_dict:
                    target.copy_(state_dict[key])
        return result

    def _assign_entries(self, entries):
        """``load_state_dict(assign=True)``: each entry (by dotted key) becomes the parameter
        (a new Parameter over its memory, requiring grad as the old one did) or the buffer."""
        for prefix, module in self.named_modules(remove_duplicate=False):
            start = prefix + "." if prefix else ""
            for name, param in list(module._parameters.items()):
                if param is not None and start + name in entries:
                    setattr(module, name, _assigned(entries[start + name], param.requires_grad))
            for name in list(module._buffers):
                if start + name in entries:
                    setattr(module, name, entries[start + name])

    def _lazy_loads(self, state_dict, prefix):
        """{key: action} for this module's uninitialised (lazy) parameters that `state_dict`
        has a shaped entry for: the action gives the parameter that shape, as torch does when
        a trained lazy model is loaded before its first forward, and returns it (the values
        are copied afterwards like any other entry's)."""
        out = {}
        for name, param in self._parameters.items():
            source = state_dict.get(prefix + name)
            if is_lazy(param) and source is not None and not is_lazy(source):
                out[prefix + name] = functools.partial(_materialized, param, tuple(source.shape))
        return out

    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()

    # ------------------------------------------------------------ moving and casting
    def _apply(self, fn, recurse=True):
        """Apply `fn` to every parameter (in place: the parameter objects an optimizer holds
        stay the module's, their ``.data`` and gradient replaced) and buffer (replaced), the
        children first; returns self."""
        if recurse:
            for module in self.children():
                module._apply(fn)
        with torch.no_grad():
            for param in self._parameters.values():
                if param is None:
                    continue
                # (an uninitialised parameter keeps the device and dtype it is moved to)
                source = torch.empty(0, device=param.device, dtype=param.dtype) if isinstance(
                    param, UninitializedParameter) else param
                moved = fn(source)
                if moved is not source:
                    param.data = moved
                grad = param.grad
                if grad is not None:
                    moved = fn(grad)
                    if moved is not grad:
                        param.grad = moved
            for name, buf in self._buffers.items():
                if buf is not None:
                    self._buffers[name] = fn(buf)
        return self

    def to(self, *args, **kwargs):
        """Move every parameter and buffer to a device (``to(device)``) and its floating ones
        to a dtype (``to(dtype)``, ``to(device, dtype)``, ``to(tensor)``), and its 4-D and 5-D
        ones to ``memory_format=``, in place as torch does; returns self."""
        device, dtype, memory_format = _parse_to(*args, **kwargs)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired "
                            f"dtype={dtype}")

        def convert(t):
            # (as torch's: only 4-D and 5-D tensors take the memory format)
            fmt = memory_format if t.dim() in (4, 5) else None
            return t.to(device=device, dtype=dtype if t.is_floating_point() else None, memory_format=fmt)
        return self._apply(convert)

    def _cast_floating(self, dtype):
        return self._apply(lambda t: t.to(dtype) if t.is_floating_point() else t)

    def cpu(self):
        """Move every parameter and buffer to the CPU."""
        return self._apply(lambda t: t.cpu())

    def cuda(self, device=None):
        """Move every parameter and buffer to the GPU (`device`: its index or name)."""
        return self._apply(lambda t: t.cuda(device))

    def float(self):
        """Cast the floating parameters and buffers to float32."""
        return self._cast_floating(torch.float32)

    def double(self):
        """Cast the floating parameters and buffers to float64."""
        return self._cast_floating(torch.float64)

    def half(self):
        """Cast the floating parameters and buffers to float16."""
        return self._cast_floating(torch.float16)

    def type(self, dst_type):
        """Cast every parameter and buffer (integer ones too) to `dst_type` (a dtype or a
        legacy type name such as ``"torch.DoubleTensor"``)."""
        return self._apply(lambda t: t.type(dst_type))

    def to_empty(self, *, device, recurse=True):
        """Give every parameter and buffer new, uninitialised memory on `device`."""
        return self._apply(lambda t: torch.empty_like(t, device=device), recurse=recurse)

    def share_memory(self):
        """Move every parameter and buffer (and gradient) into memory shared with processes
        forked from now on (``Tensor.share_memory_``); returns self."""
        return self._apply(lambda t: t.share_memory_())

    # ------------------------------------------------------------ printing
    def extra_repr(self):
        return ""

    def __repr__(self):
        """torch's layout: the extra representation's lines and then each child, indented;
        a one-line extra representation without children stays on the first line."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + repr(module).replace("\n", "\n  ")
                       for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if len(extra_lines) == 1 and not child_lines:
            body = extra_lines[0]
        elif lines:
            body = "\n  " + "\n  ".join(lines) + "\n"
        return self._get_name() + "(" + body + ")"

    def __dir__(self):
        return list(super().__dir__()) + list(self._parameters) + list(self._modules) + list(self._buffers)
