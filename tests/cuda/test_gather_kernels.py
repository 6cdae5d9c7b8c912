"""The CUDA gather launchers (nbtensor/backends/cuda/gather.py) against the CPU's, in Numba's
CUDA simulator: the same random operands (strided, permuted, broadcast, with size-0 and
size-1 dims) go to both, and the whole storages (gaps included) must come out equal.

Run with ``NUMBA_ENABLE_CUDASIM=1`` (skipped otherwise). Values are chosen so that every
order of accumulation gives the same result (integer-valued floats for sums, powers of two
for products): the atomic kernels must match the CPU's serial loops exactly.
"""
import json
import math
import os

import numpy as np
import pytest

if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
    pytest.skip("the CUDA kernels are tested in Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1)",
                allow_module_level=True)

from numba import config, cuda  # noqa: E402
from numba.core.sigutils import normalize_signature  # noqa: E402

from nbtensor.backends.cpu import gather as cpu  # noqa: E402
from nbtensor.backends.cuda import gather as gpu  # noqa: E402
from nbtensor.backends.cuda import launch, ptx, runtime  # noqa: E402
from nbtensor.backends.host import strided_view  # noqa: E402
from nbtensor.kernels.cuda import gather as kernels  # noqa: E402

if not config.ENABLE_CUDASIM:  # numba was imported before the variable was set
    pytest.skip("numba.cuda is not the simulator in this process", allow_module_level=True)

pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # wrapping int products

COPY, ADD, MUL = gpu.COPY, gpu.ADD, gpu.MUL
COPY_DTYPES = [np.float32, np.float64, np.int64, np.int32, np.bool_, np.uint8, np.int8, np.int16, np.float16]
ACC_DTYPES = [np.float32, np.float64, np.int64, np.int32, np.bool_, np.uint8, np.int8, np.int16]
SEEDS = range(3)


@pytest.fixture(scope="module", autouse=True)
def recorded(tmp_path_factory):
    """Every kernel signature this module's tests launch, recorded by `launch` (JSON lines)."""
    path = tmp_path_factory.mktemp("signatures") / "gather.jsonl"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(launch, "_record_path", str(path))
        mp.setattr(launch, "_recorded", set())
        yield path


# --------------------------------------------------------------------------- operands
def _values(rng, dtype, shape, kind=COPY):
    """Random values; for ADD/MUL ones whose sums/products do not depend on the order."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if kind == MUL:
        pool = [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0] if dtype.kind == "f" else [1, 2, 3, 255] if dtype.kind == "u" \
            else [-2, -1, 1, 2, 3]
        return rng.choice(pool, shape).astype(dtype)
    if dtype.kind == "f":
        if kind == ADD:
            return rng.integers(-8, 9, shape).astype(dtype)
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    if kind == ADD and dtype.itemsize >= 4:
        return rng.integers(-1000, 1000, shape).astype(dtype)
    return rng.integers(info.min, info.max, shape, endpoint=True, dtype=dtype)  # wraps in narrow types


def _shape(rng, lo, hi):
    """lo..hi dims of sizes 0..3 (a size 0 rarely)."""
    return tuple(int(rng.choice([0, 1, 2, 3, 3, 2, 1, 3, 2, 3])) for _ in range(rng.integers(lo, hi + 1)))


def _operand(rng, shape, dtype, values=None, broadcast=False, kind=COPY):
    """A host (storage, offset, strides) holding `values` (random by default) over `shape`:
    dims in a random memory order, gaps between them, an offset, junk around; with
    `broadcast`, some dims get stride 0 (their values repeat). Returns (operand, logical)."""
    nd = len(shape)
    if values is None:
        vshape = tuple(1 if broadcast and rng.random() < 0.35 else n for n in shape)
        values = np.broadcast_to(_values(rng, dtype, vshape, kind), shape)
    strides = [0] * nd
    step = 1
    for d in rng.permutation(nd):
        if values.strides[d] == 0 and shape[d] != 1:
            continue
        strides[d] = step
        step *= max(shape[d], 1) * int(rng.choice([1, 1, 2]))
    offset = int(rng.integers(0, 3))
    span = 1 + sum((n - 1) * s for n, s in zip(shape, strides)) if 0 not in shape else 0
    storage = _values(rng, dtype, offset + span + int(rng.integers(0, 3)), kind)
    if span:
        strided_view(storage, shape, strides, offset, storage.dtype)[...] = values
    return (storage, offset, tuple(strides)), values


def _device(op):
    """The operand with its storage copied to the (simulated) device."""
    return (cuda.to_device(op[0].copy()),) + tuple(op[1:])


def _host_copy(op):
    return (op[0].copy(),) + tuple(op[1:])


def _same(host, device):
    got = device.copy_to_host()
    assert got.dtype == host.dtype
    np.testing.assert_array_equal(got, host)


# --------------------------------------------------------------------------- indexed
def _indexed_case(rng, dtype, mode, scatter):
    """Operands of one `indexed` call: the indexed side is dst when `scatter` (index_put_,
    index_add_, index_copy_), else src (x[idx], index_select, take)."""
    pre, mid, post = _shape(rng, 0, 2), _shape(rng, 1, 2), _shape(rng, 0, 2)
    j = math.prod(mid)
    unique = scatter and mode == COPY  # a copy that writes one element twice keeps either value
    size = j + int(rng.integers(0, 2)) if unique else int(rng.integers(1, 4))
    wrap = size if rng.random() < 0.5 else 0
    if unique:
        table = rng.permutation(size)[:j]
    else:
        table = rng.integers(0, size, j)  # few distinct values: duplicates
    if wrap:
        table = np.where(rng.random(j) < 0.5, table - size, table)
    table = table.astype(np.int64)
    kind = mode
    ix, _ = _operand(rng, pre + (size,) + post, dtype, broadcast=not unique, kind=kind)
    npre = len(pre)
    st = ix[2]
    indexed_side = (ix[0], ix[1], (st[:npre], (), st[npre + 1:]), (table, st[npre], wrap))
    plain, _ = _operand(rng, pre + mid + post, dtype, broadcast=scatter, kind=kind)
    pst = plain[2]
    nm = len(mid)
    plain_side = (plain[0], plain[1], (pst[:npre], pst[npre:npre + nm], pst[npre + nm:]), None)
    dst, src = (indexed_side, plain_side) if scatter else (plain_side, indexed_side)
    return dst, src, pre, mid, post


def _run_indexed(dst, src, pre, mid, post, mode):
    hd, hs = _host_copy(dst), _host_copy(src)
    cpu.indexed(hd, hs, pre, mid, post, mode)
    dd, ds = _device(dst), _device(src)
    gpu.indexed(dd, ds, pre, mid, post, mode)
    _same(hd[0], dd[0])
    _same(hs[0], ds[0])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scatter", [False, True], ids=["gather", "scatter"])
@pytest.mark.parametrize("dtype", COPY_DTYPES, ids=lambda d: np.dtype(d).name)
def test_indexed_copy(dtype, scatter, seed):
    rng = np.random.default_rng([seed, scatter, np.dtype(dtype).num])
    _run_indexed(*_indexed_case(rng, dtype, COPY, scatter), COPY)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mode", [ADD, MUL], ids=["add", "mul"])
@pytest.mark.parametrize("dtype", ACC_DTYPES, ids=lambda d: np.dtype(d).name)
def test_indexed_accumulate(dtype, mode, seed):
    rng = np.random.default_rng([seed, mode, np.dtype(dtype).num, 1])
    _run_indexed(*_indexed_case(rng, dtype, mode, True), mode)


def test_indexed_take_with_negative_indices():
    """take(): one flat table over a strided source, negative values wrapped by its length."""
    rng = np.random.default_rng(7)
    src, _ = _operand(rng, (7,), np.float32)
    table = rng.integers(-7, 7, 10).astype(np.int64)
    out = (np.zeros(10, np.float32), 0, ((), (1,), ()), None)
    _run_indexed(out, (src[0], src[1], ((), (), ()), (table, src[2][0], 7)), (), (10,), (), COPY)


def test_indexed_add_many_duplicates():
    """Every value lands on one of two destinations (index_add_ with a repeated index)."""
    rng = np.random.default_rng(8)
    dst = (np.zeros(2, np.float64), 0, ((), (), ()), (rng.integers(0, 2, 64).astype(np.int64), 1, 0))
    src = (rng.integers(-8, 9, 64).astype(np.float64), 0, ((), (1,), ()), None)
    _run_indexed(dst, src, (), (64,), (), ADD)


def test_indexed_float16_arithmetic_refused():
    dst = (cuda.to_device(np.zeros(2, np.float16)), 0, ((), (), ()), (np.zeros(1, np.int64), 1, 0))
    src = (cuda.to_device(np.ones(1, np.float16)), 0, ((), (1,), ()), None)
    with pytest.raises(TypeError, match="float16"):
        gpu.indexed(dst, src, (), (1,), (), ADD)


# --------------------------------------------------------------------------- along_dim
def _along_case(rng, dtype, mode, gather):
    shape = _shape(rng, 1, 3)
    nd = len(shape)
    dim = int(rng.integers(0, nd))
    scatter_copy = not gather and mode == COPY
    size = shape[dim] + int(rng.integers(0, 2)) if scatter_copy else int(rng.integers(1, 4))
    size = max(size, 1)
    other_shape = tuple(size if d == dim else n + int(rng.integers(0, 2)) for d, n in enumerate(shape))
    if scatter_copy:  # distinct values along dim: no element is written twice
        full = np.argsort(rng.random(shape[:dim] + (size,) + shape[dim + 1:]), axis=dim)
        values = np.take(full, np.arange(shape[dim]), axis=dim).astype(np.int64)
    else:
        values = None
    if values is None:
        bshape = tuple(1 if rng.random() < 0.3 else n for n in shape)
        values = np.broadcast_to(rng.integers(0, size, bshape).astype(np.int64), shape)
    index, _ = _operand(rng, shape, np.int64, values=values)
    plain, _ = _operand(rng, shape, dtype, broadcast=not gather, kind=mode)
    other, _ = _operand(rng, other_shape, dtype, broadcast=gather or mode != COPY, kind=mode)
    return plain, index, other, shape, dim


def _run_along(plain, index, other, shape, dim, gather, mode):
    hp, hi, ho = (_host_copy(x) for x in (plain, index, other))
    cpu.along_dim(hp, hi, ho, shape, dim, gather, mode)
    dp, di, do = (_device(x) for x in (plain, index, other))
    gpu.along_dim(dp, di, do, shape, dim, gather, mode)
    for h, d in ((hp, dp), (hi, di), (ho, do)):
        _same(h[0], d[0])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("gather", [True, False], ids=["gather", "scatter"])
@pytest.mark.parametrize("dtype", COPY_DTYPES, ids=lambda d: np.dtype(d).name)
def test_along_dim_copy(dtype, gather, seed):
    rng = np.random.default_rng([seed, gather, np.dtype(dtype).num, 2])
    plain, index, other, shape, dim = _along_case(rng, dtype, COPY, gather)
    _run_along(plain, index, other, shape, dim, gather, COPY)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mode", [ADD, MUL], ids=["add", "mul"])
@pytest.mark.parametrize("dtype", ACC_DTYPES, ids=lambda d: np.dtype(d).name)
def test_along_dim_accumulate(dtype, mode, seed):
    rng = np.random.default_rng([seed, mode, np.dtype(dtype).num, 3])
    plain, index, other, shape, dim = _along_case(rng, dtype, mode, False)
    _run_along(plain, index, other, shape, dim, False, mode)


def test_along_dim_zero_dim():
    """A 0-d gather (shape (), no strides)."""
    plain = (np.zeros(1, np.float64), 0, ())
    index = (np.zeros(1, np.int64), 0, ())
    other = (np.array([3.5]), 0, ())
    _run_along(plain, index, other, (), 0, True, COPY)


# --------------------------------------------------------------------------- masks
def _mask_operand(rng, shape):
    dtype = np.bool_ if rng.random() < 0.6 else np.uint8
    density = rng.choice([0.0, 0.3, 0.7, 1.0])
    bshape = tuple(1 if rng.random() < 0.3 else n for n in shape)
    values = rng.random(bshape) < density
    if dtype == np.uint8:  # any nonzero byte selects
        values = np.where(values, rng.choice(np.array([1, 2, 255], np.uint8), bshape), 0).astype(np.uint8)
    return _operand(rng, shape, dtype, values=np.broadcast_to(values, shape))[0]


@pytest.fixture
def launch_shape(request, monkeypatch):
    """(threads per block, most blocks, TILE_ROWS): small enough that the shapes drawn span
    several compress tiles per block, and scan_counts several chunks."""
    threads, blocks, rows = request.param
    monkeypatch.setattr(runtime, "_threads", threads)
    monkeypatch.setattr(runtime, "_max_blocks", blocks)
    monkeypatch.setattr(gpu, "TILE_ROWS", rows)


def _run_compress(rng, dtype, shape):
    src, _ = _operand(rng, shape, dtype, broadcast=True)
    mask = _mask_operand(rng, shape)
    want = cpu.compress(_host_copy(src), _host_copy(mask), shape, np.dtype(dtype))
    ds, dm = _device(src), _device(mask)
    got = gpu.compress(ds, dm, shape, np.dtype(dtype))
    _same(want, got)
    _same(src[0], ds[0])


@pytest.mark.parametrize("launch_shape", [(2, 2, 2)], indirect=True)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", COPY_DTYPES, ids=lambda d: np.dtype(d).name)
def test_compress(dtype, seed, launch_shape):
    rng = np.random.default_rng([seed, np.dtype(dtype).num, 4])
    _run_compress(rng, dtype, _shape(rng, 0, 4))


@pytest.mark.parametrize("launch_shape", [(4, 2, 8), (1, 3, 2), (8, 3, 1), (2, 1, 1)], indirect=True,
                         ids=lambda p: "threads%d-blocks%d-rows%d" % p)
def test_compress_launch_shapes(launch_shape):
    """Tiles of 1 to 32 positions, 1 to 3 blocks, scans of 1 to 8 threads over 55 elements."""
    _run_compress(np.random.default_rng(5), np.int32, (5, 11))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", COPY_DTYPES, ids=lambda d: np.dtype(d).name)
def test_masked_fill(dtype, seed):
    rng = np.random.default_rng([seed, np.dtype(dtype).num, 5])
    shape = _shape(rng, 0, 3)
    dst, _ = _operand(rng, shape, dtype, broadcast=rng.random() < 0.3)  # torch fills expanded views
    mask = _mask_operand(rng, shape)
    value = _values(rng, dtype, 1)
    hd = _host_copy(dst)
    cpu.masked_fill(hd, mask, shape, value)
    dd = _device(dst)
    gpu.masked_fill(dd, _device(mask), shape, cuda.to_device(value))
    _same(hd[0], dd[0])


# --------------------------------------------------------------------------- the tables
def test_launcher_knows_the_plan_layout():
    assert (gpu._IX_HEAD, gpu._IX_SIDE) == (kernels.IX_HEAD, kernels.IX_SIDE)


def test_every_launch_has_a_listed_signature(recorded):
    """What the tests above launched (run last) is in SIGNATURES, which the PTX test compiles."""
    records = [json.loads(line) for line in recorded.read_text().splitlines()] if recorded.exists() else []
    listed = {(name, normalize_signature(sig)[0]) for name, sigs in gpu.SIGNATURES.items() for sig in sigs}
    launched = {(r["kernel"], ptx.numba_types(r["args"])) for r in records if r["module"] == gpu.KERNELS}
    assert launched <= listed, sorted(launched - listed, key=str)
    if len(launched) > 40:  # the whole module ran: every listed signature was used
        assert listed == launched, sorted(listed - launched, key=str)
