"""The CUDA sort and scan primitives (nbtensor/backends/cuda/sort.py and scan.py, kernels in
kernels/cuda/sort.py and scan.py) against the CPU's, in Numba's CUDA simulator.

Run with ``NUMBA_ENABLE_CUDASIM=1`` (skipped otherwise). The oracle is the ops' own CPU
code (sort and the scans of CPU tensors), on small random rows full of ties, NaN (with other
payloads and signs), infinities, -0.0 and integer extremes. Sort values must match bit for
bit (they are read from the source at each index, on both sides), indices exactly; scans bit
for bit except logcumsumexp (the GPU's exp/log1p), NaN payloads, and the sign of a zero that
float16 cummax/cummin keep (see kernels/cuda/scan.py). Then the ops themselves run on cuda
tensors (their calls of these primitives counted: `gpu_primitives`), against the same ops on
the CPU. Every GPU thread is a Python thread here: sizes stay tiny.
"""
import os

import numpy as np
import pytest

if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
    pytest.skip("the CUDA kernels are tested in Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1)",
                allow_module_level=True)

import json  # noqa: E402

from numba import config, cuda  # noqa: E402
from numba.core.sigutils import normalize_signature  # noqa: E402

import nbtensor as nt  # noqa: E402
from nbtensor.backends.base import backend_for  # noqa: E402
from nbtensor.backends.cuda import launch, ptx  # noqa: E402
from nbtensor.backends.cuda import scan as gpu_scan  # noqa: E402
from nbtensor.backends.cuda import sort as gpu_sort  # noqa: E402

if not config.ENABLE_CUDASIM:  # numba was imported before the variable was set
    pytest.skip("numba.cuda is not the simulator in this process", allow_module_level=True)

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # wrapping integers, inf - inf

SIZES = [1, 2, 3, 5, 8, 13, 33]
DTYPES = [np.float32, np.float64, np.int64, np.int32, np.int8, np.uint8, np.bool_]
MORE_DTYPES = [np.float16, np.int16]  # what else the facade sends (fewer cases)
_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def _cpu_sort_rows(flat, rows, n, descending):
    """The oracle: nbtensor's own CPU sort of the rows (values, indices), flattened."""
    result = nt.sort(nt.from_numpy(flat.reshape(rows, n)), dim=-1, descending=descending, stable=True)
    return result.values.numpy().reshape(-1), result.indices.numpy().reshape(-1)


def _cpu_scan_rows(name, flat, outer, n, inner):
    """The oracle: nbtensor's own CPU scan `name` along the middle axis, flattened."""
    x = nt.from_numpy(flat.reshape(outer, n, inner))
    result = getattr(nt, name)(x, 1, dtype=x.dtype) if name in ("cumsum", "cumprod") else getattr(nt, name)(x, 1)
    if name in ("cummax", "cummin"):
        return tuple(np.ascontiguousarray(r.numpy()).reshape(-1) for r in result)
    return np.ascontiguousarray(result.numpy()).reshape(-1)


@pytest.fixture(scope="module", autouse=True)
def recorded(tmp_path_factory):
    """Every kernel signature this module's tests launch, recorded by `launch` (JSON lines)."""
    path = tmp_path_factory.mktemp("signatures") / "sort_scan.jsonl"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(launch, "_record_path", str(path))
        mp.setattr(launch, "_recorded", set())
        yield path


# --------------------------------------------------------------------------- operands
def _nans(dtype):
    """NaNs of `dtype` with other payloads and a set sign bit (the CPU keys every NaN alike)."""
    width = np.dtype(dtype).itemsize * 8
    quiet = {16: 0x7E00, 32: 0x7FC00000, 64: 0x7FF8000000000000}[width]
    sign = 1 << (width - 1)
    return np.array([quiet, quiet | 1, quiet | sign, quiet | sign | 5], _UINT[width // 8]).view(dtype)


def _values(rng, dtype, n, kind="sort"):
    """n random elements: a pool of duplicates and special values, mixed with random ones."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(n) < 0.5
    if dtype.kind == "f":
        if kind == "prod":
            pool = np.array([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 3.0, -0.0, 0.0, np.inf, np.nan], dtype)
            return rng.choice(pool, n)
        special = np.concatenate([np.array([np.inf, -np.inf, -0.0, 0.0, 1.0, -1.0, np.finfo(dtype).max,
                                            -np.finfo(dtype).tiny], dtype), _nans(dtype)])
        pool = np.concatenate([special, rng.integers(-3, 4, 8).astype(dtype)])
        a = rng.choice(pool, n)
        fresh = rng.random(n) < 0.3
        a[fresh] = (rng.standard_normal(fresh.sum()) * 4).astype(dtype)
        return a
    info = np.iinfo(dtype)
    pool = np.array([v for v in (info.min, info.min + 1, -1, 0, 1, 2, info.max - 1, info.max) if info.min <= v],
                    dtype)
    a = rng.choice(pool, n)
    fresh = rng.random(n) < 0.4
    a[fresh] = rng.integers(info.min, info.max, fresh.sum(), endpoint=True, dtype=dtype)
    return a


def _bits(a):
    a = np.ascontiguousarray(a)
    return a.view(_UINT[a.dtype.itemsize]) if a.dtype != np.bool_ else a


def _to_gpu(a, pad=0):
    """A device storage holding `a` flattened, followed by `pad` junk elements (the
    primitives read only the start of a storage)."""
    flat = np.ascontiguousarray(a).reshape(-1)
    return cuda.to_device(np.concatenate([flat, flat[:1].repeat(pad)]) if pad and flat.size else flat)


# --------------------------------------------------------------------------- sort_rows
def _check_sort(a, descending, pad=0):
    rows, n = a.shape
    values, indices = gpu_sort.sort_rows(_to_gpu(a, pad), rows, n, descending)
    ev, ei = _cpu_sort_rows(np.ascontiguousarray(a).reshape(-1), rows, n, descending)
    assert values.dtype == a.dtype and indices.dtype == np.int64
    assert values.shape == indices.shape == (rows * n,)
    got_i = indices.copy_to_host()
    np.testing.assert_array_equal(got_i, ei)
    np.testing.assert_array_equal(_bits(values.copy_to_host()), _bits(ev))
    # the order is torch's (stable, NaN largest): check it against NumPy's stable lexsort too
    got = values.copy_to_host().reshape(rows, n)
    np.testing.assert_array_equal(_bits(np.take_along_axis(a, got_i.reshape(rows, n), 1)), _bits(got))
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        value = np.where(nan, 0, a)
        keys = (-value, ~nan) if descending else (value, nan)  # the last key is the primary one
    else:
        keys = (~a if descending else a,)  # ~ reverses every integer order without overflow
    np.testing.assert_array_equal(got_i.reshape(rows, n), np.lexsort(keys, axis=-1))


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_sort_rows(dtype, n, descending):
    rng = np.random.default_rng([n, len(np.dtype(dtype).name), descending])
    rows = int(rng.integers(1, 5))
    a = _values(rng, dtype, rows * n).reshape(rows, n)
    _check_sort(a, descending, pad=int(rng.integers(0, 3)))


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("dtype", MORE_DTYPES, ids=lambda d: np.dtype(d).name)
def test_sort_rows_float16_int16(dtype, descending):
    rng = np.random.default_rng(7)
    for rows, n in ((3, 13), (1, 33), (2, 1)):
        _check_sort(_values(rng, dtype, rows * n).reshape(rows, n), descending)


def test_sort_rows_all_equal_and_sorted_runs():
    """Every element equal (stability alone decides), already sorted and reversed rows."""
    a = np.array([[5.0] * 13, list(range(13)), list(range(12, -1, -1))], np.float64)
    for descending in (False, True):
        _check_sort(a, descending)
    _check_sort(np.full((2, 33), np.nan, np.float32), True)


def test_sort_rows_empty():
    for rows, n in ((0, 5), (3, 0), (0, 0)):
        values, indices = gpu_sort.sort_rows(cuda.device_array(0, np.float32), rows, n, False)
        assert values.shape == indices.shape == (0,) and indices.dtype == np.int64


# --------------------------------------------------------------------------- scan_rows
SCANS = ["cumsum", "cumprod", "logcumsumexp", "cummax", "cummin"]


def _scan_dtypes(name):
    if name == "logcumsumexp":
        return [np.float32, np.float64]
    if name in ("cumsum", "cumprod"):  # bool is cast to int64 by the facade
        return [d for d in DTYPES if d is not np.bool_] + [np.int16]
    return DTYPES + [np.int16]


def _check_scan(name, a, outer, n, inner, pad=0, chunked=False):
    """scan_rows against the CPU's scan; `chunked`: lines are cut into chunks (then float
    sums and products may round as chunked sums do)."""
    assert (gpu_scan.chunk_length(outer * inner, n) < n) == chunked or n == 1
    got = gpu_scan.scan_rows(name, _to_gpu(a, pad), outer, n, inner)
    expected = _cpu_scan_rows(name, np.ascontiguousarray(a).reshape(-1), outer, n, inner)
    if name in ("cummax", "cummin"):
        (got, got_i), (expected, expected_i) = got, expected
        assert got_i.dtype == np.int64
        np.testing.assert_array_equal(got_i.copy_to_host(), expected_i)
    assert got.dtype == a.dtype and got.shape == (outer * n * inner,)
    values = got.copy_to_host()
    if name == "logcumsumexp" or chunked and a.dtype.kind == "f" and name in ("cumsum", "cumprod"):
        np.testing.assert_allclose(values, expected, rtol=1e-12 if a.dtype == np.float64 else 1e-6,
                                   atol=0, equal_nan=True)
        np.testing.assert_array_equal(np.isnan(values), np.isnan(expected))
    elif a.dtype == np.float16 and name in ("cummax", "cummin"):
        np.testing.assert_array_equal(values, expected)  # -0.0 == 0.0 (see the module doc)
    elif a.dtype.kind == "f":
        # bit for bit but for NaN payloads: arithmetic makes its own NaNs (a GPU its canonical
        # one), and a running max/min that is NaN holds the latest NaN here, the first on the CPU
        nan = np.isnan(expected)
        np.testing.assert_array_equal(np.isnan(values), nan)
        np.testing.assert_array_equal(_bits(values)[~nan], _bits(expected)[~nan])
    else:
        np.testing.assert_array_equal(_bits(values), _bits(expected))


@pytest.fixture(params=[False, True], ids=["whole", "chunked"])
def chunked(request, monkeypatch):
    """Whether lines are cut into chunks: with chunks of at least 2 elements, the
    simulator's 8 threads cut every line of fewer lines than that."""
    monkeypatch.setattr(gpu_scan, "MIN_CHUNK", 2 if request.param else 1 << 40)
    return request.param


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name", SCANS)
def test_scan_rows(name, n, chunked):
    rng = np.random.default_rng([n, len(name), chunked])
    for dtype in _scan_dtypes(name):
        outer, inner = (int(v) for v in rng.integers(1, 4, 2))
        if chunked:
            outer, inner = (1, 1) if dtype == np.float32 else (outer, 1) if dtype == np.int64 else (1, inner)
        a = _values(rng, dtype, outer * n * inner, "prod" if name == "cumprod" else "sum")
        _check_scan(name, a, outer, n, inner, pad=int(rng.integers(0, 3)),
                    chunked=chunked and n > 2 and outer * inner < 8)


@pytest.mark.parametrize("name", SCANS)
def test_scan_rows_float16(name, chunked):
    rng = np.random.default_rng(len(name))
    for outer, n, inner in ((2, 13, 1), (1, 5, 3), (1, 1, 1)):
        a = _values(rng, np.float16, outer * n * inner, "prod" if name == "cumprod" else "sum")
        _check_scan(name, a, outer, n, inner, chunked=chunked)


def test_scan_rows_long_line_chunks():
    """A line of 1000 elements, cut into chunks of 125 by the default rule (8 threads)."""
    rng = np.random.default_rng(5)
    assert gpu_scan.chunk_length(1, 1000) == 125
    _check_scan("cumsum", rng.integers(-100, 100, 1000).astype(np.float32), 1, 1000, 1, chunked=True)
    _check_scan("cummin", rng.integers(-100, 100, 1000).astype(np.int16), 1, 1000, 1, chunked=True)
    _check_scan("cumprod", rng.choice(np.array([-1, 1, 3], np.int64), 1000), 1, 1000, 1, chunked=True)


def test_scan_rows_integer_wrap_and_float_accumulator():
    """int8 sums/products wrap in int8; float32 sums run in float64 (1e8 + 1 - 1e8 is 1)."""
    _check_scan("cumsum", np.array([100, 100, 100, -128, -128], np.int8), 1, 5, 1)
    _check_scan("cumprod", np.array([7, 7, 7, 7, 7], np.int8), 1, 5, 1)
    _check_scan("cumprod", np.array([3] * 41, np.int64), 1, 41, 1)
    a = np.array([1e8, 1.0, -1e8, -0.0], np.float32)
    got = gpu_scan.scan_rows("cumsum", _to_gpu(a), 1, 4, 1).copy_to_host()
    np.testing.assert_array_equal(got, [1e8, 1e8, 1.0, 1.0])
    got = gpu_scan.scan_rows("cumsum", _to_gpu(np.array([-0.0, -0.0], np.float64)), 1, 2, 1).copy_to_host()
    assert not np.signbit(got).any()  # the running sum starts at +0, as torch's
    _check_scan("cumsum", np.array([-0.0, -0.0, 1.0], np.float32), 1, 3, 1)


def test_cummax_ties_nan_and_signed_zeros():
    a = np.array([1.0, 3.0, 3.0, -0.0, np.nan, 5.0, np.nan, 2.0], np.float64)
    values, indices = gpu_scan.scan_rows("cummax", _to_gpu(a), 1, 8, 1)
    np.testing.assert_array_equal(indices.copy_to_host(), [0, 1, 2, 2, 4, 4, 6, 6])
    values, indices = gpu_scan.scan_rows("cummin", _to_gpu(np.array([0.0, -0.0, 0.0, -1.0], np.float32)), 1, 4, 1)
    np.testing.assert_array_equal(indices.copy_to_host(), [0, 1, 2, 3])
    np.testing.assert_array_equal(np.signbit(values.copy_to_host()), [False, True, False, True])  # torch's


def test_scan_rows_empty():
    for outer, n, inner in ((0, 3, 2), (2, 0, 3), (2, 3, 0)):
        src = cuda.device_array(0, np.float32)
        assert gpu_scan.scan_rows("cumsum", src, outer, n, inner).shape == (0,)
        values, indices = gpu_scan.scan_rows("cummin", src, outer, n, inner)
        assert values.shape == indices.shape == (0,)


# --------------------------------------------------------------------------- through the ops
@pytest.fixture
def gpu_primitives():
    """The registered CUDA backend's calls of these primitives, counted (restored afterwards)."""
    nt.zeros(1, device="cuda")  # starts the backend
    backend = backend_for(nt.device("cuda"))
    calls = []
    saved = {k: backend.__dict__[k] for k in ("sort_rows", "scan_rows") if k in backend.__dict__}

    def sort_rows(*args):
        calls.append("sort_rows")
        return gpu_sort.sort_rows(*args)

    def scan_rows(*args):
        calls.append(args[0])
        return gpu_scan.scan_rows(*args)

    backend.sort_rows, backend.scan_rows = sort_rows, scan_rows
    yield calls
    for k in ("sort_rows", "scan_rows"):
        backend.__dict__.pop(k, None)
    backend.__dict__.update(saved)


def _same(got, expected):
    """Same shape, dtype, device kind, strides and values (NaN equal) as the CPU's."""
    assert got.device.type == "cuda"
    assert got.dtype == expected.dtype and tuple(got.shape) == tuple(expected.shape)
    assert got.stride() == expected.stride()
    g, e = got.cpu().numpy(), expected.numpy()
    if g.dtype.kind == "f":
        np.testing.assert_array_equal(np.isnan(g), np.isnan(e))
        np.testing.assert_allclose(np.nan_to_num(g), np.nan_to_num(e), rtol=1e-12 if g.dtype == np.float64 else 1e-6)
    else:
        np.testing.assert_array_equal(g, e)


def _both(a, transform=None):
    """The CPU tensor of `a` and a cuda copy, each through `transform` (views)."""
    cpu = nt.tensor(a, device="cpu")  # (the suite may run with cuda as the default device)
    gpu = cpu.to("cuda")
    if transform is not None:
        cpu, gpu = transform(cpu), transform(gpu)
    return cpu, gpu


def test_sort_ops_on_cuda(gpu_primitives):
    rng = np.random.default_rng(11)
    a = _values(rng, np.float32, 60).reshape(3, 4, 5)
    for transform in (None, lambda t: t.permute(2, 0, 1), lambda t: t[1:, :, 1:]):
        cpu, gpu = _both(a, transform)
        for dim in (0, 1, -1):
            for descending in (False, True):
                for g, e in zip(nt.sort(gpu, dim, descending), nt.sort(cpu, dim, descending)):
                    _same(g, e)
            _same(nt.argsort(gpu, dim, descending=True), nt.argsort(cpu, dim, descending=True))
            for k in (1, 2):
                for largest in (True, False):
                    for g, e in zip(nt.topk(gpu, k, dim, largest), nt.topk(cpu, k, dim, largest)):
                        _same(g, e)
            for keepdim in (False, True):
                for g, e in zip(nt.kthvalue(gpu, 2, dim, keepdim), nt.kthvalue(cpu, 2, dim, keepdim)):
                    _same(g, e)
    _same(nt.msort(gpu), nt.msort(cpu))
    ints = _values(rng, np.int8, 12).reshape(3, 4)
    cpu, gpu = _both(ints)
    for g, e in zip(nt.sort(gpu, 0, True), nt.sort(cpu, 0, True)):
        _same(g, e)
    cpu, gpu = _both(np.array(2.5, np.float64))  # 0-d
    for g, e in zip(nt.sort(gpu), nt.sort(cpu)):
        _same(g, e)
    cpu, gpu = _both(np.zeros((2, 0), np.float32))
    for g, e in zip(nt.sort(gpu), nt.sort(cpu)):
        _same(g, e)
    assert "sort_rows" in gpu_primitives


def test_sort_out_on_cuda(gpu_primitives):
    cpu, gpu = _both(np.array([[3, 1, 2], [0, 0, -1]], np.int64))
    out = (nt.empty(0, device="cuda", dtype=nt.int64), nt.empty(0, device="cuda", dtype=nt.int64))
    result = nt.sort(gpu, out=out)
    assert result.values is out[0] and result.indices is out[1]
    _same(out[0], nt.sort(cpu).values)


def test_scan_ops_on_cuda(gpu_primitives):
    rng = np.random.default_rng(12)
    a = _values(rng, np.float32, 60).reshape(3, 4, 5)
    for transform in (None, lambda t: t.permute(2, 0, 1), lambda t: t[1:, :, 1:]):
        cpu, gpu = _both(a, transform)
        for dim in (0, 1, 2, -1):
            _same(nt.cumsum(gpu, dim), nt.cumsum(cpu, dim))
            _same(nt.cumsum(gpu, dim, dtype=nt.float64), nt.cumsum(cpu, dim, dtype=nt.float64))
            _same(nt.cumprod(gpu, dim), nt.cumprod(cpu, dim))
            _same(nt.logcumsumexp(gpu, dim), nt.logcumsumexp(cpu, dim))
            for op in (nt.cummax, nt.cummin):
                for g, e in zip(op(gpu, dim), op(cpu, dim)):
                    _same(g, e)
    ints = _values(rng, np.int8, 12).reshape(3, 4)
    cpu, gpu = _both(ints)
    _same(nt.cumsum(gpu, 1), nt.cumsum(cpu, 1))  # int64
    _same(nt.cumprod(gpu, 0, dtype=nt.int8), nt.cumprod(cpu, 0, dtype=nt.int8))  # wraps in int8
    cpu, gpu = _both(rng.random((2, 3)) < 0.5)
    _same(nt.cumsum(gpu, 1), nt.cumsum(cpu, 1))
    for g, e in zip(nt.cummax(gpu, 0), nt.cummax(cpu, 0)):
        _same(g, e)
    cpu, gpu = _both(np.array(-0.0, np.float32))  # 0-d: a copy (the sign of the zero stays)
    assert np.signbit(nt.cumsum(gpu, 0).cpu().numpy()) and np.signbit(nt.cumsum(cpu, 0).numpy())
    for g, e in zip(nt.cummin(gpu, 0), nt.cummin(cpu, 0)):
        _same(g, e)
    _same(nt.logcumsumexp(gpu, -1), nt.logcumsumexp(cpu, -1))
    cpu, gpu = _both(np.zeros((0, 3), np.float32))
    _same(nt.cumsum(gpu, 1), nt.cumsum(cpu, 1))
    cpu, gpu = _both(np.array([1.0, 2.0, 3.0], np.float16))
    _same(nt.cumsum(gpu, 0), nt.cumsum(cpu, 0))
    out = nt.empty(0, device="cuda")
    assert nt.cumsum(gpu, 0, out=out) is out
    assert {"cumsum", "cumprod", "logcumsumexp", "cummax", "cummin"} <= set(gpu_primitives)


# --------------------------------------------------------------------------- the tables
@pytest.mark.parametrize("module", [gpu_sort, gpu_scan], ids=["sort", "scan"])
def test_every_launch_has_a_listed_signature(recorded, module):
    """What the tests above launched (run last) is in SIGNATURES, which the PTX test compiles."""
    records = [json.loads(line) for line in recorded.read_text().splitlines()] if recorded.exists() else []
    listed = {(name, normalize_signature(sig)[0]) for name, sigs in module.SIGNATURES.items() for sig in sigs}
    launched = {(r["kernel"], ptx.numba_types(r["args"])) for r in records if r["module"] == module.KERNELS}
    assert launched <= listed, sorted(launched - listed, key=str)
    if len(launched) > 20:  # the whole module ran: every listed signature was used
        assert listed == launched, sorted(listed - launched, key=str)
