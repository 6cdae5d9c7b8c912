"""Inference tensors (``inference_mode``, ``is_inference``) and where a tensor's memory lives
(``share_memory_`` / ``is_shared``, ``pin_memory`` / ``is_pinned``), as torch 2.13 has them:
checked by hand, and against torch when it is installed (a CPU-only torch: pin_memory raises
there, as nbtensor's does without a GPU)."""
import subprocess
import sys
import textwrap
import threading
import warnings

import numpy as np
import pytest

import nbtensor as nb

from support import needs_torch, torch


# ------------------------------------------------------------------ inference tensors
def _scenario(lib):
    """torch's rules, in one run: what is an inference tensor."""
    x = lib.ones(3, requires_grad=True)
    n = lib.ones(3)
    a = np.ones(3)
    with lib.inference_mode():
        made = {"from_numpy": lib.from_numpy(a), "view": n.view(3), "detach": n.detach(),
                "contiguous": n.contiguous(), "to": n.to(lib.float32), "slice": n[1:], "new": n * 2,
                "leaf's detach": x.detach(), "clone": n.clone()}
        made["view of new"] = made["new"][1:]
        n.add_(1)  # (a normal tensor written in inference mode stays normal)
        inside = {"grad recorded": (x * 2).requires_grad, "mode": lib.is_inference_mode_enabled()}
    y = made["new"]
    made.update({"normal written inside": n, "leaf": x, "view outside": y.view(3), "index outside": y[0],
                 "detach outside": y.detach(), "clone outside": y.clone(), "op outside": y + 1})
    with lib.inference_mode(False):
        made["inference_mode(False)"] = lib.ones(1)
    with lib.inference_mode():
        with lib.inference_mode(False):
            made["nested False"] = lib.ones(1)
            inside["nested grad"] = lib.is_grad_enabled()
            inside["nested mode"] = lib.is_inference_mode_enabled()
    return {k: v.is_inference() for k, v in made.items()}, inside


def test_inference_tensors_by_hand():
    kinds, inside = _scenario(nb)
    assert {k for k, v in kinds.items() if v} == {"from_numpy", "new", "view of new", "clone", "view outside",
                                                  "index outside", "detach outside"}
    assert inside == {"grad recorded": False, "mode": True, "nested grad": True, "nested mode": False}
    assert nb.is_inference_mode_enabled() is False


@needs_torch
def test_inference_tensors_match_torch():
    assert _scenario(nb) == _scenario(torch)


# the views of a normal tensor: made in inference mode, they stay normal and leave it normal
_VIEWS = {
    "view": lambda t: t.view(6), "view_as": lambda t: t.view_as(t), "reshape": lambda t: t.reshape(3, 2),
    "flatten": lambda t: t.flatten(), "unflatten": lambda t: t.unflatten(1, (3, 1)), "squeeze": lambda t: t[None].squeeze(0),
    "unsqueeze": lambda t: t.unsqueeze(0), "transpose": lambda t: t.transpose(0, 1), "t": lambda t: t.t(),
    "T": lambda t: t.T, "mT": lambda t: t.mT, "permute": lambda t: t.permute(1, 0), "movedim": lambda t: t.movedim(0, 1),
    "expand": lambda t: t[:1].expand(4, 3), "expand_as": lambda t: t[:1].expand_as(t), "narrow": lambda t: t.narrow(1, 1, 2),
    "select": lambda t: t.select(0, 1), "unbind": lambda t: t.unbind(0)[1], "split": lambda t: t.split(1)[0],
    "chunk": lambda t: t.chunk(3, 1)[2], "tensor_split": lambda t: t.tensor_split(2, 1)[0],
    "diagonal": lambda t: t.diagonal(), "basic index": lambda t: t[1, ::2], "ellipsis": lambda t: t[..., None],
    "detach": lambda t: t.detach(), "data": lambda t: t.data, "as_strided": lambda t: t.as_strided((2,), (2,)),
    "unfold": lambda t: t.unfold(1, 2, 1), "view(dtype)": lambda t: t.view(nb.int32), "swapaxes": lambda t: t.swapaxes(0, 1),
    "ravel": lambda t: t.ravel(), "contiguous": lambda t: t.contiguous(), "to": lambda t: t.to(nb.float32),
    "real": lambda t: t.real, "Parameter": lambda t: nb.nn.Parameter(t, requires_grad=False),
    "hsplit": lambda t: nb.hsplit(t, 3)[0], "atleast_3d": lambda t: nb.atleast_3d(t),
    "split_with_sizes": lambda t: t.split_with_sizes([1, 1], 0)[1], "unsafe_split": lambda t: t.unsafe_split(1)[0],
    "storage": lambda t: nb.tensor(t.untyped_storage().tolist()),  # (reads it: a new tensor, made inside)
}


@pytest.mark.parametrize("name", list(_VIEWS))
def test_views_of_a_normal_tensor_made_in_inference_mode_stay_normal(name):
    base = nb.arange(6.0).reshape(2, 3)
    with nb.inference_mode():
        view = _VIEWS[name](base)
        assert base.is_inference() is False
    assert view.is_inference() is (name == "storage")
    assert base.is_inference() is False
    base.requires_grad_()  # (it can still join a graph)
    with nb.inference_mode():
        made = nb.arange(6.0).reshape(2, 3)
    view = _VIEWS[name](made)  # a view of an inference tensor, made outside: an inference tensor
    assert view.is_inference() is (name != "storage")


def test_an_in_place_op_recorded_under_enable_grad_in_inference_mode_leaves_its_tensor_normal():
    x = nb.ones(2, requires_grad=True)
    y = x * 1
    with nb.inference_mode(), nb.enable_grad():
        y.mul_(2)
    assert y.is_inference() is False  # (torch: False, and y's history goes on)


def test_make_and_make_view_build_the_same_tensor():
    # (two copies of one constructor, for speed: they must set the same fields)
    from nbtensor.dispatch.tensor import Tensor, make, make_view
    base = nb.arange(6.0)
    args = (base._storage, 1, (2, 2), (2, 1), base.dtype, None)
    a, b = make(*args), make_view(*args)
    for slot in Tensor.__slots__:
        if slot != "__weakref__":
            x, y = getattr(a, slot), getattr(b, slot)
            assert x is y or x == y, slot  # (the storage: the same object)
    assert a.tolist() == b.tolist() == [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize("make", [
    lambda x: x + 1, lambda x: x.sum(), lambda x: x @ x.t(), lambda x: x[[0, 1]], lambda x: x.sort()[0],
    lambda x: nb.cat([x, x]), lambda x: x.clone(), lambda x: nb.zeros(2), lambda x: nb.tensor([1.0]),
    lambda x: x.exp(), lambda x: nb.nn.functional.relu(x), lambda x: x.t().reshape(6), lambda x: x.masked_select(x > 1),
    lambda x: x.float().double(), lambda x: x.t().contiguous(),
])
def test_new_tensors_made_in_inference_mode_are_inference_tensors(make):
    x = nb.arange(6.0).reshape(2, 3)
    with nb.inference_mode():
        y = make(x)
    assert y.is_inference() is True and x.is_inference() is False


def test_inference_tensors_refuse_to_require_grad_outside_inference_mode():
    with nb.inference_mode():
        y = nb.ones(2)
        y.requires_grad_()  # (inside it is allowed, as in torch)
        z = nb.ones(2)
    message = "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."
    with pytest.raises(RuntimeError, match=message):
        z.requires_grad_()
    with pytest.raises(RuntimeError, match=message):
        nb.nn.Parameter(z)
    z.requires_grad_(False)  # (turning it off is allowed)
    z.clone().requires_grad_()  # (a clone is a normal tensor)
    with pytest.raises(TypeError, match=r"is_inference\(\): argument 'input' \(position 1\) must be Tensor, not int"):
        nb.is_inference(3)


def test_inference_mode_is_per_thread_and_keeps_a_resized_out_normal():
    seen = []
    inside, done = threading.Event(), threading.Event()

    def other():
        inside.wait(10)
        seen.append(nb.ones(2).is_inference())
        done.set()
    worker = threading.Thread(target=other)
    worker.start()
    with nb.inference_mode():
        inside.set()
        done.wait(10)
    worker.join()
    assert seen == [False]
    out = nb.zeros(1)
    with nb.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch's warning that out= was resized)
        nb.add(nb.ones(4), 1, out=out)  # (grows out's memory: out stays the normal tensor it was)
    assert out.is_inference() is False and out.tolist() == [2.0] * 4


@needs_torch
def test_inference_errors_match_torch():
    for lib in (nb, torch):
        with lib.inference_mode():
            y = lib.ones(2)
        with pytest.raises(RuntimeError) as got:
            y.requires_grad_()
        assert "Setting requires_grad=True on inference tensor outside InferenceMode" in str(got.value)
    with pytest.raises(TypeError) as want:
        torch.is_inference(3)
    with pytest.raises(TypeError) as got:
        nb.is_inference(3)
    assert str(got.value) == str(want.value)


# ------------------------------------------------------------------ shared memory
def _sharing(lib):
    t = lib.arange(6.0)
    v = t[2:]
    ptr = t.data_ptr()
    storage = t.untyped_storage()
    result = {"starts": (t.is_shared(), v.is_shared(), storage.is_shared())}
    result["returns self"] = t.share_memory_() is t
    result["after"] = (t.is_shared(), v.is_shared(), storage.is_shared(), t.untyped_storage().is_shared())
    result["moved"] = t.data_ptr() != ptr
    result["view follows"] = v.data_ptr() - t.data_ptr()
    t[3] = 50
    result["values"] = v.tolist()
    x = lib.ones(3, requires_grad=True)
    y = x * 2
    result["leaf"] = (x.share_memory_() is x, x.is_shared(), x.is_leaf, x.requires_grad)
    result["non-leaf"] = (y.share_memory_() is y, y.is_shared())
    y.sum().backward()
    result["grad"] = x.grad.tolist()
    result["empty"] = lib.empty(0).share_memory_().is_shared()
    w = lib.ones(3)
    z = w * 1
    w.share_memory_()
    result["others"] = (w.data_ptr() == z.data_ptr(), z.is_shared(), lib.ones(3)[::2].is_shared())
    result["again"] = w.share_memory_() is w and w.is_shared()
    return result


@pytest.mark.cpu_only
def test_share_memory_by_hand():
    got = _sharing(nb)
    assert got == {"starts": (False, False, False), "returns self": True, "after": (True,) * 4, "moved": True,
                   "view follows": 8, "values": [2.0, 50.0, 4.0, 5.0], "leaf": (True, True, True, True),
                   "non-leaf": (True, True), "grad": [2.0, 2.0, 2.0], "empty": True,
                   "others": (False, False, False), "again": True}


@needs_torch
@pytest.mark.cpu_only
def test_share_memory_matches_torch():
    assert _sharing(nb) == _sharing(torch)


@pytest.mark.cpu_only
def test_share_memory_keeps_versions_kinds_and_refuses_to_grow():
    t = nb.zeros(4)
    t.add_(1)
    with nb.inference_mode():
        i = nb.ones(2)
    assert t._version == 1
    t.share_memory_()
    i.share_memory_()
    assert t._version == 1 and t.is_inference() is False and i.is_inference() is True
    t.view(nb.int32).add_(0)  # (a reinterpreting view shares it too)
    assert t.view(nb.int32).is_shared()
    with pytest.raises(RuntimeError):
        t.resize_(100)  # (shared memory cannot grow: other processes hold it)
    m = nb.nn.Linear(3, 2)
    weight = m.weight
    assert m.share_memory() is m and m.weight is weight
    assert all(p.is_shared() for p in m.parameters())


@pytest.mark.cpu_only
def test_a_forked_child_writes_the_parents_shared_memory(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent("""
        import os
        import nbtensor as torch

        shared, private = torch.zeros(3).share_memory_(), torch.zeros(3)
        model = torch.nn.Linear(2, 1).share_memory()
        pid = os.fork()
        if pid == 0:
            shared[0] = 7
            private[0] = 7
            with torch.no_grad():
                model.weight.fill_(3)
            os._exit(0)
        os.waitpid(pid, 0)
        print(shared.tolist(), private.tolist(), model.weight.tolist())
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "[7.0, 0.0, 0.0] [0.0, 0.0, 0.0] [[3.0, 3.0]]"


# ------------------------------------------------------------------ pinned memory
def _pinning(lib):
    t = lib.ones(2, device="cpu")  # (pinning is for CPU tensors, whatever device the suite runs on)
    result = {"is_pinned": t.is_pinned(), "storage": t.untyped_storage().is_pinned()}
    for name, call in (("plain", lambda: t.pin_memory()),
                       ("int", lambda: lib.ones(2, dtype=lib.int64, device="cpu").pin_memory()),
                       ("empty", lambda: lib.ones(0, device="cpu").pin_memory()),
                       ("grad", lambda: lib.ones(2, requires_grad=True, device="cpu").pin_memory()),
                       ("device cpu", lambda: t.pin_memory("cpu"))):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                call()
                result[name] = "pinned"
            except RuntimeError as e:
                result[name] = str(e)
        result[name + " warned"] = [str(w.message).split(" (Triggered internally")[0] for w in caught
                                    if w.category is DeprecationWarning]
    return result


@pytest.mark.skipif(nb.cuda.is_available(), reason="a GPU pins memory")
def test_pin_memory_without_a_gpu_raises_torchs_error():
    got = _pinning(nb)
    assert got["is_pinned"] is False and got["storage"] is False
    for name in ("plain", "int", "empty", "grad"):
        assert got[name] == "Cannot access accelerator device when none is available."
    assert got["device cpu"] == "CPU device type not an accelerator."
    assert got["device cpu warned"] == [f"The argument 'device' of Tensor.{name}() is deprecated. Please do not pass "
                                        "this argument." for name in ("pin_memory", "is_pinned")]


@needs_torch
@pytest.mark.skipif(nb.cuda.is_available(), reason="a GPU pins memory")
def test_pin_memory_without_a_gpu_matches_a_cpu_only_torch():
    if torch.cuda.is_available():
        pytest.skip("this torch has a GPU")
    assert _pinning(nb) == _pinning(torch)


@pytest.mark.skipif(not nb.cuda.is_available(), reason="pinning needs a GPU (or the CUDA simulator)")
def test_pin_memory_with_a_gpu_copies_into_pinned_memory():
    x = nb.arange(6.0, device="cpu").reshape(2, 3).t()
    p = x.pin_memory()
    assert p is not x and p.is_pinned() and not x.is_pinned() and p.stride() == x.stride()
    assert p.tolist() == x.tolist() and p.pin_memory() is p and p[1].is_pinned()
    assert p.untyped_storage().is_pinned()
    g = nb.ones(2, device="cpu", requires_grad=True)
    g.pin_memory().sum().backward()
    assert g.grad.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="only dense CPU tensors can be pinned"):
        nb.ones(2, device="cuda").pin_memory()
    assert nb.ones(2, device="cuda").is_shared()
