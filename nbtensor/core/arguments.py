"""torch's TypeError for a call that matches none of a function's overloads, worded as its
argument parser words it."""

__all__ = ["type_name", "invalid_combination"]


def type_name(value):
    """The name torch's parser gives the type of `value`: ``Tensor``, ``torch.dtype``,
    ``torch.memory_format``, ``int``, ``str``, ..."""
    cls = type(value)
    if cls.__module__ == "nbtensor" and cls.__name__ != "Tensor":
        return f"torch.{cls.__name__}"
    return cls.__name__


def invalid_combination(name, args, kwargs, signatures):
    """torch's message for ``name(*args, **kwargs)`` matching none of `signatures` (its
    overloads, a `` * (...)`` line each). torch's parser lists the keywords last given
    first, and after a lone ``", "`` when no positional argument was given."""
    positional = [type_name(a) for a in args]
    keywords = [f"{key}={type_name(value)}" for key, value in reversed(kwargs.items())]
    got = ", ".join(positional + keywords) if positional else "".join(k + ", " for k in keywords)
    lines = "".join(f" * {signature}\n" for signature in signatures)
    return f"{name}() received an invalid combination of arguments - got ({got}), but expected one of:\n{lines}"
