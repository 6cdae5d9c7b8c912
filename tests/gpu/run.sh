#!/usr/bin/env bash
# The CUDA backend on a real GPU, in one short step (under 5 minutes on an H200):
#   1. the device-parametrised suite on device 'cuda' (NBTENSOR_TEST_DEVICE=cuda), recording
#      every kernel signature it launches, plus the CUDA tests of tests/cuda/;
#   2. those signatures compiled to PTX for sm_90 (what CI does without a GPU);
#   3. benchmarks/compare_gpu.py: nbtensor next to CuPy and PyTorch, and the copy bandwidth.
# Usage: tests/gpu/run.sh [pytest args...]. Needs numba-cuda and a GPU; CuPy and PyTorch
# are optional. Where hypothesis is missing and cannot be installed (a machine without a
# network: put its wheels in .gpu-wheels/, `pip download hypothesis -d .gpu-wheels`), the
# property-test modules are left out.
set -uo pipefail
cd "$(dirname "$0")/../.."
status=0

python -c "import nbtensor.kernels" 2>/dev/null ||
    python -m pip install -q --no-deps --no-build-isolation -e . ||
    { echo "could not install nbtensor"; exit 2; }
python -c "import hypothesis" 2>/dev/null ||
    python -m pip install -q --no-index --find-links .gpu-wheels hypothesis 2>/dev/null
ignore=()
if ! python -c "import hypothesis" 2>/dev/null; then
    echo "hypothesis is not installed: leaving out the modules that need it"
    for f in $(grep -l "^from hypothesis\|^import hypothesis" tests/*.py); do ignore+=(--ignore="$f"); done
fi

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null
python - <<'EOF'
import numba, numba.cuda, numpy, nbtensor
print(f"numba {numba.__version__}, numba-cuda {getattr(numba.cuda, '__version__', '?')}, numpy {numpy.__version__}")
print("nbtensor.cuda.is_available():", nbtensor.cuda.is_available(), "-", nbtensor.cuda.get_device_name())
EOF

sigs="$(mktemp)"
start=$SECONDS
NBTENSOR_TEST_DEVICE=cuda NBTENSOR_CUDA_SIGNATURES="$sigs" timeout 420 python -m pytest -q -p no:cacheprovider \
    -W ignore::RuntimeWarning --ignore=tests/fuzz "${ignore[@]}" "$@" tests || status=1
echo "device suite: $((SECONDS - start)) s"
python -m nbtensor.backends.cuda.ptx "$sigs" || status=1
timeout 240 python benchmarks/compare_gpu.py --repeat 5 || status=1
exit $status
