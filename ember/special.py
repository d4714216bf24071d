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

__all__ += ["ndtr", "log_ndtr", "entr"]

_SQRT1_2 = 0.7071067811865476
_LOG_SQRT_2PI = 0.9189385332046727


def ndtr(input):
    """The standard normal CDF, 0.5 * erfc(-x / sqrt(2))."""
    return erfc(input * -_SQRT1_2) * 0.5


def log_ndtr(input):
    """log of the standard normal CDF; far in the left tail, where the CDF underflows, the
    asymptotic series -x^2/2 - log(-x) - log(sqrt(2 pi)) + log(1 - 1/x^2 + 3/x^4 - 15/x^6)."""
    from .ops.gather import where
    x = input if input.is_floating_point() else input.float()
    tail = x < -20
    safe = where(tail, x, x.new_full((), -20.0))
    inv2 = safe.reciprocal().square()
    asym = (-0.5 * safe.square() - (-safe).log() - _LOG_SQRT_2PI
            + (1 - inv2 + 3 * inv2.square() - 15 * inv2 * inv2.square()).log())
    mid = where(tail, x.new_full((), 0.0), x)
    # right of 0, log(1 - ndtr(-x)) keeps the tiny difference from 0 that log(ndtr(x)) rounds away
    right = mid > 0
    zero = x.new_full((), 0.0)      # each branch sees only its own side (no inf * 0 in backward)
    direct = where(right, (-ndtr(-where(right, mid, zero))).log1p(), ndtr(where(right, zero, mid)).log())
    return where(tail, asym, direct)


def entr(input):
    """-x log(x) elementwise: 0 at 0, -inf for negative x."""
    from .ops.gather import where
    x = input if input.is_floating_point() else input.float()
    pos = where(x == 0, x.new_full((), 0.0), -xlogy(x, x))
    return where(x < 0, x.new_full((), float("-inf")), pos)
