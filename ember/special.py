"""``torch.special``: the special functions under their SciPy-style names (each is the op of
the same meaning elsewhere in ember)."""
from .ops import unary as _unary
from .ops.activation import log_softmax, softmax
from .ops.binary import xlogy
from .ops.reduce import logsumexp
from .ops.unary import digamma, erf, erfc, erfinv, exp2, expm1, lgamma, log1p, logit, polygamma, sigmoid, sinc

__all__ = ["expit", "logit", "xlogy", "erf", "erfc", "erfinv", "gammaln", "digamma", "psi",
           "polygamma", "sinc", "log_softmax", "softmax", "logsumexp", "expm1", "exp2", "log1p",
           "round"]

expit = sigmoid
gammaln = lgamma
psi = digamma
round = _unary.round  # noqa: A001 - PyTorch's name
