"""The public operations (element-wise, reductions); filled in by the op-table modules."""
__all__ = []
