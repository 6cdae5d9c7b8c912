"""Block sizes shared by the caching allocators (the GPU's in `backends.cuda.allocator`, the
CPU's in `backends.cpu.allocator`): a request is rounded up to the block that holds it, so
requests of nearly one size share blocks while a block wastes little of its bytes."""

__all__ = ["block_size"]

_SMALL = 1 << 20  # below: 512-byte steps; above: four sizes per power of two


def block_size(nbytes):
    """The size of the block that holds `nbytes` (at least 512 bytes): a multiple of 512 up
    to 1 MiB, above that one of four sizes per power of two (under 25% spare)."""
    if nbytes <= _SMALL:
        return max(512, (nbytes + 511) // 512 * 512)
    step = 1 << (nbytes.bit_length() - 3)  # a quarter of the power of two below
    return (nbytes + step - 1) // step * step
