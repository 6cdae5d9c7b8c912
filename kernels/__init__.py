"""nbtensor.kernels: compiled code only.

Kernels never see a Tensor: they take flat 1-D buffers, element offsets, shape/stride
arrays (in elements) and scalars. All validation happens in the facade before a kernel runs.
Importing this package compiles nothing; kernels compile (or load from the disk cache) on
first call.
"""
