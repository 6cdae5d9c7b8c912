"""numba's OpenMP runtime gets a short spin (GOMP_SPINCOUNT) without the setting leaking into
the environment: torch's own libgomp, loaded before or after, and child processes keep their
default. libgomp prints the values it read when OMP_DISPLAY_ENV=VERBOSE."""
import os
import re
import subprocess
import sys
import textwrap

import pytest

from nbtensor.backends.cpu import tuning

pytestmark = pytest.mark.cpu_only  # numba's threading layer: the CPU backend's own

SCRIPT = textwrap.dedent("""
    import os
    import numba
    import nbtensor
    {after}
    before = os.environ.get("GOMP_SPINCOUNT")
    numba.get_num_threads()  # launches the threading layer
    print("LAYER", numba.threading_layer())
    print("ENV", before, os.environ.get("GOMP_SPINCOUNT"))
""")


def run(extra_env, after=""):
    env = {k: v for k, v in os.environ.items() if k != "GOMP_SPINCOUNT"}
    env.update(extra_env, OMP_DISPLAY_ENV="VERBOSE")
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(after=after)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout + done.stderr
    layer = re.search(r"LAYER (\w+)", out).group(1)
    if layer != "omp":
        pytest.skip(f"numba's threading layer here is {layer}, not GNU OpenMP")
    spins = re.findall(r"GOMP_SPINCOUNT = '(\d+)'", out)
    return spins, re.search(r"ENV (\S+) (\S+)", out).groups()


def test_numbas_openmp_spins_briefly_and_the_environment_stays_clean():
    spins, env = run({})
    assert spins == [tuning.SPIN_COUNT]  # the one libgomp loaded, numba's
    assert env == ("None", "None")


def test_a_spin_count_the_user_set_is_kept():
    spins, env = run({"GOMP_SPINCOUNT": "12345"})
    assert spins == ["12345"]
    assert env == ("12345", "12345")


def test_torch_imported_after_nbtensor_keeps_its_own_default():
    pytest.importorskip("torch")
    spins, env = run({}, after="import torch")
    assert len(spins) == 2  # torch's libgomp, loaded on import, then numba's
    assert spins[0] != tuning.SPIN_COUNT and spins[1] == tuning.SPIN_COUNT
    assert env == ("None", "None")
