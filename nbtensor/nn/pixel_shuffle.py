"""pixel_shuffle and pixel_unshuffle: channels traded for space and back, by reshape and
permute (so they run on every device and autograd goes through them)."""
import operator


def _check(name, input, factor, role):
    if isinstance(factor, bool) or not isinstance(factor, int):
        try:
            factor = operator.index(factor)
        except TypeError:
            raise TypeError(f"{name}(): argument '{role}' (position 2) must be int, not "
                            f"{type(factor).__name__}") from None
    if input.dim() < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {role}, but got {factor}")
    return factor


def pixel_shuffle(input, upscale_factor):
    """(*, C r², H, W) -> (*, C, H r, W r), r = `upscale_factor`: each group of r² channels
    becomes an r x r block of pixels."""
    r = _check("pixel_shuffle", input, upscale_factor, "upscale_factor")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
                           f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    n = len(lead)
    blocks = input.reshape(*lead, c // (r * r), r, r, h, w)
    order = list(range(n)) + [n, n + 3, n + 1, n + 4, n + 2]
    return blocks.permute(*order).reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r², H, W), r = `downscale_factor`: pixel_shuffle's inverse."""
    r = _check("pixel_unshuffle", input, downscale_factor, "downscale_factor")
    *lead, c, h, w = input.shape
    for size, side, dim in ((h, "height", -2), (w, "width", -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {side} to be divisible by downscale_factor, but "
                               f"input.size({dim})={size} is not divisible by {r}")
    n = len(lead)
    blocks = input.reshape(*lead, c, h // r, r, w // r, r)
    order = list(range(n)) + [n, n + 2, n + 4, n + 1, n + 3]
    return blocks.permute(*order).reshape(*lead, c * r * r, h // r, w // r)
