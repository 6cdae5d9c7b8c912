"""The D2L 2.2 walkthrough example runs and prints what torch would."""
import subprocess
import sys


def test_walkthrough_runs_and_shows_sharing_semantics():
    out = subprocess.run([sys.executable, "-m", "nbtensor.examples.walkthrough"],
                         capture_output=True, text=True, check=True).stdout
    assert "tensor([5.5000, 3.0000])" in out
    assert "nbtensor.Size([5, 3])" in out
    # broadcasting (1, 2) + (3, 1)
    assert "tensor([[2, 3],\n        [3, 4],\n        [4, 5]])" in out
    # id checks of 2.2.4: new tensor, then two writes into existing memory
    assert "False\nTrue\nTrue\n" in out
    # numpy() and from_numpy share memory; tensor() copies
    assert "tensor([3., 3., 3., 3., 3.]) [3. 3. 3. 3. 3.]" in out
    assert "[4. 4. 4. 4. 4.] tensor([3., 3., 3., 3., 3.], dtype=nbtensor.float64)" in out
