"""The functions torch's namespace shares with ``torch.nn.functional`` (``torch.conv2d``,
``torch.dropout(x, p, train)``, ``torch.layer_norm``, ...), looked up by ``nbtensor``'s module
``__getattr__`` on first use (``nbtensor.nn`` is imported only when needed; the names are
listed there).

Most are ``nn.functional``'s own functions: torch's namespace form takes the same leading
arguments. The dropouts differ: torch's namespace names the switch ``train`` and requires it;
so do ``embedding`` and ``embedding_bag`` (the weight first, torch's op arguments, and the
bag's 4-tuple: see nn/embedding_namespace.py).
"""
from nbtensor.nn import embedding_namespace
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


NAMESPACE_FORMS = {**DROPOUTS, "embedding": embedding_namespace.embedding,
                   "embedding_bag": embedding_namespace.embedding_bag}


def lookup(name):
    """``torch.<name>``: its own namespace form (a dropout's, the embeddings'), else
    ``nn.functional.<name>``."""
    return NAMESPACE_FORMS[name] if name in NAMESPACE_FORMS else getattr(F, name)
