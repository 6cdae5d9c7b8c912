"""Tensor contractions and products beyond matrices: inner, outer/ger, addr, cross,
einsum, tensordot and kron. Validation follows torch; the arithmetic is NumPy's on host
arrays of the operands (`np.einsum`/`np.tensordot` reach BLAS for the contractions), and
results are on the operands' device."""
import numbers
import warnings

import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.ops.linalg.util import (array_of, arrays, check_args, check_devices, check_tensor, finish, fresh,
                           not_implemented, upcast, write_inplace)
from nbtensor.core.plan import broadcast_shapes
from nbtensor.dispatch.tensor import Tensor, wrap_dim
from nbtensor.ops.views import expand

__all__ = ["inner", "outer", "ger", "addr", "cross", "einsum", "tensordot", "kron"]


def _same_dtype(a, b, message="both inputs should have same dtype"):
    if a.dtype is not b.dtype:
        raise RuntimeError(message)


def _promoted(a, b):
    """torch's result dtype for an element-wise a * b (a 0-d tensor ranks below a
    dimensioned one of the same category)."""
    if (a.dim() == 0) == (b.dim() == 0):
        return dt.promote_types(a.dtype, b.dtype)
    high, low = (a, b) if a.dim() else (b, a)
    return dt.combine_categories(high.dtype, low.dtype)


def _cast(array, dtype):
    return array.astype(dtype.np, copy=False)


# ---------------------------------------------------------------- inner / outer
def inner(input, other, *, out=None):
    """Sum of products over the last dimension of both inputs (a scaled copy when either
    input is 0-d); shape ``input.shape[:-1] + other.shape[:-1]``."""
    device = check_args("inner", ("input", "other"), (input, other), out)
    x, y = arrays(input, other)
    if input.dim() == 0 or other.dim() == 0:
        dtype = _promoted(input, other)
        return finish(np.multiply(_cast(x, dtype), _cast(y, dtype)), dtype, out, device)
    if input._shape[-1] != other._shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(input._shape)} and {list(other._shape)}")
    _same_dtype(input, other)
    if input.dtype is dt.bool:
        raise not_implemented("dot", input.dtype)
    return finish(np.inner(upcast(x, input.dtype), upcast(y, input.dtype)), input.dtype, out, device)


def outer(input, vec2, *, out=None):
    """Outer product of two vectors: ``result[i, j] = input[i] * vec2[j]``."""
    device = check_args("outer", ("input", "vec2"), (input, vec2), out)
    for name, v in (("self", input), ("vec2", vec2)):
        if v.dim() != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.dim()}-D")
    dtype = dt.promote_types(input.dtype, vec2.dtype)
    x, y = arrays(input, vec2)
    return finish(np.multiply.outer(_cast(x, dtype), _cast(y, dtype)), dtype, out, device)


def ger(input, vec2, *, out=None):
    """Alias of :func:`outer`."""
    return outer(input, vec2, out=out)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * outer(vec1, vec2)``, with torch's type promotion; for bool
    tensors ``(beta and input) or (alpha and outer)``."""
    device = check_args("addr", ("input", "vec1", "vec2"), (input, vec1, vec2), out)
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.dim() != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.dim()}-D")
    dtype = dt.promote_types(dt.promote_types(input.dtype, vec1.dtype), vec2.dtype)
    if not dtype.is_floating_point:
        for name, value in (("alpha", alpha), ("beta", beta)):
            if isinstance(value, float):
                raise RuntimeError(f"For integral input tensors, argument {name} must not be a "
                                   "floating point number.")
    shape = (vec1._shape[0], vec2._shape[0])
    inp = array_of(expand(input, shape))
    x, y = arrays(vec1, vec2)
    ct = np.dtype(np.float32) if dtype is dt.float16 else dtype.np
    product = np.multiply.outer(x.astype(ct, copy=False), y.astype(ct, copy=False))
    if dtype is dt.bool:
        result = (product & bool(alpha)) | (inp & bool(beta))
    else:
        if alpha != 1:
            product *= alpha
        result = product if beta == 0 else product + inp.astype(ct, copy=False) * beta
    return finish(result, dtype, out, device)


def addr_(self, vec1, vec2, *, beta=1, alpha=1):
    """In-place :func:`addr` into `self`."""
    return write_inplace(self, addr(self, vec1, vec2, beta=beta, alpha=alpha))


# ---------------------------------------------------------------- cross
def cross(input, other, dim=None, *, out=None):
    """Cross product of 3-vectors along `dim` (by default, with torch's deprecation
    warning, the first dimension of size 3)."""
    check_args("cross", ("input", "other"), (input, other), out)
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated. Please either "
                      "pass the dim explicitly or simply use torch.linalg.cross.", UserWarning, stacklevel=2)
        shape = broadcast_shapes(input._shape, other._shape)
        dim = next((d for d, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return linalg_cross(input, other, dim=dim, out=out)


def linalg_cross(input, other, *, dim=-1, out=None):
    """``torch.linalg.cross``: the cross product along `dim` (default -1), broadcasting."""
    device = check_args("linalg_cross", ("input", "other"), (input, other), out)
    if input.dim() != other.dim():
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions. Got "
                           f"{input.dim()} and {other.dim()}")
    d = wrap_dim(dim, input.dim())
    if input._shape[d] != 3 or other._shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input._shape[d]} and {other._shape[d]}")
    shape = broadcast_shapes(input._shape, other._shape)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.c_name} but found {other.dtype.c_name}")
    if input.dtype is dt.bool:
        raise not_implemented("cross", input.dtype)
    x, y = (np.broadcast_to(z, shape) for z in arrays(input, other))
    return finish(np.cross(x, y, axis=d), input.dtype, out, device)


# ---------------------------------------------------------------- einsum
def _sublist_letters(sub):
    out = []
    for s in sub:
        if s is Ellipsis:
            out.append("...")
        elif isinstance(s, numbers.Integral) and 0 <= s < 52:
            out.append(chr(ord("A") + s) if s < 26 else chr(ord("a") + s - 26))
        else:
            raise RuntimeError(f"einsum(): expected subscript to be within the range [0, 52), but got {s}")
    return "".join(out)


def _sublist_equation(args):
    """Turn einsum's sublist form (a, [0, 1], b, [1, 2], [0, 2]) into an equation."""
    n = len(args) // 2
    lhs = ",".join(_sublist_letters(sub) for sub in args[1:2 * n:2])
    rhs = "->" + _sublist_letters(args[-1]) if len(args) % 2 else ""
    return lhs + rhs, list(args[0:2 * n:2])


def _parse_term(term, start):
    """Labels of one operand's subscripts (None marks the ellipsis); torch's message for a
    character outside [a-zA-Z] gives its index in the equation."""
    labels, i = [], 0
    while i < len(term):
        c = term[i]
        if term.startswith("...", i):
            labels.append(None)
            i += 3
            continue
        if not c.isascii() or not c.isalpha():
            raise RuntimeError(f"einsum(): invalid subscript given at index {start + i} in the equation "
                               "string, subscripts must be in [a-zA-Z]")
        labels.append(c)
        i += 1
    return labels


def _check_einsum(equation, operands):
    """Validate `equation` against the operands' shapes as torch does; returns the
    equation without spaces, each operand's labels with their sizes (the dims an ellipsis
    covers labelled ``("...", k)``, k counted from the last), and the labels the result
    keeps."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    sizes, terms_sizes, start = {}, [], 0
    for i, (term, op) in enumerate(zip(terms, operands)):
        labels = _parse_term(term, start)
        start += len(term) + 1
        named = [label for label in labels if label is not None]
        seen = {}
        if None in labels:
            if len(named) > op.dim():
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(named)}) is "
                                   f"more than the number of dimensions ({op.dim()}) for operand {i}")
            at, covered = labels.index(None), op.dim() - len(named)
            shape = op._shape[:at] + op._shape[at + covered:]
            seen.update((("...", covered - j), size) for j, size in enumerate(op._shape[at:at + covered]))
        elif len(named) != op.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(named)}) does not "
                               f"match the number of dimensions ({op.dim()}) for operand {i} and no "
                               "ellipsis was given")
        else:
            shape = op._shape
        for label, size in zip(named, shape):
            if label in seen and seen[label] != size:
                raise RuntimeError(f"einsum(): subscript {label} is repeated for operand {i} but the sizes "
                                   f"don't match, {seen[label]} != {size}")
            seen[label] = size
        terms_sizes.append(seen)
        for label, size in seen.items():
            if type(label) is tuple:
                continue  # (the ellipsis broadcasts: checked by the computation)
            prev = sizes.get(label, 1)
            if size != prev and 1 not in (size, prev):
                raise RuntimeError(f"einsum(): subscript {label} has size {size} for operand {i} which does "
                                   f"not broadcast with previously seen size {prev}")
            sizes[label] = max(size, prev) if 0 not in (size, prev) else 0
    if arrow:
        out_labels = _parse_term(rhs, len(lhs) + 2)
        named = [label for label in out_labels if label is not None]
        for label in named:
            if label not in sizes:
                raise RuntimeError(f"einsum(): output subscript {label} does not appear in the equation for "
                                   "any input operand")
            if named.count(label) > 1:
                raise RuntimeError(f"einsum(): output subscript {label} appears more than once in the output")
        kept = set(named)
        ellipsis_kept = None in out_labels
    else:
        kept = {label for label in sizes if lhs.count(label) == 1}
        ellipsis_kept = True
    if ellipsis_kept:
        kept.update(label for term in terms_sizes for label in term if type(label) is tuple)
    return equation, terms_sizes, kept


def _einsum_dtype(terms, kept, operands):
    """torch's dtype for einsum's result, and its errors: torch multiplies the operands
    left to right, summing a label out once no later operand has it. A label of size > 1
    on both sides of a step is contracted by bmm, which takes one dtype and no bool
    (RuntimeError, NotImplementedError); a label on one side only is summed there (an
    integer or bool sum is int64); the sides then multiply, promoting. One operand: summed
    over every label the result drops. (An empty operand: its empty result, promoted.)"""
    def summed(dtype):
        return dtype if dtype.is_floating_point else dt.int64

    dtype, sizes = operands[0].dtype, terms[0]
    if len(terms) == 1:
        return summed(dtype) if set(sizes) - kept else dtype
    last = {label: i for i, term in enumerate(terms) for label in term}
    empty = any(0 in op._shape for op in operands)
    for i in range(1, len(terms)):
        right, other = terms[i], operands[i].dtype
        contracted = False
        for label in set(sizes) | set(right):
            if label in kept or last[label] > i:
                continue
            on_left, on_right = sizes.get(label, 1) != 1, right.get(label, 1) != 1
            if on_left and on_right:
                contracted = True
            elif on_left:
                dtype = summed(dtype)
            elif on_right:
                other = summed(other)
        if contracted and not empty:
            if dtype is dt.bool:
                raise not_implemented("bmm", dtype)
            if other is not dtype:
                raise RuntimeError(f"expected scalar type {dtype.c_name} but found {other.c_name}")
        dtype = dt.promote_types(dtype, other)
        sizes = {label: max(sizes.get(label, 1), right.get(label, 1)) for label in set(sizes) | set(right)
                 if label in kept or last[label] > i}
    return dtype


def einsum(*args):
    """Sum of products over the subscripts of `equation` (``einsum('ij,jk->ik', a, b)``,
    ``einsum(eq, [a, b])``, ellipsis broadcasting, or the sublist form)."""
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand, "
                        "or at least one operand and its subscripts list")
    if isinstance(args[0], str):
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    else:
        equation, operands = _sublist_equation(args)
    for i, op in enumerate(operands):
        check_tensor("einsum", f"operands[{i}]", i + 2, op)
    device = check_devices(*operands)
    equation, terms, kept = _check_einsum(equation, operands)
    dtype = _einsum_dtype(terms, kept, operands)
    # integers meeting floats: worked in float64, where they are exact (torch sums an integer
    # operand's own labels in int64 before the product converts it), then rounded once
    exact = dtype.is_floating_point and not all(op.dtype.is_floating_point for op in operands)
    work = dt.float64 if exact else dtype
    xs = [upcast(x.astype(work.np, copy=False), work) for x in arrays(*operands)]
    lhs, arrow, rhs = equation.partition("->")
    drops_ellipsis = arrow and "..." in lhs and "..." not in rhs
    if drops_ellipsis:  # (NumPy keeps an ellipsis's dims: summed here, in front of the rest)
        equation = f"{lhs}->...{rhs}"
    result = np.einsum(equation, *xs, optimize=len(xs) > 1)
    if drops_ellipsis:
        result = result.sum(axis=tuple(range(result.ndim - len(rhs))))
    return finish(fresh(result, *xs), dtype, device=device)


# ---------------------------------------------------------------- tensordot / kron
def _tensordot_dims(a, b, dims):
    if isinstance(dims, Tensor):
        dims = dims.item() if dims.dim() == 0 else dims.tolist()
    if isinstance(dims, numbers.Integral):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.dim() or dims > b.dim():
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        return list(range(a.dim() - dims, a.dim())), list(range(dims))
    da, db = dims
    da = [da] if isinstance(da, numbers.Integral) else list(da)
    db = [db] if isinstance(db, numbers.Integral) else list(db)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    return [wrap_dim(d, a.dim()) for d in da], [wrap_dim(d, b.dim()) for d in db]


def tensordot(a, b, dims=2, out=None):
    """Contract dimensions `dims` of `a` with those of `b` (an int n: the last n of `a`
    with the first n of `b`; or a pair of lists)."""
    device = check_args("tensordot", ("a", "b"), (a, b), out)
    da, db = _tensordot_dims(a, b, dims)
    for i, j in zip(da, db):
        if a._shape[i] != b._shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a._shape[i]} in "
                               f"dim {i} and second has size {b._shape[j]} in dim {j}")
    _same_dtype(a, b)
    x, y = (upcast(z, a.dtype) for z in arrays(a, b))
    return finish(fresh(np.tensordot(x, y, axes=(da, db)), x, y), a.dtype, out, device)


def kron(input, other, *, out=None):
    """Kronecker product (the shorter shape is padded with leading ones)."""
    device = check_args("kron", ("input", "other"), (input, other), out)
    dtype = dt.promote_types(input.dtype, other.dtype)
    x, y = arrays(input, other)
    return finish(np.kron(_cast(x, dtype), _cast(y, dtype)), dtype, out, device)


METHODS = {"inner": inner, "outer": outer, "ger": ger, "addr": addr, "addr_": addr_, "cross": cross,
           "kron": kron}
