"""``nbtensor.special``: the functions of ``torch.special`` that nbtensor has (the error
function, its complement and its inverse, the gamma function's logarithm and derivative,
``xlogy``, ``xlog1py``, ``logit``/``expit``, ``sinc``, ...). Each is the top-level op under torch.special's name and
records as that op."""
from nbtensor.core.numpy_names import accept_numpy_names as _accept_numpy_names
from nbtensor.dispatch import dispatcher as _forms
from nbtensor.ops.elementwise_forms import round as _round, table_function as _table_function
from nbtensor.ops.reduce import log_softmax as _log_softmax, logsumexp as _logsumexp, softmax as _softmax
from nbtensor.ops.special_math import logit as _logit, sinc as _sinc, xlog1py as _xlog1py, xlogy as _xlogy

# (installed below, by name)
__all__ = ["erf", "erfc", "erfinv", "expit", "exp2", "expm1", "log1p", "gammaln", "digamma", "psi",  # noqa: F822
           "logit", "xlogy", "xlog1py", "sinc", "round", "logsumexp", "softmax", "log_softmax"]  # noqa: F822

# torch.special's name -> (the op it is, its function)
_TABLE = {"erf": "erf", "erfc": "erfc", "erfinv": "erfinv", "expit": "sigmoid", "exp2": "exp2",
          "expm1": "expm1", "log1p": "log1p", "gammaln": "lgamma", "digamma": "digamma", "psi": "digamma"}
_FUNCTIONS = {name: (op, _table_function(op)) for name, op in _TABLE.items()}
_FUNCTIONS.update({"logit": ("logit", _logit), "xlogy": ("xlogy", _xlogy), "xlog1py": ("xlog1py", _xlog1py),
                   "sinc": ("sinc", _sinc),
                   "round": ("round", _round), "logsumexp": ("logsumexp", _logsumexp),
                   "softmax": ("softmax", _softmax), "log_softmax": ("log_softmax", _log_softmax)})
_forms.install_functions(globals(), {name: (op, _accept_numpy_names(fn)) for name, (op, fn) in _FUNCTIONS.items()})
