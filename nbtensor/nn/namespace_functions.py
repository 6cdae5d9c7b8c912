"""The functions torch's namespace shares with ``torch.nn.functional`` (``torch.conv2d``,
``torch.dropout(x, p, train)``, ``torch.layer_norm``, ...), looked up by ``nbtensor``'s module
``__getattr__`` on first use (``nbtensor.nn`` is imported only when needed; the names are
listed there).

Most are ``nn.functional``'s own functions: torch's namespace form takes the same leading
arguments. The dropouts differ: torch's namespace names the switch ``train`` and requires it.
"""
from nbtensor.nn import functional as F


def _dropout_form(fn, inplace):
    def form(input, p, train):
        return fn(input, p, train, inplace)
    form.__name__ = fn.__name__ + ("_" if inplace else "")
    form.__doc__ = (f"``torch.{form.__name__}(input, p, train)``: ``nn.functional.{fn.__name__}`` "
                    f"(inplace={inplace}).")
    return form


DROPOUTS = {form.__name__: form for fn in (F.dropout, F.alpha_dropout, F.feature_alpha_dropout)
            for form in (_dropout_form(fn, False), _dropout_form(fn, True))}


def lookup(name):
    """``torch.<name>``: a dropout's namespace form, else ``nn.functional.<name>``."""
    return DROPOUTS[name] if name in DROPOUTS else getattr(F, name)
