"""Activation functions: torch.nn.functional's names, signatures and defaults, over the
Functions of ember.ops.activation (and plain compositions where those are as fast)."""
import warnings

import numpy as np

from ..._tensor import Tensor
from ...ops import activation as A
from ...ops._number import number
from ...ops._util import canon_dim

__all__ = ["threshold", "threshold_", "relu", "relu_", "hardtanh", "hardtanh_", "relu6", "elu",
           "elu_", "selu", "selu_", "celu", "celu_", "leaky_relu", "leaky_relu_", "prelu",
           "rrelu", "rrelu_", "glu", "gelu", "logsigmoid", "hardshrink", "tanhshrink",
           "softsign", "softplus", "softmin", "softmax", "log_softmax", "softshrink", "tanh",
           "sigmoid", "hardsigmoid", "silu", "mish", "hardswish"]


def _apply(op, input, inplace, *params):
    return input._inplace(op, *params) if inplace else op.apply(input, *params)


def threshold(input, threshold, value, inplace=False):
    threshold, value = number(threshold, "threshold", "threshold"), number(value, "threshold", "value")
    return _apply(A.Threshold, input, inplace, threshold, value)


def threshold_(input, threshold, value):
    threshold, value = number(threshold, "threshold_", "threshold"), number(value, "threshold_", "value")
    return input._inplace(A.Threshold, threshold, value)


def relu(input, inplace=False):
    return input.relu_() if inplace else input.relu()


def relu_(input):
    return input.relu_()


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _apply(A.Hardtanh, input, inplace, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    return _apply(A.Hardtanh, input, inplace, 0.0, 6.0)


def elu(input, alpha=1.0, inplace=False):
    alpha = number(alpha, "elu", "alpha")
    return _apply(A.Elu, input, inplace, alpha, 1.0, 1.0)


def elu_(input, alpha=1.0):
    alpha = number(alpha, "elu_", "alpha")
    return input._inplace(A.Elu, alpha, 1.0, 1.0)


def selu(input, inplace=False):
    return A.selu_(input) if inplace else A.selu(input)


def selu_(input):
    return A.selu_(input)


def celu(input, alpha=1.0, inplace=False):
    alpha = number(alpha, "celu", "alpha")
    return A.celu_(input, alpha) if inplace else A.celu(input, alpha)


def celu_(input, alpha=1.0):
    alpha = number(alpha, "celu_", "alpha")
    return A.celu_(input, alpha)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    negative_slope = number(negative_slope, "leaky_relu", "negative_slope")
    return _apply(A.LeakyRelu, input, inplace, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    negative_slope = number(negative_slope, "leaky_relu_", "negative_slope")
    return input._inplace(A.LeakyRelu, negative_slope)


def prelu(input, weight):
    return A.prelu(input, weight)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Leaky ReLU with a slope drawn from U(lower, upper) per negative element in training,
    their mean in evaluation."""
    lower, upper = number(lower, "rrelu", "lower"), number(upper, "rrelu", "upper")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    from ... import _creation
    from ...ops.gather import where
    slope = _creation.empty_like(input).uniform_(lower, upper)
    scale = where(input >= 0, 1.0, slope)
    if inplace:
        return input.mul_(scale)
    return input * scale


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, inplace=True)


def glu(input, dim=-1):
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = canon_dim(dim, input.dim())
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size "
                           f"{input.shape[d]}")
    a, b = input.chunk(2, d)
    return a * b.sigmoid()


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return A.Gelu.apply(input, approximate)


def logsigmoid(input):
    return A.LogSigmoid.apply(input)


def hardshrink(input, lambd=0.5):
    lambd = number(lambd, "hardshrink", "lambd")
    return A.Hardshrink.apply(input, lambd)


def tanhshrink(input):
    return input - input.tanh()


def softsign(input):
    return input / (input.abs() + 1)


def softplus(input, beta=1.0, threshold=20.0):
    beta, threshold = number(beta, "softplus", "beta"), number(threshold, "softplus", "threshold")
    return A.Softplus.apply(input, beta, threshold)


def _get_softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  "include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _check(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    _check(input, "softmin")
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    return A.softmax(-input, dim, dtype)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    _check(input, "softmax")
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return A.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    _check(input, "log_softmax")
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return A.log_softmax(input, dim, dtype)


def softshrink(input, lambd=0.5):
    lambd = number(lambd, "softshrink", "lambd")
    if lambd < 0:
        big = float(np.finfo(input._data.dtype).max) if input.is_floating_point() else 0.0
        raise RuntimeError(f"lambda must be in range [0, {big:g}] for input dtype "
                           f"{input.dtype._short}, but found {lambd:g}")
    return A.Softshrink.apply(input, lambd)


def tanh(input):
    return input.tanh()


def sigmoid(input):
    return input.sigmoid()


def hardsigmoid(input, inplace=False):
    return _apply(A.Hardsigmoid, input, inplace)


def silu(input, inplace=False):
    return _apply(A.Silu, input, inplace)


def mish(input, inplace=False):
    return _apply(A.Mish, input, inplace)


def hardswish(input, inplace=False):
    return _apply(A.Hardswish, input, inplace)
