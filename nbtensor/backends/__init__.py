"""Backends: the primitives each device implements (`base.Backend`), the registry that picks
one per device, and the host helpers. Importing this package registers the CPU backend
and the CUDA backend's placement check."""
from nbtensor.backends import cpu, cuda  # noqa: F401  (each registers itself)
from nbtensor.backends.base import Backend, backend_for, device_of, register  # noqa: F401
