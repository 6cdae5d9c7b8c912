"""The CPU backend (importing it registers it for device "cpu")."""
from nbtensor.backends.cpu.backend import CPUBackend  # noqa: F401
