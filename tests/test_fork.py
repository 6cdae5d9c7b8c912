"""Ops work in worker processes (data loaders fork them) after the parent ran parallel
kernels and the gather thread pool.

Each scenario runs in a subprocess with a timeout, so a killed or hung worker fails the
test instead of hanging the run."""
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.cpu_only  # processes and the kernel cache: the CPU backend's own

SCENARIO = textwrap.dedent("""
    import multiprocessing
    import sys

    import numpy as np

    import nbtensor as torch
    from nbtensor.backends import host
    from nbtensor.backends.cpu import tuning

    N = 4 * tuning.PARALLEL_THRESHOLD  # large enough for the parallel kernels and the pool


    def work(seed):
        rng = np.random.default_rng(seed)
        a = rng.standard_normal(N).astype(np.float32)
        b = rng.standard_normal(N).astype(np.float32)
        idx = rng.integers(0, N, N)
        t, u = torch.from_numpy(a), torch.from_numpy(b)
        got = {
            "add": (t + u).cpu().numpy(),
            "rowsum": (t * u).reshape(512, -1).sum(1).cpu().numpy(),
            "amax": t.reshape(-1, 512).amax(1).cpu().numpy(),
            "gather": t[torch.from_numpy(idx)].cpu().numpy(),
            "sort": torch.sort(t).values.cpu().numpy(),
        }
        expected = {
            "add": a + b,
            "rowsum": (a * b).reshape(512, -1).astype(np.float64).sum(1).astype(np.float32),
            "amax": a.reshape(-1, 512).max(1),
            "gather": a[idx],
            "sort": np.sort(a),
        }
        for name, value in expected.items():  # exact, but for the order of a sum
            if name == "rowsum":
                np.testing.assert_allclose(got[name], value, rtol=1e-5, atol=1e-4, err_msg=name)
            else:
                np.testing.assert_array_equal(got[name], value, err_msg=name)
        return float(got["add"].sum())


    if __name__ == "__main__":
        work(0)
        import numba
        numba.threading_layer()  # raises unless parallel kernels ran in this process
        assert host._pool is not None and host._pool[1] is not None
        with multiprocessing.get_context(sys.argv[1]).Pool(2) as pool:
            sums = pool.map_async(work, [1, 2, 3, 4]).get(timeout=150)
        assert len(sums) == 4
        print("ok")
""")


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_workers_run_large_ops_after_the_parent_ran_parallel_kernels(tmp_path, method):
    script = tmp_path / "scenario.py"  # a file, so that spawned workers can import `work`
    script.write_text(SCENARIO)
    out = subprocess.run([sys.executable, str(script), method], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "ok"


def test_forked_child_of_a_parent_that_never_ran_parallel_kernels_keeps_them(tmp_path):
    """The switch to serial kernels happens only when the parent launched a threading layer."""
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent("""
        import os
        import nbtensor as torch
        from nbtensor.backends.cpu import tuning

        pid = os.fork()
        if pid == 0:
            ok = tuning.PARALLEL_THRESHOLD < tuning.SERIAL and float((torch.ones(10**6) * 2).sum()) == 2e6
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "0"


def test_forked_child_makes_its_own_gather_thread_pool(tmp_path):
    """The parent's pool threads do not exist in a child: work sent to them would wait forever."""
    script = tmp_path / "pool.py"
    script.write_text(textwrap.dedent("""
        import os, signal
        from nbtensor.backends import host

        ranges = [(0, 1), (1, 2), (2, 3)]
        assert host.run_split(ranges, lambda lo, hi: lo) == [0, 1, 2]  # parent's pool
        pid = os.fork()
        if pid == 0:
            signal.alarm(60)  # a hang kills the child
            os._exit(0 if host.run_split(ranges, lambda lo, hi: lo) == [0, 1, 2] else 1)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "0"
