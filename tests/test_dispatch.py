"""The dispatch point (nbtensor/dispatch/dispatcher.py): every op's function, method and
operator is installed from one registry, and a recorder set there (autograd's hook) sees
every call of every form, while without one the installed forms are the ops themselves (a
namespace function through a forwarder, so a reference taken early records later)."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import nbtensor as nb
from nbtensor.dispatch import dispatcher


@pytest.fixture
def recorded():
    calls = []

    def recorder(name, fn):
        def recorded(*args, **kwargs):
            calls.append(name)
            return fn(*args, **kwargs)
        return recorded

    previous = dispatcher.recorder()  # (autograd's, once a tensor required grad)
    dispatcher.set_recorder(recorder)
    try:
        yield calls
    finally:
        dispatcher.set_recorder(previous)


# (form, the op names the recorder must see, a NumPy oracle of the result)
A = np.arange(9.0, dtype=np.float32).reshape(3, 3)
C = np.arange(2560.0, dtype=np.float32).reshape(256, 10)
CASES = [
    (lambda a, c: a + a, ["__add__"], A + A),
    (lambda a, c: nb.add(a, a, alpha=2), ["add"], A + 2 * A),
    (lambda a, c: a.sum(), ["sum"], A.sum()),
    (lambda a, c: c.sum(1), ["sum"], C.sum(1)),
    (lambda a, c: nb.zeros(3, 3), ["zeros"], np.zeros((3, 3))),
    (lambda a, c: a[0, :], ["__getitem__"], A[0, :]),
    (lambda a, c: a.view(9), ["view"], A.reshape(9)),
    (lambda a, c: nb.cat((a, a)), ["cat"], np.concatenate((A, A))),
    (lambda a, c: a @ a, ["__matmul__"], A @ A),
    (lambda a, c: a.to(nb.float64), ["to"], A.astype(np.float64)),
    (lambda a, c: a.clone(), ["clone"], A),
    (lambda a, c: a.sum(axis=0, keepdims=True), ["sum"], A.sum(0, keepdims=True)),
]


@pytest.mark.parametrize("form, names, expected", CASES)
def test_a_recorder_sees_every_form_and_the_result_is_unchanged(recorded, form, names, expected):
    a, c = nb.tensor(A), nb.tensor(C)
    recorded.clear()
    result = form(a, c)
    assert recorded[:len(names)] == names
    np.testing.assert_allclose(result.cpu().numpy(), expected, rtol=1e-6)


def test_without_a_recorder_the_installed_forms_are_the_ops_themselves():
    previous = dispatcher.recorder()
    dispatcher.set_recorder(None)
    before = nb.softmax
    dispatcher.set_recorder(lambda name, fn: lambda *args, **kwargs: fn(*args, **kwargs))
    wrapper_code = dispatcher.entry("x", lambda: None).__code__  # what the recorder made
    assert nb.Tensor.__add__.__code__ is wrapper_code and nb.zeros.__code__ is wrapper_code
    dispatcher.set_recorder(None)
    for form in (nb.Tensor.__add__, nb.Tensor.clone, nb.zeros, nb.cat, nb.Tensor.view):
        assert form.__code__ is not wrapper_code, form  # no extra frame: per-op cost unchanged
    assert nb.softmax is before  # the same objects come back (code holding them keeps working)
    dispatcher.set_recorder(previous)


def test_two_ops_cannot_register_one_name():
    with pytest.raises(RuntimeError, match="two ops register the method 'clone'"):
        dispatcher.method("clone", lambda self: self)
    dispatcher.method("clone", dispatcher._METHODS["clone"])  # the same form again is no conflict


def test_a_table_default_yields_to_an_explicit_form_whatever_the_order():
    # add's generated table form is a default; the alpha-taking wrapper replaces it.
    assert nb.add(nb.ones(2), nb.ones(2), alpha=3).tolist() == [4.0, 4.0]
    assert nb.Tensor.add(nb.ones(2), nb.ones(2), alpha=3).tolist() == [4.0, 4.0]


def test_functions_imported_before_autograd_starts_record_once_it_does():
    # ``from nbtensor import cat`` keeps the object installed then; autograd starts later (at
    # the first tensor that requires grad), and the functions taken before must record too.
    # A fresh interpreter: in this one autograd may have started already.
    script = textwrap.dedent("""
        from nbtensor import cat, exp, matmul, softmax
        from nbtensor.linalg import solve
        import nbtensor as nb
        w = nb.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
        x = nb.ones(1, 2)
        total = (cat([x @ w, x]).sum() + exp(matmul(x, w)).sum() + softmax(w, 1)[0, 0]
                 + solve(w, nb.ones(2)).sum())
        total.backward()
        print(w.grad.tolist())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    got = np.array(eval(done.stdout.strip()))
    w = np.array([[2.0, 1.0], [1.0, 3.0]])
    e = np.exp(w.sum(0))
    s = np.exp(w[0]) / np.exp(w[0]).sum()
    sol = np.linalg.solve(w, np.ones(2))
    expected = np.ones((2, 2)) + np.tile(e, (2, 1))
    expected[0] += s[0] * (np.eye(2)[0] - s)
    expected -= np.outer(np.linalg.solve(w.T, np.ones(2)), sol)
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_namespace_functions_pickle_as_themselves():
    # as torch's functions do (by name: a process pool sends them so)
    import pickle
    for fn in (nb.exp, nb.cat, nb.add, nb.linalg.solve, nb.exp_, nb.nn.functional.relu):
        assert pickle.loads(pickle.dumps(fn)) is fn
