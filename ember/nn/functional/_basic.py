"""Linear maps."""

from ...ops.linear import Linear as _Linear

__all__ = ["linear", "bilinear"]


def linear(input, weight, bias=None):
    return _Linear.apply(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    from ... import einsum
    out = einsum("...i,oij,...j->...o", input1, weight, input2)
    return out + bias if bias is not None else out
