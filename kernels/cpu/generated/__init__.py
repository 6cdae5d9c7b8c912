"""GENERATED element-wise kernels: one module per op (see codegen.py)."""
