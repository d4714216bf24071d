"""Normalisation: batch_norm, instance_norm, layer_norm, group_norm, rms_norm and
local_response_norm, with PyTorch's argument checks and messages. The cores are the Functions
of ember.ops.norm; rms_norm and local_response_norm are compositions, as in PyTorch."""
import math

import numpy as np

from ... import _dtype as D
from ...ops._number import number
from ...ops.norm import NativeBatchNorm, NativeGroupNorm, NativeLayerNorm, NormGeom
from ._helpers import _lst

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm",
           "local_response_norm"]


def _verify_batch_size(size):
    if size[0] * math.prod(size[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{size}")


def _verify_spatial_size(size):
    if math.prod(size[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{size}")


def _check_features(name, t, expected, scale=1):
    if t is not None and t.numel() * scale != expected:
        raise RuntimeError(f"{name} should contain {expected} elements not {t.numel() * scale}")


def _channel_geom(shape, per_instance):
    """Statistics per channel over the batch and spatial dims (batch norm), or per (sample,
    channel) over the spatial dims (instance norm); affine parameters per channel."""
    n = len(shape)
    spatial = tuple(range(2, n))
    axes = spatial if per_instance else (0,) + spatial
    return NormGeom(tuple(shape), axes, (shape[1],) + (1,) * (n - 2), (0,) + spatial)


def _empty_result(input, weight, bias):
    # PyTorch: no statistics to take, but keep the output connected to weight and bias
    out = input.clone()
    if weight is not None:
        out = out * weight[0]
    if bias is not None:
        out = out + bias[0]
    return out


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    momentum, eps = number(momentum, "batch_norm", "momentum"), number(eps, "batch_norm", "eps")
    if training:
        _verify_batch_size(input.size())
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    C = input.size(1)
    if input.numel() == 0:
        return _empty_result(input, weight, bias)
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None:
            _check_features(name, t, C)
        elif not training:
            raise RuntimeError(f"{name} must be defined in evaluation mode")
    _check_features("weight", weight, C)
    _check_features("bias", bias, C)
    geom = _channel_geom(tuple(input.shape), per_instance=False)
    return NativeBatchNorm.apply(input, weight, bias, running_mean, running_var, geom, eps,
                                 bool(training), momentum)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    momentum, eps = number(momentum, "instance_norm", "momentum"), number(eps, "instance_norm", "eps")
    if use_input_stats:
        _verify_spatial_size(input.size())
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    N, C = input.shape[0], input.size(1)
    if input.numel() == 0:
        return _empty_result(input, weight, bias)
    # PyTorch runs batch norm on a (1, N * C, ...) view with every per-channel tensor repeated
    # N times, so its messages count N * C elements
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_features(name, t, N * C, N)
    geom = _channel_geom(tuple(input.shape), per_instance=True)
    return NativeBatchNorm.apply(input, weight, bias, running_mean, running_var, geom, eps,
                                 bool(use_input_stats), momentum)


def _norm_shape(normalized_shape):
    if isinstance(normalized_shape, (int, np.integer)):
        return (int(normalized_shape),)
    return tuple(int(s) for s in normalized_shape)


def _check_normalized(input, ns, weight, bias, star_sep=", "):
    if len(ns) == 0:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           f"containing at least one element, but got normalized_shape = {_lst(ns)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got "
                               f"{name} of shape {_lst(t.shape)} and normalized_shape = "
                               f"{_lst(ns)}")
    shape = tuple(input.shape)
    if len(shape) < len(ns) or shape[len(shape) - len(ns):] != ns:
        raise RuntimeError(f"Given normalized_shape={_lst(ns)}, expected input with shape "
                           f"[*{star_sep}{_lst(ns)[1:-1]}], but got input of size{_lst(shape)}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    eps = number(eps, "layer_norm", "eps")
    ns = _norm_shape(normalized_shape)
    _check_normalized(input, ns, weight, bias)
    n, k = input.dim(), len(ns)
    geom = NormGeom(tuple(input.shape), tuple(range(n - k, n)), ns, tuple(range(n - k)))
    return NativeLayerNorm.apply(input, weight, bias, None, None, geom, eps, True, 0.0)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    eps = number(eps, "group_norm", "eps")
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    shape = tuple(input.shape)
    N, C = shape[:2]
    _verify_batch_size([N * C // num_groups, num_groups] + list(shape[2:]))
    if C % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {_lst(shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != C):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {_lst(t.shape)} and "
                               f"input of shape {_lst(shape)}")
    rest = math.prod(shape[1:]) // num_groups
    spatial = tuple(range(2, len(shape)))
    geom = NormGeom((N, num_groups, rest), (2,), (C,) + (1,) * len(spatial), (0,) + spatial)
    return NativeGroupNorm.apply(input, weight, bias, None, None, geom, eps, True, 0.0)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    ns = _norm_shape(normalized_shape)
    _check_normalized(input, ns, weight, None, star_sep="")
    if eps is None:
        dt = input.dtype if input.dtype.category >= D._FLOAT else D.get_default_dtype()
        eps = float(np.finfo(dt.np).eps)
    dims = tuple(range(input.dim() - len(ns), input.dim()))
    out = input * (input.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha * mean of x^2 over ``size`` neighbouring channels)^beta; the window sum is
    ``size`` shifted slices of the zero-padded squares (a loop over the window, not positions)."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input "
                         f"(got {dim} dimensions)")
    if input.numel() == 0:
        return input
    from ._padding import pad
    C = input.shape[1]
    sq = input.mul(input)
    lead = [0, 0] * (dim - 2)
    padded = pad(sq, lead + [size // 2, (size - 1) // 2])
    acc = padded.narrow(1, 0, C)
    for i in range(1, size):
        acc = acc + padded.narrow(1, i, C)
    div = (acc * (alpha / size)).add(k).pow(beta)
    return input / div

