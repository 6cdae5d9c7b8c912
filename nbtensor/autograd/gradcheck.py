"""``torch.autograd.gradcheck``: recorded gradients against central differences.

`gradcheck` compares, for every differentiable output and every input that requires grad,
the Jacobian autograd records (one backward pass per output element, run twice to catch a
backward that is not reentrant) with central differences (one pair of calls per input
element, the element written in place in the input's own memory, so strided, transposed,
0-d and empty inputs all work); then it checks that a zero ``grad_output`` gives zero
gradients of the inputs' shapes. `gradgradcheck` runs `gradcheck` on the function that
returns the first derivatives (``create_graph=True``), as torch's.

Differences from torch, documented: nbtensor has no forward-mode AD, vmap, sparse tensors or
undefined gradients, so ``check_forward_ad``, ``check_batched_grad``,
``check_batched_forward_grad`` and ``check_fwd_over_rev`` raise NotImplementedError when
True; ``check_undefined_grad`` is covered by the zero-``grad_output`` check; ``fast_mode``
and ``masked`` are accepted and the full Jacobian is always compared.
"""
import itertools
import warnings

from nbtensor.autograd.api import grad as autograd_grad
from nbtensor.autograd.grad_mode import no_grad
from nbtensor.core import dtype as dt
from nbtensor.dispatch.tensor import Tensor
from nbtensor.ops.bridge import tensor as _tensor
from nbtensor.ops.creation import rand, zeros

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Error raised by `gradcheck` and `gradgradcheck`."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable(outputs):
    return tuple(o for o in outputs if isinstance(o, Tensor) and o.requires_grad)


def _wrt(inputs):
    return [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]


def _check_inputs(inputs):
    """torch's checks of gradcheck's inputs: a warning for a single-precision input, an
    error for one whose elements share memory, and one when none requires grad."""
    found = False
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        if x.dtype is not dt.float64 and x.dtype is not getattr(dt, "complex128", None):
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating point "
                          "or complex. ", stacklevel=3)
        if not all(st > 0 or n <= 1 for st, n in zip(x.stride(), x.shape)):
            raise RuntimeError(f"The {i}th input has a dimension with stride 0. gradcheck only supports inputs that "
                               "are non-overlapping to be able to compute the numerical gradients correctly. You "
                               "should call .contiguous on the input before passing it to gradcheck.")
        found = True
    if not found:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them have "
                         "requires_grad=True.")


def _values(t):
    """The elements of `t` in row-major order, as Python floats."""
    return t.detach().reshape(-1).tolist()


def _write(data, index, value):
    with no_grad():
        data[index] = value


def _read(func, inputs, out_positions):
    """The values of the outputs at `out_positions` of ``func(*inputs)``, read at once (an
    output may be a view of an input, which the next perturbation changes). Grad mode stays
    as it is: gradgradcheck's function differentiates inside."""
    outputs = _as_tuple(func(*inputs))
    return [_values(outputs[pos]) for pos in out_positions]


def _numerical(func, inputs, wrt, out_positions, eps):
    """numerical[i][j]: for output position `out_positions[i]` and input `wrt[j]`, a list per
    input element of the output's central differences (a column of the Jacobian)."""
    table = [[[] for _ in wrt] for _ in out_positions]
    for j, x in enumerate(wrt):
        data = x.detach()
        for index in itertools.product(*(range(n) for n in x.shape)):
            original = data[index].item()
            _write(data, index, original - eps)
            minus = _read(func, inputs, out_positions)
            _write(data, index, original + eps)
            plus = _read(func, inputs, out_positions)
            _write(data, index, original)
            for i, (lo, hi) in enumerate(zip(minus, plus)):
                table[i][j].append([(b - a) / (2 * eps) for a, b in zip(lo, hi)])
    return table


def _analytical_rows(output, wrt):
    """One backward pass per element of `output` (a one-hot grad_output): per input, the
    list of gradients (flat lists, or None when unused), and the gradients themselves."""
    rows, grads = [], []
    n = output.numel()
    for k in range(n):
        one_hot = zeros(n, dtype=output.dtype, device=output.device)
        one_hot[k] = 1
        got = autograd_grad(output, wrt, one_hot.reshape(output.shape), retain_graph=True, allow_unused=True)
        rows.append([None if g is None else _values(g) for g in got])
        grads.append(got)
    return rows, grads


def _analytical(output, wrt, nondet_tol, check_grad_dtypes):
    """analytical[j]: for input `wrt[j]`, one row (a flat list) per element of `output`;
    torch's GradcheckErrors for a gradient of the wrong size or dtype and for a backward
    that gives different values when run again."""
    first, grads = _analytical_rows(output, wrt)
    second, _ = _analytical_rows(output, wrt)
    for got in grads:
        for g, x in zip(got, wrt):
            if g is None:
                continue
            if tuple(g.shape) != tuple(x.shape):
                raise GradcheckError("Analytical gradient has incorrect size")
            if check_grad_dtypes and g.dtype is not x.dtype:
                raise GradcheckError("Gradient has dtype mismatch")
    table = []
    for j, x in enumerate(wrt):
        a = [r[j] if r[j] is not None else [0.0] * x.numel() for r in first]
        b = [r[j] if r[j] is not None else [0.0] * x.numel() for r in second]
        if any(abs(u - v) > nondet_tol for ra, rb in zip(a, b) for u, v in zip(ra, rb)):
            raise GradcheckError(
                "Backward is not reentrant, i.e., running backward with same input and grad_output multiple times "
                "gives different values, although analytical gradient matches numerical gradient."
                f"The tolerance for nondeterminism was {nondet_tol}.")
        table.append(a)
    return table


def _jacobian(columns_or_rows, n_in, n_out, by_column):
    """The (input elements, output elements) Jacobian as a float64 tensor, for messages."""
    rows = [[0.0] * n_out for _ in range(n_in)]
    for p in range(n_in):
        for q in range(n_out):
            rows[p][q] = columns_or_rows[p][q] if by_column else columns_or_rows[q][p]
    return _tensor(rows, dtype=dt.float64).reshape(n_in, n_out)


def _compare(i, j, numerical, analytical, n_in, n_out, atol, rtol):
    """GradcheckError naming output `i` and input `j` unless every element agrees within
    ``atol + rtol * |numerical|`` (torch's allclose)."""
    for p in range(n_in):
        for q in range(n_out):
            want, got = numerical[p][q], analytical[q][p]
            if not abs(got - want) <= atol + rtol * abs(want):
                raise GradcheckError(
                    f"Jacobian mismatch for output {i:d} with respect to input {j:d},\n"
                    f"numerical:{_jacobian(numerical, n_in, n_out, True)}\n"
                    f"analytical:{_jacobian(analytical, n_in, n_out, False)}\n")


def _check_zero_grad_output(outputs, wrt):
    """torch's _test_backward_mul_by_grad_output: zero grad_outputs give zero gradients, of
    each input's dtype and shape."""
    got = autograd_grad(outputs, wrt, [zeros(o.shape, dtype=o.dtype, device=o.device) for o in outputs],
                        allow_unused=True)
    for g, x in zip(got, wrt):
        if g is None:
            continue
        if any(v != 0 for v in _values(g)):
            raise GradcheckError("backward not multiplied by grad_output")
        if g.dtype is not x.dtype:
            raise GradcheckError("grad is incorrect type")
        if g.device != x.device:
            raise GradcheckError("grad is incorrect device")
        if tuple(g.shape) != tuple(x.shape):
            raise GradcheckError("grad is incorrect size")


def _refuse(**flags):
    """NotImplementedError for a check nbtensor cannot run (see the module's docstring)."""
    for name, value in flags.items():
        if value:
            raise NotImplementedError(f"gradcheck: {name}=True needs forward-mode AD or vmap, which nbtensor "
                                      "does not have")


def _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_grad_dtypes):
    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    wrt = _wrt(inputs)
    func_out = _as_tuple(func(*inputs))
    positions = [k for k, o in enumerate(func_out) if isinstance(o, Tensor) and o.requires_grad]
    if not positions:  # torch: with nothing differentiable the numerical gradient must be zero
        floating = [k for k, o in enumerate(func_out) if isinstance(o, Tensor) and o.dtype.is_floating_point]
        table = _numerical(func, inputs, wrt, floating, eps)
        if any(v != 0 for per_out in table for per_in in per_out for col in per_in for v in col):
            raise GradcheckError("Numerical gradient for function expected to be zero")
        return True
    outputs = [func_out[k] for k in positions]
    analytical = [_analytical(o, wrt, nondet_tol, check_grad_dtypes) for o in outputs]
    numerical = _numerical(func, inputs, wrt, positions, eps)
    for i, o in enumerate(outputs):
        for j, x in enumerate(wrt):
            _compare(i, j, numerical[i][j], analytical[i][j], x.numel(), o.numel(), atol, rtol)
    _check_zero_grad_output(_differentiable(_as_tuple(func(*inputs))), wrt)
    return True


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None):
    """True when the gradients autograd records for ``func(*inputs)`` match central
    differences (step `eps`) within ``atol + rtol * |numerical|`` for every differentiable
    output and every input that requires grad (use float64 inputs); otherwise
    GradcheckError (a RuntimeError) naming the output and input, or False when
    `raise_exception` is False."""
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad to be True")
    if check_batched_grad and not check_backward_ad:
        raise AssertionError("Setting check_batched_grad=True requires check_backward_ad to be True")
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError("Setting check_batched_forward_grad=True requires check_forward_ad to be True")
    _refuse(check_forward_ad=check_forward_ad, check_batched_grad=check_batched_grad,
            check_batched_forward_grad=check_batched_forward_grad)
    try:
        return _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_grad_dtypes)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _random_grad_output(x, noncontiguous):
    """torch's make_tensor(low=-1, high=1, requires_grad=True) for a grad_output shaped as
    output `x` (laid out every other element when `noncontiguous`)."""
    dtype = x.dtype if x.dtype.is_floating_point else dt.float64
    shape = tuple(x.shape)
    if noncontiguous and x.numel() > 1:
        g = (rand(*shape[:-1], 2 * shape[-1], dtype=dtype, device=x.device) * 2 - 1)[..., ::2]
    else:
        g = rand(*shape, dtype=dtype, device=x.device) * 2 - 1
    return g.detach().requires_grad_()


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0, check_undefined_grad=True,
                  check_grad_dtypes=False, check_batched_grad=False, check_fwd_over_rev=False,
                  check_rev_over_rev=True, fast_mode=False, masked=False):
    """`gradcheck` of the first derivatives: the gradients of ``func(*inputs)`` with respect
    to the inputs that require grad, weighted by `grad_outputs` (random in [-1, 1) when
    None) and made with ``create_graph=True``, checked against central differences in the
    inputs and the `grad_outputs` that require grad."""
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_batched_grad=True requires check_rev_over_rev to be True")
    _refuse(check_fwd_over_rev=check_fwd_over_rev, check_batched_grad=check_batched_grad)
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outputs = _differentiable(_as_tuple(func(*inputs)))
        grad_outputs = tuple(_random_grad_output(o, gen_non_contig_grad_outputs) for o in outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_out = len(grad_outputs)
    diff_inputs = {i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad}

    def first_derivatives(*args):
        ins, gos = args[:len(args) - n_out], args[len(args) - n_out:]
        outputs = _differentiable(_as_tuple(func(*ins)))
        wrt = tuple(x for i, x in enumerate(ins) if i in diff_inputs)
        got = autograd_grad(outputs, wrt, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in got if g is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol, check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, fast_mode=fast_mode, masked=masked)
