#!/usr/bin/env bash
# The CUDA backend on a real GPU, in one short step:
#   0. the D2L linear regression example (chapter 3.2) on device 'cuda', as a user runs it;
#   1. the device-parametrised suite on device 'cuda' (NBTENSOR_TEST_DEVICE=cuda), plus the
#      CUDA tests of tests/cuda/, spread over the machine's cores with pytest-xdist when it
#      is installed (each worker compiles the kernels its modules launch: on one core the
#      compiling, not the GPU, is what takes the time);
#   2. benchmarks/compare_gpu.py: nbtensor next to CuPy and PyTorch, and the copy bandwidth.
# Every kernel the suite launches is compiled for this GPU by running it, so the PTX check CI
# runs without a GPU (python -m nbtensor.backends.cuda.ptx) is not repeated here.
# Usage: tests/gpu/run.sh [pytest args...]. Needs numba-cuda and a GPU; CuPy and PyTorch are
# optional. Where hypothesis or pytest-xdist is missing and cannot be installed (a machine
# without a network: put the wheels in .gpu-wheels/ first, e.g.
# `pip download hypothesis pytest-xdist -d .gpu-wheels`), the property-test modules are left
# out, or the suite runs in one process.
# Time limits (seconds): GPU_SUITE_TIMEOUT (default 420) and GPU_BENCH_TIMEOUT (default 240);
# the suite is interrupted (SIGINT) at its limit, so pytest still prints what failed so far.
set -uo pipefail
cd "$(dirname "$0")/../.."
status=0

python -c "import nbtensor.kernels" 2>/dev/null ||
    python -m pip install -q --no-deps --no-build-isolation -e . ||
    { echo "could not install nbtensor"; exit 2; }
for module in hypothesis xdist; do
    python -c "import $module" 2>/dev/null ||
        python -m pip install -q --no-index --find-links .gpu-wheels "${module/xdist/pytest-xdist}" 2>/dev/null
done
ignore=()
if ! python -c "import hypothesis" 2>/dev/null; then
    echo "hypothesis is not installed: leaving out the modules that need it"
    for f in $(grep -l "^from hypothesis\|^import hypothesis" tests/*.py); do ignore+=(--ignore="$f"); done
fi
workers=()
if python -c "import xdist" 2>/dev/null; then
    n=$(nproc); ((n > 12)) && n=12
    ((n > 1)) && workers=(-n "$n" --dist loadfile)
fi

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null
python - <<'PY'
import numba, numba.cuda, numpy, nbtensor
print(f"numba {numba.__version__}, numba-cuda {getattr(numba.cuda, '__version__', '?')}, numpy {numpy.__version__}")
print("nbtensor.cuda.is_available():", nbtensor.cuda.is_available(), "-", nbtensor.cuda.get_device_name())
PY

start=$SECONDS
timeout 120 python -m nbtensor.examples.linear_regression --device cuda --epochs 3 || status=1
echo "linear regression example: $((SECONDS - start)) s"

start=$SECONDS
echo "device suite: ${workers[*]:-one process}"
NBTENSOR_TEST_DEVICE=cuda timeout -s INT -k 30 "${GPU_SUITE_TIMEOUT:-420}" python -m pytest -q \
    -p no:cacheprovider -W ignore::RuntimeWarning --ignore=tests/fuzz "${workers[@]}" "${ignore[@]}" \
    "$@" tests || status=1
echo "device suite: $((SECONDS - start)) s"
timeout "${GPU_BENCH_TIMEOUT:-240}" python benchmarks/compare_gpu.py --repeat 5 || status=1
exit $status
