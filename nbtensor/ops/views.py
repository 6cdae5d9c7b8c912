"""Shape functions: views that share storage (pure shape/stride arithmetic), and `reshape`
and `flatten`, which copy only when no view can express the result."""
import numbers
import warnings

from nbtensor.backends.base import backend_for
from nbtensor.core.plan import contiguous_strides, remember
from nbtensor.dispatch.tensor import Tensor, _numel, carry_inference, make_view, view_of, wrap_dim
from nbtensor.dispatch import dispatcher as forms

__all__ = [
    "view", "reshape", "flatten", "unflatten", "t", "transpose", "permute", "squeeze",
    "unsqueeze", "expand", "expand_as", "broadcast_to", "narrow", "select", "unbind",
    "split", "chunk", "diagonal", "movedim", "view_as", "reshape_as", "tensor_split",
]


def _as_view(t, shape, strides, offset=None):
    return view_of(t, t._offset if offset is None else offset, tuple(shape), tuple(strides))


def parse_sizes(args, name="size"):
    """Accept ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f(Size)``; return a tuple of ints."""
    if len(args) == 1 and type(args[0]) is not int and not isinstance(args[0], numbers.Integral) and not (
            isinstance(args[0], Tensor) and args[0].dim() == 0):
        args = args[0]
    for s in args:
        if type(s) is not int:
            break
    else:
        return tuple(args)
    try:
        return tuple(s.__index__() for s in args)
    except (AttributeError, TypeError, RuntimeError):
        raise TypeError(f"{name} must be a sequence of ints, got {args!r}") from None


def infer_size(shape, numel):
    """Resolve one -1 in `shape` for a tensor of `numel` elements."""
    infer = None
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s}")
        else:
            known *= s
    if infer is not None:
        if known == 0:
            raise RuntimeError(
                f"cannot reshape tensor of {numel} elements into shape {list(shape)} because the "
                "unspecified dimension size -1 can be any value and is ambiguous")
        if numel % known == 0:
            shape = shape[:infer] + (numel // known,) + shape[infer + 1:]
            return shape
    elif known == numel:
        return shape
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


def view_strides(oldshape, oldstrides, newshape):
    """Strides that let `newshape` view memory laid out as oldshape/oldstrides, or None."""
    if _numel(oldshape) == 0 or len(oldshape) == 0:
        return contiguous_strides(newshape) if len(oldshape) == 0 or oldshape != newshape else oldstrides
    newstrides = [0] * len(newshape)
    view_d = len(newshape) - 1
    chunk_base_stride = oldstrides[-1]
    tensor_numel = 1
    view_numel = 1
    for tensor_d in range(len(oldshape) - 1, -1, -1):
        tensor_numel *= oldshape[tensor_d]
        if tensor_d == 0 or (oldshape[tensor_d - 1] != 1 and
                             oldstrides[tensor_d - 1] != tensor_numel * chunk_base_stride):
            while view_d >= 0 and (view_numel < tensor_numel or newshape[view_d] == 1):
                newstrides[view_d] = view_numel * chunk_base_stride
                view_numel *= newshape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = oldstrides[tensor_d - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return tuple(newstrides)


def view(self, *shape):
    """Same data, new shape (one -1 is inferred). RuntimeError when the strides don't allow it."""
    if not shape:
        raise TypeError("view() received an invalid combination of arguments - got (), but expected one of: "
                        "(torch.dtype dtype), (tuple of ints size)")
    if len(shape) == 1 and type(shape[0]) is not int and not isinstance(shape[0], (numbers.Integral, tuple, list)):
        from nbtensor.core.dtype import to_dtype
        return _view_dtype(self, to_dtype(shape[0]))
    shape, strides = _view_plan(self, parse_sizes(shape))
    if strides is None:
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (size {list(self._shape)}, "
            f"stride {list(self._strides)}, asked for {list(shape)}: at least one dimension spans across "
            "two contiguous subspaces). Use .reshape(...) instead.")
    return view_of(self, self._offset, shape, strides)


def _view_dtype(self, dtype):
    if dtype.itemsize != self.dtype.itemsize:
        raise RuntimeError(
            f"view(dtype): {self.dtype} and {dtype} have different element sizes; nbtensor only "
            "reinterprets between dtypes of equal size")
    storage = self._storage
    if dtype is not self.dtype:
        storage = backend_for(self.device).reinterpret(storage, dtype.np)
        carry_inference(self._storage, storage)  # (the same memory, so the same kind)
    return make_view(storage, self._offset, self._shape, self._strides, dtype)


def view_as(self, other):
    return view(self, other._shape)


def _keyword_sizes(sizes, kwargs, name, key):
    """Sizes passed positionally (``x.reshape(2, 3)``) or as torch's keyword (``shape=``)."""
    if sizes or set(kwargs) != {key}:
        unexpected = sorted(set(kwargs) - {key}) or [key]
        raise TypeError(f"{name}() got an unexpected keyword argument '{unexpected[0]}'")
    return (kwargs[key],)


def reshape(input, *shape, **kwargs):
    """Same data in a new shape: a view when the strides allow it, else a copy."""
    if kwargs:
        shape = _keyword_sizes(shape, kwargs, "reshape", "shape")
    shape, strides = _view_plan(input, parse_sizes(shape))
    if strides is not None:
        return view_of(input, input._offset, shape, strides)
    copied = input.contiguous() if not input.is_contiguous() else input.clone()
    return make_view(copied._storage, 0, tuple(shape), tuple(contiguous_strides(shape)), copied.dtype)


def _planned(layout, t, arg):
    """``layout(shape, strides, arg)`` for `t`'s shape and strides: the (shape, strides) of a
    view op, worked out once per (op, shape, strides, arg) (loops view the same layouts every
    step); `layout` raises torch's errors, and nothing is remembered then. `arg` must say
    what it means by its value alone (plain ints, tuples of them, None)."""
    key = (layout, t._shape, t._strides, arg)
    plan = _PLANS.get(key)
    if plan is None:
        plan = remember(_PLANS, key, layout(t._shape, t._strides, arg))
    return plan


_PLANS = {}  # (layout function, shape, strides, arg) -> `_planned`


def _view_by(layout, t, arg):
    """The view of `t` in ``layout(shape, strides, arg)`` (planned once per layout when `arg`
    is None or plain ints)."""
    if arg is None or _plain_ints(arg):
        shape, strides = _planned(layout, t, arg)
    else:
        shape, strides = layout(t._shape, t._strides, arg)
    return view_of(t, t._offset, shape, strides)


def _plain_ints(arg):
    """True for an int or a tuple of ints (not bools, which equal ints as keys)."""
    if type(arg) is int:
        return True
    return type(arg) is tuple and all(type(a) is int for a in arg)


def _view_plan(t, sizes):
    """(the shape `sizes` asks of `t`, with -1 inferred; the strides viewing `t`'s memory in
    it, or None when no view can)."""
    return _planned(_viewed, t, sizes)


def _viewed(shape, strides, sizes):
    new = infer_size(sizes, _numel(shape))
    return new, view_strides(shape, strides, new)


def reshape_as(self, other):
    return reshape(self, other._shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dimensions start_dim..end_dim (a view when possible)."""
    ndim = input.dim()
    if ndim == 0:
        wrap_dim(start_dim, 0), wrap_dim(end_dim, 0)  # checked as torch does (0 and -1 only)
        return reshape(input, (1,))
    start, end = wrap_dim(start_dim, ndim), wrap_dim(end_dim, ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input
    merged = _numel(input._shape[start:end + 1])
    return reshape(input, input._shape[:start] + (merged,) + input._shape[end + 1:])


def unflatten(input, dim, sizes):
    """Split dimension `dim` into `sizes` (one -1 allowed)."""
    _require_dims(input, "unflatten")
    dim = wrap_dim(dim, input.dim())
    sizes = infer_size(tuple(sizes), input._shape[dim])
    return view(input, input._shape[:dim] + sizes + input._shape[dim + 1:])


def transpose(input, dim0, dim1):
    """Swap two dimensions (a view)."""
    ndim = input.dim()
    d0, d1 = wrap_dim(dim0, ndim), wrap_dim(dim1, ndim)
    if ndim == 0:
        # torch accepts dims 0/-1 on a 0-d tensor and returns an alias.
        return _as_view(input, (), ())
    shape, strides = list(input._shape), list(input._strides)
    shape[d0], shape[d1] = shape[d1], shape[d0]
    strides[d0], strides[d1] = strides[d1], strides[d0]
    return _as_view(input, shape, strides)


def t(input):
    """Transpose a tensor of at most 2 dimensions."""
    shape = input._shape
    if len(shape) == 2:
        (n, m), (s0, s1) = shape, input._strides
        return view_of(input, input._offset, (m, n), (s1, s0))
    if len(shape) > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.dim()}D")
    return _as_view(input, shape, input._strides)


def permute(input, *dims, **kwargs):
    """Reorder the dimensions (a view)."""
    if kwargs:
        dims = _keyword_sizes(dims, kwargs, "permute", "dims")
    dims = parse_sizes(dims, "dims")
    ndim = len(input._shape)
    order = _PERMUTATIONS.get((ndim, dims))
    if order is None:
        order = remember(_PERMUTATIONS, (ndim, dims), _permutation(ndim, dims))
    shape, strides = input._shape, input._strides
    return view_of(input, input._offset, tuple([shape[d] for d in order]), tuple([strides[d] for d in order]))


# (ndim, dims as given) -> the dims wrapped and checked: a loop permutes the same way each time
_PERMUTATIONS = {}


def _permutation(ndim, dims):
    """`dims` wrapped into range for a tensor of `ndim` dimensions, torch's errors when they
    are not a permutation."""
    if len(dims) != ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the length "
            f"of the desired ordering of dimensions i.e. input.dim() = {ndim} is not equal to "
            f"len(dims) = {len(dims)}")
    order = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(order)) != ndim:
        raise RuntimeError(f"permute(): duplicate dims are not allowed (got {list(order)})")
    return order


def movedim(input, source, destination):
    """Move dimension(s) `source` to position(s) `destination`."""
    ndim = input.dim()
    src = [source] if isinstance(source, numbers.Integral) else list(source)
    dst = [destination] if isinstance(destination, numbers.Integral) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({src} dims) should contain the "
            f"same number of dims as destination ({dst} dims)")
    src = [wrap_dim(d, ndim) for d in src]
    dst = [wrap_dim(d, ndim) for d in dst]
    if ndim == 0:
        return _as_view(input, (), ())
    order = [None] * ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(ndim) if d not in src)
    order = [o if o is not None else next(rest) for o in order]
    return permute(input, order)


def squeeze(input, dim=None):
    """Remove size-1 dimensions (all, or those in `dim`)."""
    return _view_by(_squeezed, input, tuple(dim) if type(dim) is list else dim)


def _squeezed(shape, strides, dim):
    ndim = len(shape)
    if dim is None:
        keep = [d for d in range(ndim) if shape[d] != 1]
    else:
        dims = {wrap_dim(d, ndim) for d in ((dim,) if isinstance(dim, numbers.Integral) else dim)}
        keep = [d for d in range(ndim) if d not in dims or shape[d] != 1]
    return tuple(shape[d] for d in keep), tuple(strides[d] for d in keep)


def _require_dims(self, name):
    if self.dim() == 0:
        raise IndexError(f"{name}(): Dimension specified as 0 but tensor has no dimensions")


def unsqueeze(input, dim):
    """Insert a size-1 dimension at `dim` (a view)."""
    return _view_by(_unsqueezed, input, dim)


def _unsqueezed(shape, strides, dim):
    ndim = len(shape)
    dim = wrap_dim(dim, ndim + 1)
    shape, strides = list(shape), list(strides)
    stride = shape[dim] * strides[dim] if dim < ndim else 1
    shape.insert(dim, 1)
    strides.insert(dim, stride)
    return tuple(shape), tuple(strides)


def expand(self, *sizes):
    """Broadcast size-1 dimensions to `sizes` without copying (stride 0); -1 keeps a size."""
    return _view_by(_expanded, self, parse_sizes(sizes))


def _expanded(shape0, strides0, sizes):
    """(shape, strides) of a tensor of `shape0` and `strides0` expanded to `sizes`; torch's
    errors for sizes it cannot expand to."""
    ndim = len(shape0)
    if len(sizes) < ndim:
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(shape0)}}}, size={list(sizes)}): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the "
            f"tensor ({ndim})")
    lead = len(sizes) - ndim
    shape, strides = [], []
    for i, target in enumerate(sizes):
        if i < lead:
            if target < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({target}) isn't allowed in a leading, "
                    "non-existing dimension 0")
            shape.append(target)
            strides.append(0)
            continue
        size, stride = shape0[i - lead], strides0[i - lead]
        if target == -1:
            target = size
        if size != target:
            if size != 1:
                raise RuntimeError(
                    f"The expanded size of the tensor ({target}) must match the existing size ({size}) "
                    f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  "
                    f"Tensor sizes: {list(shape0)}")
            stride = 0
        shape.append(target)
        strides.append(stride)
    for i in range(lead - 1, -1, -1):  # torch: a new size-1 dim strides over the next one
        if shape[i] == 1 and i + 1 < len(shape):
            strides[i] = shape[i + 1] * strides[i + 1]
    return tuple(shape), tuple(strides)


def expand_as(self, other):
    return expand(self, other._shape)


def broadcast_to(input, size):
    return expand(input, tuple(size))


def narrow(input, dim, start, length):
    """Elements start..start+length-1 of dimension `dim` (a view)."""
    if isinstance(start, Tensor):
        start = start.item()
    ndim = input.dim()
    if ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, ndim)
    size = input._shape[dim]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError(f"narrow(): length must be non-negative, got {length}")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    shape = list(input._shape)
    shape[dim] = length
    return _as_view(input, shape, input._strides, input._offset + start * input._strides[dim])


def select(input, dim, index):
    """The slice at `index` along `dim`, with that dimension removed (a view)."""
    ndim = input.dim()
    if ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, ndim)
    size = input._shape[dim]
    index = index.__index__()
    if index < -size or index >= size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(input._shape)} at dimension {dim}")
    if index < 0:
        index += size
    return _as_view(input, input._shape[:dim] + input._shape[dim + 1:],
                    input._strides[:dim] + input._strides[dim + 1:],
                    input._offset + index * input._strides[dim])


def unbind(input, dim=0):
    """A tuple of all slices along `dim` (views)."""
    _require_dims(input, "unbind")
    dim = wrap_dim(dim, input.dim())
    return tuple(select(input, dim, i) for i in range(input._shape[dim]))


def split(tensor, split_size_or_sections, dim=0):
    """Views of `split_size` along `dim` (the last may be smaller), or of the given sizes."""
    ndim = tensor.dim()
    if ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = wrap_dim(dim, ndim)
    size = tensor._shape[dim]
    if isinstance(split_size_or_sections, numbers.Integral):
        step = int(split_size_or_sections)
        if step < 0 or (step == 0 and size != 0):
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}"
                               if step == 0 else f"split expects split_size be non-negative, but got split_size={step}")
        sizes = [min(step, size - s) for s in range(0, size, step)] if size else [0]  # one empty view
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != size or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at "
                f"dimension {dim}), but got split_sizes={sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(narrow(tensor, dim, start, s))
        start += s
    return tuple(out)


def chunk(input, chunks, dim=0):
    """Split into `chunks` views of equal size along `dim` (the last may be smaller)."""
    if input.dim() == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    dim = wrap_dim(dim, input.dim())
    size = input._shape[dim]
    if size == 0:
        # torch returns `chunks` empty pieces here, not a single one.
        return split(input, [0] * chunks, dim)
    return split(input, -(-size // chunks), dim)


def tensor_split(input, indices_or_sections, dim=0):
    """Split into n nearly equal parts, or at the given indices (views)."""
    if input.dim() == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    dim = wrap_dim(dim, input.dim())
    size = input._shape[dim]
    if isinstance(indices_or_sections, numbers.Integral):
        n = int(indices_or_sections)
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        base, extra = divmod(size, n)
        bounds, start = [], 0
        for i in range(n):
            bounds.append((start, start + base + (1 if i < extra else 0)))
            start = bounds[-1][1]
    else:
        idx = [int(i) for i in indices_or_sections]
        edges = [0] + idx + [size]
        bounds = [(min(max(a, 0), size), min(max(b, 0), size)) for a, b in zip(edges, edges[1:])]
    return tuple(narrow(input, dim, a, max(0, b - a)) for a, b in bounds)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of dims (dim1, dim2), appended as the last dimension (a view)."""
    ndim = input.dim()
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if ndim == 0:  # torch wraps a 0-d tensor's dims as a 1-d one's: both are dim 0
        d1 = d2 = 0
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    start = input._offset
    if offset >= 0:
        length = max(0, min(input._shape[d1], input._shape[d2] - offset))
        if length:
            start += offset * input._strides[d2]
    else:
        length = max(0, min(input._shape[d1] + offset, input._shape[d2]))
        if length:
            start -= offset * input._strides[d1]
    keep = [d for d in range(ndim) if d not in (d1, d2)]
    shape = [input._shape[d] for d in keep] + [length]
    strides = [input._strides[d] for d in keep] + [input._strides[d1] + input._strides[d2]]
    return _as_view(input, shape, strides, start)


def swapaxes(input, axis0, axis1):
    """``transpose`` with NumPy's parameter names (torch's ``swapaxes``)."""
    return transpose(input, axis0, axis1)


def unfold(self, dimension, size, step):
    """Every slice of length `size` along `dimension`, `step` apart, as a new last dimension
    (a view: ``x.unfold(1, 2, 1)[i, j]`` is ``x[i, j:j + 2]``)."""
    ndim = self.dim()
    d = wrap_dim(dimension, ndim)
    max_size = self._shape[d] if ndim else 1
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if size > max_size:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {max_size} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if not ndim:
        return _as_view(self, (size,), (1,))
    shape, strides = list(self._shape), list(self._strides)
    shape[d] = (max_size - size) // step + 1
    strides[d] = self._strides[d] * step
    return _as_view(self, shape + [size], strides + [self._strides[d]])


def _in_place(view_fn, name):
    """The in-place twin of a view function: `self` takes the view's layout and is returned."""
    def method_(self, *args, **kwargs):
        v = view_fn(self, *args, **kwargs)
        self._shape, self._strides, self._offset, self._contig = v._shape, v._strides, v._offset, None
        return self
    method_.__name__ = name
    method_.__doc__ = f"In-place ``{view_fn.__name__}``: changes the shape/strides of `self`, returns `self`."
    return method_


def _t_check(self):
    if self.dim() > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self.dim()}D")
    return t(self)


def _T(self):
    """tensor.T: every dimension reversed (a view); beyond matrices, with torch's deprecation
    warning (0-d: the identity)."""
    shape = self._shape
    if len(shape) != 2:
        if not shape:
            warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
                          UserWarning, stacklevel=2)
        else:
            warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
                          "deprecated and it will throw an error in a future release. Consider `x.mT` to "
                          "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to "
                          "reverse the dimensions of a tensor.", UserWarning, stacklevel=2)
    return view_of(self, self._offset, shape[::-1], self._strides[::-1])


def _matrix_view(name, conj_hint):
    """tensor.mT / .mH / .adjoint(): the last two dims swapped (no complex dtypes here, so the
    conjugate is the identity). A 0-d tensor is returned itself, as torch 2.13 does (with a
    deprecation warning); a 1-d tensor is an error."""
    def fn(self):
        if self.dim() == 0:
            hint = "Consider using x.conj()." if conj_hint else "This function is the identity in these cases."
            prefix = "adjoint()" if name == "adjoint()" else f"Tensor.{name}"
            warnings.warn(f"{prefix} is deprecated on 0-D tensors. {hint}", UserWarning, stacklevel=2)
            return self  # torch returns the tensor itself here
        if self.dim() < 2:
            raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of matrices. "
                               f"Got {self.dim()}-D tensor.")
        return transpose(self, -2, -1)
    return fn


_mT = _matrix_view("mT", False)
_mH = _matrix_view("mH", True)
_adjoint = _matrix_view("adjoint()", True)


def _ravel(self):
    """The elements as a 1-D tensor: a view of a contiguous tensor, else a copy (torch's
    ``contiguous().view(-1)``)."""
    return self.contiguous().view(-1)


def _H(self):
    """tensor.H: the conjugate transpose of a matrix (0-d: itself, with torch's warning)."""
    if self.dim() == 0:
        warnings.warn("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().", UserWarning, stacklevel=2)
        return self  # torch returns the tensor itself here
    if self.dim() != 2:
        extra = " For batches of matrices, consider using tensor.mH" if self.dim() > 2 else ""
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.dim()}-D tensor.{extra}")
    return transpose(self, 0, 1)


forms.functions(["view_as", "reshape", "flatten", "unflatten", "t", "transpose", "permute", "squeeze",
                 "unsqueeze", "narrow", "select", "unbind", "split", "chunk", "diagonal", "movedim",
                 "broadcast_to", "tensor_split", "swapaxes"], globals())
forms.function("swapdims", transpose)
forms.function("moveaxis", movedim)
forms.methods(__all__, globals())
forms.method("swapaxes", swapaxes)
forms.method("swapdims", transpose)
forms.method("unfold", unfold)
forms.method("t_", _in_place(_t_check, "t_"))
_transpose_ = _in_place(transpose, "transpose_")
for _name in ("transpose_", "swapaxes_", "swapdims_"):
    forms.method(_name, _transpose_)
forms.method("squeeze_", _in_place(squeeze, "squeeze_"))
forms.method("unsqueeze_", _in_place(unsqueeze, "unsqueeze_"))
forms.method("T", property(_T))
forms.method("mT", property(_mT))
forms.method("H", property(_H))
forms.method("mH", property(_mH))
forms.method("adjoint", _adjoint)
forms.method("ravel", _ravel)
