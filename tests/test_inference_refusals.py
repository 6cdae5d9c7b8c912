"""torch's refusals for inference tensors (``inference_mode``), as torch 2.13 has them: outside
inference mode an inference tensor (or a view of one) cannot be written in place, and autograd
cannot save one for backward; inside, writes are allowed. Checked by hand, and against torch
when it is installed."""
import subprocess
import sys
import textwrap

import pytest

import nbtensor as nb

from support import needs_torch, torch

INPLACE = ("Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a "
           "normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details.")
SAVED = ("Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in "
         "computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and use "
         "it in autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`.")
VERSION = "Inference tensors do not track version counter."

LIBS = [nb] if torch is None else [nb, torch]


def _inference(lib, make):
    with lib.inference_mode():
        return make()


def _outcome(call):
    """"ok", or the message of the RuntimeError `call` raised."""
    try:
        call()
    except RuntimeError as e:
        return str(e)
    return "ok"


# ------------------------------------------------------------------ in-place writes
# call(lib, x) writes into x (an inference tensor of 6 elements, 2 x 3) or a view of it
_WRITES = {
    "add_": lambda lib, x: x.add_(1),
    "+=": lambda lib, x: x.__iadd__(1),
    "setitem": lambda lib, x: x.__setitem__(0, 2.0),
    "view mul_": lambda lib, x: x.view(6).mul_(2),
    "slice fill_": lambda lib, x: x[:, 1].fill_(5),
    "copy_": lambda lib, x: x.copy_(lib.zeros(2, 3)),
    "zero_": lambda lib, x: x.zero_(),
    "clamp_": lambda lib, x: x.clamp_(0, 1),
    "masked_fill_": lambda lib, x: x.masked_fill_(x > 2, 0.0),
    "index_put_": lambda lib, x: x.index_put_((lib.tensor([0]),), lib.tensor(5.0)),
    "exp_ function": lambda lib, x: lib.exp_(x),
    "uniform_": lambda lib, x: x.uniform_(),
    "nn.init.zeros_": lambda lib, x: lib.nn.init.zeros_(x),
    "unsqueeze_": lambda lib, x: x.unsqueeze_(0),
    "t_": lambda lib, x: x.t_(),
    "out=": lambda lib, x: lib.add(lib.ones(2, 3), 1, out=x),
    "out= of a reduction": lambda lib, x: lib.sum(lib.ones(2, 3, 3), 2, out=x),
    "out= tuple": lambda lib, x: lib.max(lib.ones(2, 3, 3), 2, out=(x, lib.zeros(2, 3, dtype=lib.int64))),
    "resize_ grows": lambda lib, x: x.resize_(7),
    "resize_ reshapes": lambda lib, x: x.resize_(3, 2),
    # what torch allows
    "resize_ to its shape": lambda lib, x: x.resize_(2, 3),
    "resize_as_ its shape": lambda lib, x: x.resize_as_(lib.ones(2, 3)),
    "detach_": lambda lib, x: x.detach_(),
    "requires_grad_(False)": lambda lib, x: x.requires_grad_(False),
    "write into a clone": lambda lib, x: x.clone().add_(1),
    "write a normal tensor from it": lambda lib, x: lib.zeros(2, 3).add_(x),
}
_ALLOWED = {"resize_ to its shape", "resize_as_ its shape", "detach_", "requires_grad_(False)", "write into a clone",
            "write a normal tensor from it"}


def _write_outcome(lib, name, grad_mode=None):
    x = _inference(lib, lambda: lib.arange(6.0).reshape(2, 3))
    if grad_mode is None:
        return _outcome(lambda: _WRITES[name](lib, x))
    with grad_mode(lib):
        return _outcome(lambda: _WRITES[name](lib, x))


@pytest.mark.parametrize("name", list(_WRITES))
def test_in_place_writes_to_inference_tensors_outside_inference_mode(name):
    assert _write_outcome(nb, name) == ("ok" if name in _ALLOWED else INPLACE)
    # (neither no_grad nor inference_mode(False) inside inference mode lets them write)
    assert _write_outcome(nb, name, lambda lib: lib.no_grad()) == ("ok" if name in _ALLOWED else INPLACE)
    nested = lambda lib: _Nested(lib)  # noqa: E731
    assert _write_outcome(nb, name, nested) == ("ok" if name in _ALLOWED else INPLACE)


class _Nested:
    """``inference_mode(False)`` inside ``inference_mode()``."""

    def __init__(self, lib):
        self.outer, self.inner = lib.inference_mode(), lib.inference_mode(False)

    def __enter__(self):
        self.outer.__enter__()
        self.inner.__enter__()

    def __exit__(self, *exc):
        self.inner.__exit__(*exc)
        self.outer.__exit__(*exc)


@needs_torch
@pytest.mark.parametrize("name", list(_WRITES))
def test_in_place_writes_to_inference_tensors_match_torch(name):
    assert _write_outcome(nb, name) == _write_outcome(torch, name)


@needs_torch
@pytest.mark.parametrize("name", ["add_", "setitem", "view mul_", "copy_", "zero_", "resize_ grows"])
def test_a_refused_write_is_done_first_as_in_torch(name):
    # (torch checks when it counts the write: the values are already written)
    def written(lib):
        x = _inference(lib, lambda: lib.arange(6.0).reshape(2, 3))
        _outcome(lambda: _WRITES[name](lib, x))
        return x.shape[0], x.reshape(-1)[:6].tolist()
    assert written(nb) == written(torch)


def test_inside_inference_mode_every_write_is_allowed():
    x = _inference(nb, lambda: nb.zeros(3))
    normal = nb.zeros(3)
    leaf = nb.zeros(3, requires_grad=True)
    before = normal._version
    with nb.inference_mode():
        x.add_(1)
        x[0] = 5.0
        x.view(3).mul_(2)
        nb.add(x, 1, out=x)
        normal.add_(1)  # (a normal tensor: its version counts, as torch's)
        normal.view(3)[1] = 4.0
        leaf.add_(1)  # (no grad mode inside: a leaf that requires grad may be written, as under no_grad)
    assert x.tolist() == [11.0, 3.0, 3.0]
    assert normal.tolist() == [1.0, 4.0, 1.0] and normal._version == before + 2
    assert leaf.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.__name__)
def test_inference_tensors_track_no_version(lib):
    x = _inference(lib, lambda: lib.ones(3))
    for t in (x, x.view(3), x[1:]):
        with pytest.raises(RuntimeError, match=VERSION):
            _ = t._version
    with lib.inference_mode():
        x.add_(1)
        with pytest.raises(RuntimeError, match=VERSION):
            _ = x._version
    assert lib.ones(3)._version == 0


def test_optimizer_steps_on_a_model_made_in_inference_mode_are_refused():
    with nb.inference_mode():
        buffer = nb.zeros(3)
    param = nb.nn.Parameter(nb.ones(3))
    optimizer = nb.optim.SGD([param], lr=0.1, momentum=0.9)
    (param * 2).sum().backward()
    optimizer.step()  # (normal parameters, written outside inference mode)
    assert param.tolist() == pytest.approx([0.8] * 3)
    with pytest.raises(RuntimeError, match=INPLACE):
        buffer.mul_(0.9)
    with nb.inference_mode():
        buffer.mul_(0.9)
        param.data.mul_(2.0)  # (inside, a normal parameter may be written too)
    assert param.tolist() == pytest.approx([1.6] * 3)


# ------------------------------------------------------------------ saved for backward
# call(lib, x, w) records an op on x (inference tensors: x 3 x 3, x1 3 elements, mask, idx) and
# w (3 x 3, requires grad; w1: 3 elements)
_OPS = {
    "x * w": lambda lib, t: t["x"] * t["w"],
    "w @ x": lambda lib, t: t["w"] @ t["x"],
    "w / x": lambda lib, t: t["w"] / t["x"],
    "x / w": lambda lib, t: t["x"] / t["w"],
    "w ** x": lambda lib, t: t["w"] ** t["x"],
    "dot": lambda lib, t: lib.dot(t["x1"], t["w1"]),
    "maximum": lambda lib, t: lib.maximum(t["x"], t["w"]),
    "where": lambda lib, t: lib.where(t["mask"], t["w1"], 0.0),
    "index": lambda lib, t: t["w1"][t["idx"]],
    "gather": lambda lib, t: t["w"].gather(1, t["idx"][:, None]),
    "take": lambda lib, t: lib.take(t["w"], t["idx"]),
    "clamp(min=x)": lambda lib, t: lib.clamp(t["w"], min=t["x"]),
    "linear": lambda lib, t: lib.nn.functional.linear(t["x"], t["w"]),
    "mse_loss": lambda lib, t: lib.nn.functional.mse_loss(t["w"], t["x"]),
    "cross_entropy target": lambda lib, t: lib.nn.functional.cross_entropy(t["w"][:2], t["idx"]),
    "x.view * w": lambda lib, t: t["x"].view(9).view(3, 3) * t["w"],
    "(w * 2) * x": lambda lib, t: (t["w"] * 2) * t["x"],
    "addcmul(x, w, x)": lambda lib, t: lib.addcmul(t["x"], t["w"], t["x"]),
    # what torch allows: nothing of x kept
    "x + w": lambda lib, t: t["x"] + t["w"],
    "w - x": lambda lib, t: t["w"] - t["x"],
    "cat": lambda lib, t: lib.cat([t["x"], t["w"]]),
    "stack": lambda lib, t: lib.stack([t["x1"], t["w1"]]),
    "x.exp() + w": lambda lib, t: t["x"].exp() + t["w"],
    "x.sum() * w": lambda lib, t: t["x"].sum() * t["w"],
    "addcmul(w, x, x)": lambda lib, t: lib.addcmul(t["w"], t["x"], t["x"]),
    "lerp(w, x, 0.5)": lambda lib, t: lib.lerp(t["w"], t["x"], 0.5),
    "addmm bias": lambda lib, t: lib.addmm(t["w"], t["x"], t["x"]),
    "addmv bias": lambda lib, t: lib.addmv(t["w1"], t["x"], t["x1"]),
    "index_add normal source": lambda lib, t: t["w"].index_add(0, t["idx"], t["x"][:2]),
    "scatter_add normal source": lambda lib, t: t["w"].scatter_add(1, t["idx"][:, None], t["x"][:2, :1]),
    "expand_as": lambda lib, t: t["w1"].expand_as(t["x"]),
    "clamp numbers": lambda lib, t: lib.clamp(t["w"], 0, 1),
    "in place add_": lambda lib, t: (t["w"] * 1).add_(t["x"]),
    "in place addcmul_(x, x)": lambda lib, t: (t["w"] * 1).addcmul_(t["x"], t["x"]),
}
_SAVING = {"x * w", "w @ x", "w / x", "x / w", "w ** x", "dot", "maximum", "where", "index", "gather", "take",
           "clamp(min=x)", "linear", "mse_loss", "cross_entropy target", "x.view * w", "(w * 2) * x", "addcmul(x, w, x)"}


def _tensors(lib):
    x = _inference(lib, lambda: lib.arange(9.0).reshape(3, 3) / 10 + 0.1)
    return {"x": x, "x1": _inference(lib, lambda: lib.arange(3.0) / 10 + 0.1),
            "mask": _inference(lib, lambda: lib.tensor([True, False, True])),
            "idx": _inference(lib, lambda: lib.tensor([0, 2])),
            "w": lib.full((3, 3), 0.5, requires_grad=True), "w1": lib.full((3,), 0.5, requires_grad=True)}


def _saving_outcome(lib, name):
    t = _tensors(lib)

    def run():
        y = _OPS[name](lib, t)
        y.sum().backward()
    return _outcome(run)


@pytest.mark.parametrize("name", list(_OPS))
def test_recording_an_op_that_saves_an_inference_tensor_raises(name):
    assert _saving_outcome(nb, name) == (SAVED if name in _SAVING else "ok")


@needs_torch
@pytest.mark.parametrize("name", list(_OPS))
def test_recording_an_op_that_saves_an_inference_tensor_matches_torch(name):
    assert _saving_outcome(nb, name) == _saving_outcome(torch, name)


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.__name__)
def test_the_refusal_comes_at_the_forward_op(lib):
    t = _tensors(lib)
    with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
        t["x"] * t["w"]  # (no backward needed)
    with lib.no_grad():
        assert (t["x"] * t["w"]).requires_grad is False  # (nothing recorded: nothing saved)
    assert (t["x"].clone() * t["w"]).requires_grad is True  # (a clone is a normal tensor)
    # an in-place op that would save it refuses before writing, as torch saves what it reads first
    y = t["w"] * 1
    with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
        y.mul_(t["x"])
    assert y.tolist() == [[0.5] * 3] * 3
    y.mul_(2).sum().backward()  # (its history is the one it had)
    assert t["w"].grad.tolist() == [[2.0] * 3] * 3


@pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.__name__)
def test_an_autograd_function_cannot_save_an_inference_tensor(lib):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            b, = ctx.saved_tensors
            return g * b, None
    w = lib.ones(3, requires_grad=True)
    x = _inference(lib, lambda: lib.full((3,), 2.0))
    with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
        Scale.apply(w, x)
    Scale.apply(w, x.clone()).sum().backward()
    assert w.grad.tolist() == [2.0, 2.0, 2.0]


def test_inside_inference_mode_nothing_is_refused_for_saving():
    x = _inference(nb, lambda: nb.ones(3))
    w = nb.ones(3, requires_grad=True)
    with nb.inference_mode(), nb.enable_grad():
        x * w  # (torch records nothing in inference mode; nothing is saved)


# ------------------------------------------------------------------ no cost before inference mode
@pytest.mark.cpu_only
def test_the_checks_are_installed_when_inference_mode_is_first_entered():
    # (a fresh interpreter: until then every form is installed as it is, without a wrapper;
    # from then on writes are checked, even before any tensor requires grad)
    script = textwrap.dedent("""
        import nbtensor as nb
        from nbtensor.dispatch import dispatcher
        add_ = nb.Tensor.add_
        assert dispatcher.recorder() is None
        nb.ones(3).add_(1)
        with nb.inference_mode():
            x = nb.ones(3)
        assert dispatcher.recorder() is not None and nb.Tensor.add_ is not add_
        for write in (lambda: x.add_(1), lambda: nb.add(x, 1, out=x), lambda: x.resize_(4)):
            try:
                write()
            except RuntimeError as e:
                assert str(e).startswith("Inplace update to inference tensor"), e
            else:
                raise AssertionError("not refused")
        nb.ones(3).add_(1)
        nb.ones(3, requires_grad=True)  # (recording starts: the checks stay)
        try:
            x.mul_(2)
        except RuntimeError:
            print("refused")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "refused"
