"""interpolate and the upsample functions: per dim one gather (nearest) or a few weighted gathers
(linear: two taps, cubic: four); the multi-dim modes are separable."""
import math
import warnings

import numpy as np

from ... import _dtype as D
from ...ops._number import index
from ._helpers import _const
from ._padding import _DIM_NAMES

__all__ = ['interpolate', 'upsample', 'upsample_nearest', 'upsample_bilinear']


# -- interpolate -------------------------------------------------------------------------------------

def _opmath(dt):
    return np.float64 if dt == np.float64 else np.float32


def _scale(in_size, out_size, align_corners, scale, ft):
    """PyTorch's area_pixel_compute_scale in the kernel's float type ``ft``."""
    if align_corners:
        return ft(in_size - 1) / ft(out_size - 1) if out_size > 1 else ft(0)
    if scale is not None and scale > 0:
        return ft(1.0 / scale)
    return ft(in_size) / ft(out_size)


def _taps(mode, in_size, out_size, align_corners, scale, ft, spatial_dims):
    """Input indices and weights (each a list over the taps) that make output positions along
    one dim, as PyTorch's CPU kernels compute them."""
    s = _scale(in_size, out_size, align_corners, scale, ft)
    i = np.arange(out_size, dtype=ft)
    last = in_size - 1
    if mode == "nearest":
        if in_size == out_size and spatial_dims == 2:
            # PyTorch's 2-d nearest kernel copies a dim whose size does not change, whatever the
            # scale factor says; its 1-d and 3-d kernels do not
            return [np.arange(out_size)], None
        idx = np.floor((s * i).astype(np.float32)).astype(np.int64)
        return [np.minimum(idx, last)], None
    if mode == "nearest-exact":
        real = np.maximum(s * (i + ft(0.5)) - ft(0.5), ft(0))
        idx = np.floor((real + ft(0.5)).astype(np.float32)).astype(np.int64)
        return [np.minimum(idx, last)], None
    cubic = mode == "bicubic"
    if not cubic and in_size == out_size:   # PyTorch's linear kernels copy such a dim as is
        return [np.arange(out_size)], None
    if align_corners:
        real = s * i
    else:
        real = s * (i + ft(0.5)) - ft(0.5)
        if not cubic:
            real = np.maximum(real, ft(0))
    idx = np.minimum(np.floor(real.astype(np.float32)).astype(np.int64), last)
    lam = np.clip(real - idx.astype(ft), ft(0), ft(1)).astype(ft)
    if not cubic:
        return [idx, idx + (idx < last)], [ft(1) - lam, lam]
    A = ft(-0.75)

    def near(t):    # |t| <= 1
        return ((A + 2) * t - (A + 3)) * t * t + 1

    def far(t):     # 1 < |t| < 2
        return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A
    weights = [far(lam + 1), near(lam), near(1 - lam), far(2 - lam)]
    return [np.clip(idx - 1 + j, 0, last) for j in range(4)], weights


def _resample(x, axis, idx, weights):
    """Output positions along ``axis`` as weighted sums of input positions."""
    if weights is None:
        if idx[0].size == x.shape[axis] and np.array_equal(idx[0], np.arange(idx[0].size)):
            return x
        return x.index_select(axis, _const(idx[0], x))
    view = (-1,) + (1,) * (x.dim() - axis - 1)
    out = None
    for i, w in zip(idx, weights):
        term = x.index_select(axis, _const(i, x)) * _const(w.astype(x._data.dtype).reshape(view),
                                                          x)
        out = term if out is None else out + term
    return out


_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_LINEAR_DIMS = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims: per dim one gather (nearest) or a few weighted gathers (linear:
    two taps, cubic: four); the multi-dim modes are separable, so dims are done one by one."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = None
        if isinstance(size, (list, tuple)):
            given, size = size, type(size)(index(s) for s in size)   # 0-d integer tensors count as ints
            if len(size) != dim:
                raise ValueError(f"Input and output must have the same number of spatial "
                                 f"dimensions, but got input with spatial dimensions of {spatial} "
                                 f"and output size of {given}. Please provide input tensor in (N, C, "
                                 f"d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                                 f"format.")
            if not all(_is_int(s) for s in size):
                raise TypeError(f"expected size to be one of int or Tuple[int] or Tuple[int, int] "
                                f"or Tuple[int, int, int], but got size with types "
                                f"{[type(s) for s in size]}")
            out_size = [int(s) for s in size]
        else:
            out_size = [int(size)] * dim
    elif scale_factor is not None:
        out_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(f"Input and scale_factor must have the same number of spatial "
                                 f"dimensions, but got input with spatial dimensions of {spatial} "
                                 f"and scale_factor of shape {scale_factor}. Please provide input "
                                 f"tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, "
                                 f"s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and out_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        out_size = [int(math.floor(n * s)) for n, s in zip(spatial, scales)]
        scales = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes "
                         "and requires a 4-D tensor as input")
    nd = input.dim()
    if mode in _LINEAR_DIMS and mode != "bicubic" and nd in (3, 4, 5) and \
            nd != _LINEAR_DIMS[mode]:
        raise NotImplementedError(f"Got {nd}D input, but {mode} mode needs {_LINEAR_DIMS[mode]}D "
                                  f"input")
    known = mode in ("nearest", "nearest-exact", "area") or mode in _LINEAR_DIMS
    if not known or nd not in (3, 4, 5) or (mode == "bicubic" and nd != 4):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                                  f"{nd}D) for the modes: {_MODES} (got {mode})")
    if antialias:
        raise NotImplementedError("ember: interpolate with antialias=True is not supported")
    if out_size is None:
        out_size = [int(math.floor(n * s)) for n, s in zip(spatial, scales)]
    if mode == "area":
        from . import _pool
        return getattr(_pool, f"adaptive_avg_pool{dim}d")(input, out_size)
    if any(n <= 0 for n in spatial) or any(o <= 0 for o in out_size):
        names = _DIM_NAMES[3 - dim:]
        ins = ", ".join(f"{nm}: {n}" for nm, n in zip(names, spatial))
        outs = ", ".join(f"{nm}: {n}" for nm, n in zip(names, out_size))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({ins}) output ({outs})")
    if input.dtype.category != D._FLOAT:
        kind = {"nearest": "nearest", "nearest-exact": "nearest", "bicubic": "cubic"}.get(
            mode, "linear")
        raise NotImplementedError(f'"compute_indices_weights_{kind}" not implemented for '
                                  f"'{input.dtype._short}'")
    ft = _opmath(input._data.dtype)
    x = input
    for d in range(dim):
        idx, w = _taps(mode, spatial[d], out_size[d], align_corners,
                       scales[d] if scales is not None else None, ft, dim)
        x = _resample(x, 2 + d, idx, w)
    return x if x is not input else input.clone()


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
