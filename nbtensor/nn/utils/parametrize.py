"""``nn.utils.parametrize``: a module's parameter or buffer computed from other tensors.

After ``register_parametrization(module, "weight", p)``, ``module.weight`` is ``p(original)``
recomputed on each access, the original tensor living at
``module.parametrizations.weight.original`` (``original0``, ``original1``, ... when
``p.right_inverse`` splits it into several). As torch does, the module's class is replaced by
a subclass made for it (``ParametrizedLinear``, ...) that carries one property per
parametrized name: nbtensor's ``Module.__getattr__`` is only consulted when ordinary lookup
fails, so a class property takes precedence over it, and ``Module.__setattr__`` hands a
plain tensor to ``object.__setattr__``, which calls the property's setter.
"""
import collections.abc
import contextlib
import copy

import nbtensor as torch
from nbtensor.nn.containers import ModuleDict
from nbtensor.nn.modules import ModuleList
from nbtensor.nn.parameter import Parameter

__all__ = ["ParametrizationList", "cached", "is_parametrized", "register_parametrization",
           "remove_parametrizations", "transfer_parametrizations_and_params", "type_before_parametrizations"]

_cache_depth = 0  # how many ``cached()`` blocks are open
_cache = {}  # (id(module), name) -> the parametrized tensor, while a block is open


@contextlib.contextmanager
def cached():
    """Within this block, each parametrized tensor is computed once, on its first access,
    and the same tensor is returned afterwards; the cache is emptied when the outermost
    block ends."""
    global _cache_depth
    _cache_depth += 1
    try:
        yield
    finally:
        _cache_depth -= 1
        if not _cache_depth:
            _cache.clear()


def _register_tensor(module, name, tensor):
    """Register `tensor` on `module` as a parameter when it is one, else as a buffer."""
    if isinstance(tensor, Parameter):
        module.register_parameter(name, tensor)
    else:
        module.register_buffer(name, tensor)


def _set_data(original, value):
    """Make `original` hold `value`'s data (torch's ``set_``: the object stays the same, so
    an optimizer that holds it keeps working)."""
    with torch.no_grad():
        original.data = value.detach()


def _check_result(value, shape, dtype, before, after, flag):
    """torch's ValueErrors when a parametrization's result `value` is not a tensor of `dtype`
    and `shape`; `before`/`after` start the two sides' lines in the messages."""
    if not isinstance(value, torch.Tensor):
        raise ValueError(f"A parametrization must return a tensor. Got {type(value).__name__}.")
    if value.dtype != dtype:
        raise ValueError(f"Registering a parametrization may not change the dtype of the tensor, unless {flag} "
                         f"flag is enabled.\n{before}dtype: {dtype}\n{after}dtype: {value.dtype}")
    if value.shape != shape:
        raise ValueError(f"Registering a parametrization may not change the shape of the tensor, unless {flag} "
                         f"flag is enabled.\n{before}shape: {shape}\n{after}shape: {value.shape}")


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor (applied in registration order) and the original
    tensor(s) they start from: ``original``, or ``original0``, ``original1``, ... when the
    first ``right_inverse`` returns a sequence."""

    def __init__(self, modules, original, unsafe=False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        shape, dtype = original.shape, original.dtype
        new = self._initial_value(original)
        if not isinstance(new, (torch.Tensor, collections.abc.Sequence)):
            raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                             f"Got {type(new).__name__}")
        self.is_tensor = isinstance(new, torch.Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            self._store_one(original, new)
        else:
            self._store_many(original, new)
        if not unsafe:
            _check_result(self(), shape, dtype, "unparametrized ", "parametrized ", "`unsafe`")

    def _initial_value(self, original):
        """`original` passed through each ``right_inverse`` (last registered first)."""
        new = original
        with torch.no_grad():
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:
                        pass
        return new

    def _store_one(self, original, new):
        if original.dtype != new.dtype:
            raise ValueError("When `right_inverse` outputs one tensor, it may not change the dtype.\n"
                             f"original.dtype: {original.dtype}\nright_inverse(original).dtype: {new.dtype}")
        if original.device != new.device:
            raise ValueError("When `right_inverse` outputs one tensor, it may not change the device.\n"
                             f"original.device: {original.device}\nright_inverse(original).device: {new.device}")
        if new is not original:
            _set_data(original, new)
        _register_tensor(self, "original", original)

    def _store_many(self, original, new):
        for i, part in enumerate(new):
            if not isinstance(part, torch.Tensor):
                raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                                 f"Got element {i} of the sequence with type {type(part).__name__}.")
            if isinstance(original, Parameter):
                part = Parameter(part, original.requires_grad)
            part.requires_grad_(original.requires_grad)
            _register_tensor(self, f"original{i}", part)

    def right_inverse(self, value):
        """Store `value` (what the parametrized tensor should become) into the original
        tensor(s), through each parametrization's ``right_inverse`` (last registered first)."""
        with torch.no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not implement right_inverse.")
                value = module.right_inverse(value)
            if self.is_tensor:
                self._assign_one(value)
            else:
                self._assign_many(value)

    def _assign_one(self, value):
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"`right_inverse` should return a tensor. Got {type(value).__name__}")
        if value.dtype != self.original.dtype:
            raise ValueError(f"The tensor returned by `right_inverse` has dtype {value.dtype} while `original` has "
                             f"dtype {self.original.dtype}")
        _set_data(self.original, value)

    def _assign_many(self, value):
        if not isinstance(value, collections.abc.Sequence):
            raise ValueError(f"'right_inverse' must return a sequence of tensors. Got {type(value).__name__}.")
        if len(value) != self.ntensors:
            raise ValueError(f"'right_inverse' must return a sequence of tensors of length {self.ntensors}. Got a "
                             f"sequence of length {len(value)}.")
        for i, tensor in enumerate(value):
            original = getattr(self, f"original{i}")
            if not isinstance(tensor, torch.Tensor):
                raise ValueError("'right_inverse' must return a sequence of tensors or reference-type opaques. Got "
                                 f"element {i} of type {type(tensor).__name__}.")
            if original.dtype != tensor.dtype:
                raise ValueError(f"Tensor {i} returned by `right_inverse` has dtype {tensor.dtype} while "
                                 f"`original{i}` has dtype {original.dtype}")
            _set_data(original, tensor)

    def forward(self):
        """The parametrized tensor: the first parametrization applied to the original(s),
        each later one to the previous result."""
        modules = list(self)
        if self.is_tensor:
            x = modules[0](self.original)
        else:
            x = modules[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in modules[1:]:
            x = module(x)
        return x


# ------------------------------------------------------------ the generated class
def _refuse_pickling(self):
    raise RuntimeError(
        "Serialization of parametrized modules is only supported through state_dict(). See:\n"
        "https://pytorch.org/tutorials/beginner/saving_loading_models.html"
        "#saving-loading-a-general-checkpoint-for-inference-and-or-resuming-training")


def _deepcopy_dict(self, memo):
    """A deep copy of the module (same class) made from its ``__dict__``, since pickling's
    route (``__getstate__``) is refused."""
    if id(self) in memo:
        return memo[id(self)]
    replica = object.__new__(type(self))
    memo[id(self)] = replica
    replica.__dict__.update(copy.deepcopy(self.__dict__, memo))
    return replica


def _guarded_setattr(self, name, value):
    """torch's KeyError for assigning a Parameter to a parametrized name (a plain tensor
    goes to the property's setter)."""
    if isinstance(value, Parameter) and isinstance(getattr(type(self), name, None), property):
        raise KeyError(f"attribute '{name}' already exists")
    super(type(self), self).__setattr__(name, value)


def _inject_new_class(module):
    """Give `module` a class of its own, a subclass of its class, for the properties."""
    cls = type(module)
    namespace = {"__getstate__": _refuse_pickling, "__setattr__": _guarded_setattr}
    if not hasattr(cls, "__deepcopy__"):
        namespace["__deepcopy__"] = _deepcopy_dict
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), namespace)


def _parametrized_value(module, name):
    """``module.<name>``: its parametrizations' result (cached inside ``cached()``)."""
    parametrization = module.parametrizations[name]
    if not _cache_depth:
        return parametrization()
    key = (id(module), name)
    if key not in _cache:
        _cache[key] = parametrization()
    return _cache[key]


def _inject_property(module, name):
    """Put the property `name` on `module`'s own class: reading it computes the tensor,
    assigning it stores through ``right_inverse``."""
    if hasattr(module, name):
        raise AssertionError(f"Module already has an attribute named '{name}'")

    def get(self):
        return _parametrized_value(self, name)

    def set_(self, value):
        self.parametrizations[name].right_inverse(value)

    setattr(type(module), name, property(get, set_))


# ------------------------------------------------------------ the public functions
def _check_chained(module, name, parametrization):
    """torch's checks before a parametrization is added to an already parametrized tensor:
    it keeps its shape and dtype, and so does its ``right_inverse``."""
    current = getattr(module, name)
    _check_result(parametrization(current), current.shape, current.dtype, f"module.{name}.",
                  f"parametrization(module.{name}).", "the `unsafe`")
    if not hasattr(parametrization, "right_inverse"):
        return
    try:
        back = parametrization.right_inverse(parametrization(current))
    except NotImplementedError:
        return
    if not isinstance(back, torch.Tensor):
        raise ValueError(f"parametrization.right_inverse must return a tensor. Got: {type(back).__name__}")
    for what, mine, theirs in (("dtype", back.dtype, current.dtype), ("shape", back.shape, current.shape)):
        if mine != theirs:
            raise ValueError(f"The tensor returned by parametrization.right_inverse must have the same {what} as "
                             f"module.{name}, unless the `unsafe` flag is enabled.\nmodule.{name}.{what}: {theirs}\n"
                             f"returned {what}: {mine}")


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Make ``module.<tensor_name>`` (a parameter or buffer) ``parametrization(original)``,
    recomputed on each access; a second registration on the same name chains after the
    first. With `unsafe`, the result may change shape or dtype. Returns `module`."""
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            _check_chained(module, tensor_name, parametrization)
        chain = module.parametrizations[tensor_name]
        chain.append(parametrization)
        chain.unsafe |= unsafe
    elif tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        chain = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = chain
    else:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a parametrized element with "
                         f"name '{tensor_name}'")
    return module


def is_parametrized(module, tensor_name=None):
    """Whether `module` has any parametrization (with `tensor_name`: one on that name)."""
    parametrizations = module._modules.get("parametrizations") if hasattr(module, "_modules") else None
    if not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None else tensor_name in parametrizations


def _unparametrized_tensor(module, tensor_name, chain, leave_parametrized):
    """What ``module.<tensor_name>`` becomes when its parametrizations are removed."""
    if chain.is_tensor:
        original = chain.original
        if leave_parametrized:
            with torch.no_grad():
                _set_data(original, getattr(module, tensor_name))
        return original
    if not leave_parametrized:
        raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is parametrized in "
                         "terms of a sequence of tensors.")
    value = getattr(module, tensor_name)
    return Parameter(value) if value.requires_grad else value


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Undo the parametrizations of ``module.<tensor_name>``: it becomes a parameter (or
    buffer) again holding its current parametrized value (or, when not
    `leave_parametrized`, the original tensor). The module gets its class back when nothing
    is left parametrized. Returns `module`."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    chain = module.parametrizations[tensor_name]
    original = _unparametrized_tensor(module, tensor_name, chain, leave_parametrized)
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    _register_tensor(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    return module


def type_before_parametrizations(module):
    """The class `module` had before it was parametrized (its class when it is not)."""
    return type(module).__bases__[0] if is_parametrized(module) else type(module)


def _share_originals(source, target):
    """Make the ParametrizationList `target` use `source`'s original tensor(s) themselves."""
    names = ["original"] if source.is_tensor else [f"original{i}" for i in range(source.ntensors)]
    for name in names:
        setattr(target, name, getattr(source, name))


def transfer_parametrizations_and_params(from_module, to_module, tensor_name=None):
    """Register on `to_module` the parametrizations of `from_module` (those of
    `tensor_name`, or all), sharing their original tensors; a name `to_module` lacks is
    first created as a parameter holding ``from_module``'s current value. Returns
    `to_module` (unchanged when `from_module` is not parametrized)."""
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name)))
        for parametrization in from_module.parametrizations[name]:
            register_parametrization(to_module, name, parametrization)
        _share_originals(from_module.parametrizations[name], to_module.parametrizations[name])
    return to_module
