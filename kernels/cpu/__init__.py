"""CPU kernels (``@njit``)."""
