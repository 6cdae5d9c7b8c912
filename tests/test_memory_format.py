"""torch's memory formats: the objects (``nbtensor.contiguous_format``, ``channels_last``,
``channels_last_3d``, ``preserve_format``) and every ``memory_format=`` torch has
(``contiguous``, ``is_contiguous``, ``clone``, ``to`` and the casts, ``empty`` and the
``*_like`` creators, ``resize_``, ``resize_as_``, ``nn.Module.to``), with torch's errors;
also the keywords the ``new_*`` creators take. Strides are checked by hand (on the device
under test) and, when torch is installed, against torch 2.13."""
import copy
import itertools
import pickle

import numpy as np
import pytest
from support import needs_torch, torch

import nbtensor as nt

CL, CL3D, CF, PF = nt.channels_last, nt.channels_last_3d, nt.contiguous_format, nt.preserve_format


def _channels_last(n, c, h, w):
    """A float tensor (n, c, h, w) with channels innermost, holding 0, 1, 2, ... in its
    logical row-major order."""
    return nt.arange(float(n * c * h * w)).reshape(n, c, h, w).permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)


def _values(t):
    return t.cpu().numpy().tolist()


# ------------------------------------------------------------------------------ the objects
def test_the_formats_are_four_named_objects():
    assert [repr(f) for f in (CF, PF, CL, CL3D)] == [
        "nbtensor.contiguous_format", "nbtensor.preserve_format", "nbtensor.channels_last", "nbtensor.channels_last_3d"]
    assert str(CL) == repr(CL)
    assert repr(nt.memory_format) == "<class 'nbtensor.memory_format'>"
    assert all(isinstance(f, nt.memory_format) for f in (CF, PF, CL, CL3D))
    assert len({CF, PF, CL, CL3D}) == 4 and CL == CL and CL != CF and CL != "channels_last"
    with pytest.raises(TypeError, match=r"^cannot create 'torch.memory_format' instances$"):
        nt.memory_format()


def test_a_format_pickles_and_copies_as_itself():
    for f in (CF, PF, CL, CL3D):
        assert pickle.loads(pickle.dumps(f)) is f
        assert copy.copy(f) is f and copy.deepcopy(f) is f
    assert pickle.loads(pickle.dumps({"fmt": CL3D}))["fmt"] is CL3D


# ------------------------------------------------------------------------------ strides by hand
@pytest.mark.parametrize("shape, fmt, strides", [
    ((2, 3, 4, 5), CL, (60, 1, 15, 3)),
    ((2, 3, 4, 5), CF, (60, 20, 5, 1)),
    ((2, 1, 3, 1), CL, (3, 1, 1, 1)),
    ((2, 0, 3, 4), CL, (0, 1, 0, 0)),       # torch multiplies the sizes as they are
    ((0, 3, 2, 2), CL, (12, 1, 6, 3)),
    ((2, 0, 3), CF, (3, 3, 1)),            # (row-major counts a 0 size as 1)
    ((2, 3, 4, 5, 6), CL3D, (360, 1, 90, 18, 3)),
    ((1, 3, 1, 1, 2), CL3D, (6, 1, 6, 6, 3)),
])
def test_empty_lays_out_the_format(shape, fmt, strides, device):
    t = nt.empty(shape, memory_format=fmt)
    assert t.shape == shape and t.stride() == strides and t.device == nt.device(device)
    assert nt.empty(*shape, memory_format=fmt, dtype=nt.int64).stride() == strides


def test_contiguous_in_channels_last():
    x = nt.arange(120.0).reshape(2, 3, 4, 5)
    y = x.contiguous(memory_format=CL)
    assert y.stride() == (60, 1, 15, 3) and _values(y) == _values(x) and y.device == x.device
    assert y.is_contiguous(memory_format=CL) and not y.is_contiguous()
    assert y.contiguous(memory_format=CL) is y
    back = y.contiguous()
    assert back is not y and back.stride() == (60, 20, 5, 1) and _values(back) == _values(x)
    assert x.contiguous(memory_format=CF) is x and x.contiguous(memory_format=PF) is x
    z = nt.arange(720.0).reshape(2, 3, 4, 5, 6).contiguous(memory_format=CL3D)
    assert z.stride() == (360, 1, 90, 18, 3) and z.is_contiguous(memory_format=CL3D)


def test_is_contiguous_per_format():
    x = _channels_last(2, 3, 4, 5)
    assert x.is_contiguous(memory_format=CL) and not x.is_contiguous(memory_format=CF)
    assert not x.is_contiguous(memory_format=CL3D) and not x.is_contiguous(memory_format=PF)
    # size-1 dimensions' strides do not count: (2, 3, 1, 1) is contiguous both ways
    ones = nt.zeros(2, 3, 1, 1)
    assert ones.is_contiguous(memory_format=CL) and ones.is_contiguous() and ones.contiguous(memory_format=CL) is ones
    # a format of another rank is never contiguous; an empty tensor is not exempt (as torch)
    assert not nt.zeros(2, 3, 4).is_contiguous(memory_format=CL)
    assert not nt.tensor(1.0).is_contiguous(memory_format=CL)
    assert not nt.zeros(2, 0, 3, 4).is_contiguous(memory_format=CL)
    assert nt.empty(2, 0, 3, 4, memory_format=CL).is_contiguous(memory_format=CL)


def test_clone_in_each_format():
    x = nt.arange(120.0).reshape(2, 4, 5, 3).permute(0, 3, 1, 2)  # channels innermost
    assert x.clone().stride() == (60, 1, 15, 3)                   # preserve_format: kept
    assert x.clone(memory_format=PF).stride() == (60, 1, 15, 3)
    assert x.clone(memory_format=CF).stride() == (60, 20, 5, 1)
    assert nt.clone(x, memory_format=CF).stride() == (60, 20, 5, 1)
    r = nt.arange(120.0).reshape(2, 3, 4, 5)
    for fmt, strides in ((CL, (60, 1, 15, 3)), (CF, (60, 20, 5, 1))):
        c = r.clone(memory_format=fmt)
        assert c.stride() == strides and _values(c) == _values(r) and c.device == r.device
    # a non-dense input: torch orders the dimensions as the input's strides do
    sliced = nt.arange(240.0).reshape(2, 4, 5, 6).permute(0, 3, 1, 2)[:, :, :, ::2]
    assert sliced.stride() == (120, 1, 30, 12) and sliced.clone().stride() == (72, 1, 18, 6)
    assert _values(sliced.clone()) == _values(sliced)


def test_to_and_the_casts_take_a_format():
    x = nt.arange(120.0).reshape(2, 3, 4, 5)
    y = x.to(memory_format=CL)
    assert y.stride() == (60, 1, 15, 3) and y.dtype == nt.float32 and _values(y) == _values(x)
    assert y.to(memory_format=CL) is y and x.to(memory_format=CF) is x and x.to(memory_format=PF) is x
    d = x.to(nt.float64, memory_format=CL)
    assert d.dtype == nt.float64 and d.stride() == (60, 1, 15, 3) and _values(d) == _values(x)
    assert x.to(x.device, memory_format=CL).stride() == (60, 1, 15, 3)
    assert x.to(copy=True, memory_format=CF).stride() == (60, 20, 5, 1)
    assert x.double(memory_format=CL).stride() == (60, 1, 15, 3)
    assert x.float(memory_format=CL).stride() == (60, 1, 15, 3)  # same dtype, another format: a copy
    assert x.float(memory_format=CF) is x and x.float(memory_format=PF) is x
    assert y.double().stride() == (60, 1, 15, 3)                   # preserve_format by default
    # torch's `to` compares the format it suggests: a transposed matrix suggests row-major
    t = nt.arange(12.0).reshape(4, 3).t()
    assert t.to(memory_format=CF) is t and t.to(memory_format=CF, copy=True).stride() == (4, 1)
    c = x.cpu(memory_format=CL)
    assert c.device == nt.device("cpu") and c.stride() == (60, 1, 15, 3) and _values(c) == _values(x)


def test_like_creators_keep_or_set_the_layout():
    x = _channels_last(2, 3, 4, 5)
    r = nt.zeros(2, 3, 4, 5)
    creators = [
        (nt.empty_like, None), (nt.zeros_like, 0.0), (nt.ones_like, 1.0),
        (lambda t, **kw: nt.full_like(t, 7, **kw), 7.0),
        (nt.rand_like, None), (nt.randn_like, None),
        (lambda t, **kw: nt.randint_like(t, 5, **kw), None), (lambda t, **kw: nt.randint_like(t, 2, 5, **kw), None),
    ]
    for make, value in creators:
        for t, kw, strides in ((x, {}, (60, 1, 15, 3)), (x, {"memory_format": PF}, (60, 1, 15, 3)),
                               (x, {"memory_format": CF}, (60, 20, 5, 1)), (r, {"memory_format": CL}, (60, 1, 15, 3)),
                               (r, {}, (60, 20, 5, 1))):
            out = make(t, **kw)
            assert out.stride() == strides and out.shape == t.shape and out.device == t.device, (make, kw)
            if value is not None:
                assert (out.cpu().numpy() == value).all()
    ints = nt.randint_like(x, 2, 5)
    assert ints.dtype == nt.float32 and ((ints.cpu().numpy() >= 2) & (ints.cpu().numpy() < 5)).all()
    u = nt.rand_like(r, memory_format=CL).cpu().numpy()
    assert ((u >= 0) & (u < 1)).all()
    assert nt.zeros_like(x, dtype=nt.int64, memory_format=CL).stride() == (60, 1, 15, 3)
    # non-dense inputs: the dimensions ordered as the input's strides
    t = nt.arange(24.0).reshape(4, 6).t()[::2]
    assert t.stride() == (2, 6)
    for make in (nt.empty_like, nt.zeros_like, lambda u: nt.randint_like(u, 5)):
        assert make(t).stride() == (1, 3)
    assert nt.empty_like(nt.zeros(3).expand(2, 3)).stride() == (3, 1)
    g = nt.Generator().manual_seed(0)
    assert nt.rand_like(r, generator=g).shape == r.shape


def test_resize_lays_out_the_format():
    t = nt.arange(10.0)
    t.resize_(2, 3, 4, 5, memory_format=CL)
    assert t.shape == (2, 3, 4, 5) and t.stride() == (60, 1, 15, 3)
    assert t.cpu().numpy().ravel(order="K")[:10].tolist() == list(range(10))  # (memory kept, in storage order)
    p = nt.zeros(2, 3, 4, 5).permute(0, 2, 3, 1)
    assert p.resize_(p.shape).stride() == (60, 5, 1, 20)                      # same shape: unchanged
    assert p.resize_(p.shape, memory_format=CF).stride() == (60, 15, 3, 1)    # given a format: laid out
    assert nt.zeros(3).resize_(2, 1, 3, 1, memory_format=CF).stride() == (3, 3, 1, 1)
    assert nt.zeros(3).resize_(1, 2, 3, 4, 5, memory_format=CL3D).stride() == (120, 1, 40, 10, 2)


def test_resize_as_takes_the_template_format():
    cl = _channels_last(2, 3, 4, 5)
    assert nt.zeros(10).resize_as_(cl).stride() == (60, 20, 5, 1)
    assert nt.zeros(10).resize_as_(cl, memory_format=PF).stride() == (60, 1, 15, 3)
    assert nt.zeros(10).resize_as_(cl, memory_format=CF).stride() == (60, 20, 5, 1)
    permuted = nt.zeros(2, 3, 4, 5).permute(0, 2, 3, 1)  # suggests row-major
    assert nt.zeros(10).resize_as_(permuted, memory_format=PF).stride() == (60, 15, 3, 1)
    assert nt.resize_as_(nt.zeros(1), nt.zeros(2, 3, 4, 5), memory_format=CL).stride() == (60, 1, 15, 3)


def test_module_to_lays_out_4d_and_5d_parameters():
    conv = nt.nn.Conv2d(2, 3, 3)
    assert conv.to(memory_format=CL) is conv and conv.weight.stride() == (18, 1, 6, 2)
    assert conv.bias.stride() == (1,)
    lin = nt.nn.Linear(2, 3).to(memory_format=CL)
    assert lin.weight.stride() == (2, 1)
    with pytest.raises(RuntimeError, match=r"^required rank 5 tensor to use channels_last_3d format$"):
        nt.nn.Conv2d(2, 3, 3).to(memory_format=CL3D)


# ------------------------------------------------------------------------------ errors
RANK4 = r"^required rank 4 tensor to use channels_last format$"
RANK5 = r"^required rank 5 tensor to use channels_last_3d format$"


def test_a_format_of_another_rank_is_refused_everywhere():
    x = nt.zeros(2, 3, 4)
    calls = [lambda f: x.contiguous(memory_format=f), lambda f: x.clone(memory_format=f),
             lambda f: nt.clone(x, memory_format=f), lambda f: x.to(memory_format=f),
             lambda f: x.to(nt.float64, memory_format=f), lambda f: x.double(memory_format=f),
             lambda f: x.float(memory_format=f), lambda f: nt.empty(2, 3, 4, memory_format=f),
             lambda f: nt.empty_like(x, memory_format=f), lambda f: nt.zeros_like(x, memory_format=f),
             lambda f: nt.ones_like(x, memory_format=f), lambda f: nt.full_like(x, 1, memory_format=f),
             lambda f: nt.rand_like(x, memory_format=f), lambda f: nt.randn_like(x, memory_format=f),
             lambda f: nt.randint_like(x, 3, memory_format=f), lambda f: nt.zeros(1).resize_(2, 3, 4, memory_format=f),
             lambda f: nt.zeros(1).resize_as_(x, memory_format=f)]
    for call in calls:
        with pytest.raises(RuntimeError, match=RANK4):
            call(CL)
        with pytest.raises(RuntimeError, match=RANK5):
            call(CL3D)
    with pytest.raises(RuntimeError, match=RANK5):
        nt.zeros(2, 3, 4, 5).contiguous(memory_format=CL3D)
    with pytest.raises(RuntimeError, match=RANK4):
        nt.empty((), memory_format=CL)


def test_a_failed_resize_leaves_the_tensor_as_it_was():
    t = nt.arange(2.0)
    for fmt, message in ((CL, RANK4), (PF, r"^Unsupported memory formatPreserve$")):
        with pytest.raises(RuntimeError, match=message):
            t.resize_(2, 3, 4, memory_format=fmt)
        assert t.shape == (2,) and t.stride() == (1,) and _values(t) == [0.0, 1.0]


def test_preserve_format_where_there_is_nothing_to_preserve():
    with pytest.raises(RuntimeError, match=r"^preserve memory format is unsupported by the contiguous operator$"):
        nt.zeros(3, 2).t().contiguous(memory_format=PF)
    with pytest.raises(RuntimeError, match=r"^unsupported memory format Preserve$"):
        nt.empty(2, 3, memory_format=PF)
    incompatible = r"^'memory_format' argument is incompatible with 'out' tensor argument$"
    for fmt in (CF, PF):
        with pytest.raises(RuntimeError, match=incompatible):
            nt.empty(2, 3, out=nt.empty(2, 3), memory_format=fmt)


@pytest.mark.parametrize("name, call", [
    ("contiguous", lambda x, f: x.contiguous(memory_format=f)),
    ("is_contiguous", lambda x, f: x.is_contiguous(memory_format=f)),
    ("clone", lambda x, f: x.clone(memory_format=f)),
    ("clone", lambda x, f: nt.clone(x, memory_format=f)),
    ("double", lambda x, f: x.double(memory_format=f)),
    ("float", lambda x, f: x.float(memory_format=f)),
    ("cpu", lambda x, f: x.cpu(memory_format=f)),
    ("empty", lambda x, f: nt.empty(2, memory_format=f)),
    ("empty_like", lambda x, f: nt.empty_like(x, memory_format=f)),
    ("zeros_like", lambda x, f: nt.zeros_like(x, memory_format=f)),
    ("ones_like", lambda x, f: nt.ones_like(x, memory_format=f)),
    ("full_like", lambda x, f: nt.full_like(x, 1, memory_format=f)),
    ("resize_", lambda x, f: x.resize_(2, memory_format=f)),
    ("resize_as_", lambda x, f: x.resize_as_(x, memory_format=f)),
])
@pytest.mark.parametrize("bad", ["channels_last", 1])
def test_a_name_is_not_a_format(name, call, bad):
    x = nt.zeros(2, 3, 4, 5)
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument 'memory_format' must be torch.memory_format, "
                                        rf"not {type(bad).__name__}$"):
        call(x, bad)
    assert x.shape == (2, 3, 4, 5)


def test_to_takes_non_blocking_and_copy_positionally():
    x = nt.arange(6.0).reshape(2, 3)
    for call in (lambda: x.to(nt.float64, True), lambda: x.to("cpu", nt.float64, True)):
        d = call()
        assert d.dtype == nt.float64 and _values(d) == _values(x)
    assert x.to(nt.float32, True) is x and x.to(x, True) is x      # non_blocking alone copies nothing
    for call in (lambda: x.to(nt.float32, False, True), lambda: x.to(x, False, True)):
        c = call()
        assert c is not x and c.data_ptr() != x.data_ptr() and _values(c) == _values(x)


def test_format_arguments_are_keyword_only_and_never_none():
    x = nt.zeros(2, 3, 4, 5)
    with pytest.raises(TypeError, match="positional"):
        x.contiguous(CL)
    with pytest.raises(TypeError, match="^contiguous\\(\\): argument 'memory_format' must be torch.memory_format, "
                                        "not NoneType$"):
        x.contiguous(memory_format=None)
    for like in (nt.empty_like, nt.zeros_like, nt.ones_like, nt.rand_like):
        with pytest.raises(TypeError, match=f"^{like.__name__}\\(\\) takes 1 positional argument but 2 were given$"):
            like(x, nt.float64)


TO_OVERLOADS = (
    " * (torch.device device = None, torch.dtype dtype = None, bool non_blocking = False, bool copy = False, *, "
    "torch.memory_format memory_format = None)\n"
    " * (torch.dtype dtype, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None)\n"
    " * (Tensor tensor, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None)\n")


def _message(exc_info):
    return str(exc_info.value)


def test_to_lists_its_overloads_for_a_bad_keyword():
    x = nt.zeros(2, 3, 4, 5)
    head = "to() received an invalid combination of arguments - got "
    cases = [(lambda: x.to(memory_format="channels_last"), "(memory_format=str, )"),
             (lambda: x.to(nt.float64, memory_format=1), "(torch.dtype, memory_format=int)"),
             (lambda: x.to(x, memory_format="cl"), "(Tensor, memory_format=str)"),
             (lambda: x.to(nt.float64, copy=True, memory_format="cl"), "(torch.dtype, memory_format=str, copy=bool)"),
             (lambda: x.to(dtype=nt.float64, memory_format="cl"), "(memory_format=str, dtype=torch.dtype, )"),
             (lambda: x.to(nt.float64, foo=1), "(torch.dtype, foo=int)"),
             (lambda: nt.nn.Linear(2, 3).to(memory_format="cl"), "(memory_format=str, )")]
    for call, got in cases:
        with pytest.raises(TypeError) as info:
            call()
        assert _message(info) == f"{head}{got}, but expected one of:\n{TO_OVERLOADS}"


def test_random_like_creators_list_their_overloads():
    x = nt.zeros(2, 3, 4, 5)
    options = ("torch.memory_format memory_format = None, torch.dtype dtype = None, torch.layout layout = None, "
               "torch.device device = None, bool pin_memory = False, bool requires_grad = False")
    one = (f" * (Tensor input, *, torch.Generator generator, {options})\n"
           f" * (Tensor input, *, {options})\n")
    for name in ("rand_like", "randn_like"):
        for kw, got in (({"memory_format": "s"}, "memory_format=str"), ({"foo": 1}, "foo=int")):
            with pytest.raises(TypeError) as info:
                getattr(nt, name)(x, **kw)
            assert _message(info) == (f"{name}() received an invalid combination of arguments - got (Tensor, {got}), "
                                      f"but expected one of:\n{one}")
    with pytest.raises(TypeError) as info:
        nt.randint_like(x, 0, 3, memory_format="s")
    message = _message(info)
    assert message.startswith("randint_like() received an invalid combination of arguments - got "
                              "(Tensor, int, int, memory_format=str), but expected one of:\n"
                              f" * (Tensor input, int low, int high, *, torch.Generator generator, {options})\n")
    assert message.count("\n * ") == 6 and message.endswith(f" * (Tensor input, int high, *, {options})\n")


# ------------------------------------------------------------------------------ keywords
@pytest.mark.parametrize("name, call", [
    ("new_zeros", lambda x, **kw: x.new_zeros(3, **kw)),
    ("new_ones", lambda x, **kw: x.new_ones(3, **kw)),
    ("new_empty", lambda x, **kw: x.new_empty(3, **kw)),
    ("new_full", lambda x, **kw: x.new_full((3,), 1, **kw)),
    ("new_empty_strided", lambda x, **kw: x.new_empty_strided((3,), (1,), **kw)),
    ("new_tensor", lambda x, **kw: x.new_tensor([1.0, 2.0, 3.0], **kw)),
    ("zeros_like", lambda x, **kw: nt.zeros_like(x[0], **kw)),
    ("full_like", lambda x, **kw: nt.full_like(x[0], 1, **kw)),
    ("empty_like", lambda x, **kw: nt.empty_like(x[0], **kw)),
])
def test_creators_refuse_a_keyword_torch_does_not_take(name, call, device):
    x = nt.zeros(3, 3)
    for key in ("dtpye", "out", "generator", "memory_format"):
        if key == "memory_format" and name.endswith("_like"):
            continue
        with pytest.raises(TypeError, match=rf"^{name}\(\) got an unexpected keyword argument '{key}'$"):
            call(x, **{key: 1})
    with pytest.raises(TypeError, match=rf"^{name}\(\) got an unexpected keyword argument 'dtpye'$"):
        call(x, dtpye=nt.float64, foo=2)
    made = call(x, dtype=nt.float64, device=device, requires_grad=True)
    assert made.dtype == nt.float64 and made.requires_grad and made.shape == (3,)
    assert made.device == nt.device(device)
    if name == "new_tensor":  # (torch's new_tensor takes neither layout nor pin_memory)
        for key, value in (("layout", nt.strided), ("pin_memory", False)):
            with pytest.raises(TypeError, match=rf"^new_tensor\(\) got an unexpected keyword argument '{key}'$"):
                call(x, **{key: value})
    else:
        assert call(x, layout=nt.strided, pin_memory=False).shape == (3,)


def test_new_creators_take_size_as_a_keyword():
    x = nt.zeros(2, dtype=nt.int64)
    for made in (x.new_zeros(size=(2, 3)), x.new_ones(size=[2, 3]), x.new_empty(size=(2, 3)),
                 x.new_full(size=(2, 3), fill_value=4), x.new_empty_strided(size=(2, 3), stride=(3, 1))):
        assert made.shape == (2, 3) and made.dtype == nt.int64 and made.device == x.device
    assert _values(x.new_full(size=(2,), fill_value=4)) == [4, 4]
    with pytest.raises(TypeError, match=r"^new_zeros\(\) got multiple values for argument 'size'$"):
        x.new_zeros(2, size=(2,))


def test_zeros_refuses_memory_format():
    with pytest.raises(TypeError, match=r"^zeros\(\) got an unexpected keyword argument 'memory_format'$"):
        nt.zeros(2, memory_format=CF)


# ------------------------------------------------------------------------------ torch's results
def _strided_pairs():
    """(nbtensor tensor, torch tensor) pairs of the same shape and strides over one buffer:
    row-major, channels-last, permuted, sliced, expanded and size-1 layouts, 4-D and 5-D."""
    shapes = [(2, 3, 4, 5), (1, 3, 1, 1), (2, 1, 4, 1), (2, 3, 1, 5), (2, 1, 1, 1), (1, 1, 1, 1), (0, 3, 2, 2),
              (2, 3, 4, 5, 2), (1, 2, 1, 1, 3)]
    for shape in shapes:
        for perm in itertools.permutations(range(len(shape))):
            if len(shape) == 5 and perm not in ((0, 1, 2, 3, 4), (0, 2, 3, 4, 1), (0, 4, 1, 2, 3), (4, 3, 2, 1, 0)):
                continue
            base_shape = tuple(shape[d] for d in perm)
            inverse = tuple(perm.index(d) for d in range(len(shape)))
            yield (nt.zeros(base_shape).permute(inverse), torch.zeros(base_shape).permute(inverse))
    x, y = nt.zeros(2, 4, 5, 6).permute(0, 3, 1, 2), torch.zeros(2, 4, 5, 6).permute(0, 3, 1, 2)
    yield x[:, :, :, ::2], y[:, :, :, ::2]
    yield x[:, ::2], y[:, ::2]
    yield nt.zeros(3, 1, 1).expand(2, 3, 4, 5), torch.zeros(3, 1, 1).expand(2, 3, 4, 5)
    yield nt.zeros(5).as_strided((2, 3, 1, 1), (1, 1, 7, 9)), torch.zeros(5).as_strided((2, 3, 1, 1), (1, 1, 7, 9))
    yield nt.zeros(2, 3), torch.zeros(2, 3)
    yield nt.zeros(3, 2).t(), torch.zeros(3, 2).t()


# each entry point with a format: (T, t, f) -> its result, T being nbtensor or torch
FORMAT_CALLS = (
    lambda T, t, f: t.is_contiguous(memory_format=f), lambda T, t, f: t.contiguous(memory_format=f),
    lambda T, t, f: t.clone(memory_format=f), lambda T, t, f: t.to(memory_format=f),
    lambda T, t, f: t.to(T.float64, memory_format=f), lambda T, t, f: T.empty_like(t, memory_format=f),
    lambda T, t, f: T.zeros_like(t, dtype=T.int64, memory_format=f), lambda T, t, f: T.randint_like(t, 3, memory_format=f),
    lambda T, t, f: T.zeros(1).resize_as_(t, memory_format=f),
    lambda T, t, f: T.zeros(t.shape).resize_(t.shape, memory_format=f),
    lambda T, t, f: T.empty(t.shape, memory_format=f))
# and without one: (T, t) -> its result
DEFAULT_CALLS = (
    lambda T, t: t.contiguous(), lambda T, t: t.clone(), lambda T, t: t.to(T.float64), lambda T, t: T.empty_like(t),
    lambda T, t: T.rand_like(t), lambda T, t: T.randint_like(t, 3), lambda T, t: T.full_like(t, 2),
    lambda T, t: T.zeros(1).resize_as_(t))


def _outcome(call, T, t, *args):
    """What `call` makes of `t`: a bool, (shape, strides, whether it is `t`), or torch's error."""
    try:
        r = call(T, t, *args)
    except RuntimeError as e:
        return "RuntimeError: " + str(e)
    if isinstance(r, bool):
        return r
    return (tuple(r.shape), tuple(r.stride()), r is t)


def _outcomes(T, t):
    """What each memory_format entry point makes of `t` (``T``: nbtensor or torch)."""
    found = {"default": [_outcome(call, T, t) for call in DEFAULT_CALLS]}
    for f in (T.contiguous_format, T.preserve_format, T.channels_last, T.channels_last_3d):
        found[repr(f).split(".")[1]] = [_outcome(call, T, t, f) for call in FORMAT_CALLS]
    return found


@needs_torch
def test_every_entry_point_lays_out_as_torch():
    for x, y in _strided_pairs():
        assert x.stride() == y.stride()
        assert _outcomes(nt, x) == _outcomes(torch, y), (x.shape, x.stride())


@needs_torch
def test_the_errors_are_torchs():
    x4 = ("zeros", (2, 3, 4, 5))
    calls = [
        lambda T, x: x.contiguous(memory_format="channels_last"),
        lambda T, x: x.is_contiguous(memory_format=1),
        lambda T, x: x.clone(memory_format="x"),
        lambda T, x: T.clone(x, memory_format=2.0),
        lambda T, x: x.to(memory_format="channels_last"),
        lambda T, x: x.to(T.float64, copy=True, memory_format="cl"),
        lambda T, x: x.to(device="cpu", dtype=T.float64, memory_format="cl"),
        lambda T, x: x.to(T.float64, foo=1),
        lambda T, x: x.double(memory_format="cl"),
        lambda T, x: x.double(foo=1),
        lambda T, x: x.cpu(memory_format="cl"),
        lambda T, x: T.empty(2, memory_format="cl"),
        lambda T, x: T.empty(2, 3, memory_format=T.preserve_format),
        lambda T, x: T.empty(2, 3, memory_format=T.channels_last),
        lambda T, x: T.empty(2, 3, out=T.empty(2, 3), memory_format=T.contiguous_format),
        lambda T, x: T.empty_like(x, memory_format="cl"),
        lambda T, x: T.zeros_like(x, memory_format=None, foo=1),
        lambda T, x: T.full_like(x, 1, memory_format=1),
        lambda T, x: T.rand_like(x, memory_format="cl"),
        lambda T, x: T.randn_like(x, foo=1),
        lambda T, x: T.randint_like(x, 3, memory_format="cl"),
        lambda T, x: T.randint_like(x, 0, 3, foo=1),
        lambda T, x: T.ones_like(x, memory_format=T.channels_last_3d),
        lambda T, x: x.contiguous(memory_format=T.channels_last_3d),
        lambda T, x: x.permute(0, 2, 3, 1).contiguous(memory_format=T.preserve_format),
        lambda T, x: x.clone().resize_(2, 3, memory_format=T.channels_last),
        lambda T, x: x.clone().resize_(2, 3, memory_format=T.preserve_format),
        lambda T, x: x.clone().resize_(2, 3, memory_format="cl"),
        lambda T, x: x.clone().resize_as_(x[0], memory_format=T.channels_last),
        lambda T, x: x.clone().resize_as_(x, memory_format="cl"),
        lambda T, x: x.new_zeros(3, dtpye=1),
        lambda T, x: x.new_ones(3, out=x),
        lambda T, x: x.new_empty(3, memory_format=T.contiguous_format),
        lambda T, x: x.new_full((3,), 1, generator=None),
        lambda T, x: x.new_tensor([1], layout=T.strided),
        lambda T, x: x.new_empty_strided((3,), (1,), dtpye=1),
        lambda T, x: T.zeros(2, memory_format=T.contiguous_format),
        lambda T, x: T.nn.Linear(2, 3).to(memory_format="cl"),
        lambda T, x: T.nn.Conv2d(2, 3, 3).to(memory_format=T.channels_last_3d),
        lambda T, x: T.memory_format(),
    ]
    for call in calls:
        errors = []
        for T in (nt, torch):
            with pytest.raises((TypeError, RuntimeError)) as info:
                call(T, getattr(T, x4[0])(x4[1]))
            errors.append((info.type, _message(info)))
        assert errors[0] == errors[1]


@needs_torch
def test_the_objects_are_torchs():
    for name in ("contiguous_format", "preserve_format", "channels_last", "channels_last_3d"):
        assert repr(getattr(nt, name)).replace("nbtensor.", "torch.") == repr(getattr(torch, name))
    assert np.array_equal(nt.empty(2, 3, 4, 5, memory_format=CL).stride(),
                          torch.empty(2, 3, 4, 5, memory_format=torch.channels_last).stride())
