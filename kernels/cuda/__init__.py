"""CUDA kernels (numba-cuda): imported only by the CUDA backend."""
