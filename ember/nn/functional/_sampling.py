"""Sampling functions of torch.nn.functional: affine_grid, grid_sample and gumbel_softmax.

All three are compositions of ember ops, so autograd (and double backward) come for free.
affine_grid is a constant base grid times theta (one bmm). grid_sample turns the normalized grid
into pixel coordinates with ember ops (so the grid gradient flows through the unnormalization,
clipping and reflection), takes the integer corners as constants, and reads the corner values
with one gather per corner on a flattened (N, C, H*W) view of the input."""
import warnings

import numpy as np

from ... import _creation
from ... import _dtype as D
from ...ops.gather import where
from ._helpers import _const, _lst

__all__ = ["affine_grid", "grid_sample", "gumbel_softmax"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False "
                  "since 1.3.0. Please specify align_corners=True if the old behavior is desired. "
                  "See the documentation of grid_sample for details.")


# -- affine_grid --------------------------------------------------------------------------------------

def _linspace(n, align_corners, dtype):
    """Pixel centres in normalized coordinates; a unit dim sits at 0 (PyTorch since 1.3). Built
    on ember's linspace, whose roundings are PyTorch's, so grid points land on the same side of
    pixel boundaries as PyTorch's do."""
    if n <= 1:
        return np.zeros(max(n, 0), dtype=dtype)
    r = _creation.linspace(-1, 1, n, dtype=D.from_numpy_dtype(dtype))._data
    return r if align_corners else (r * dtype.type(n - 1) / dtype.type(n)).astype(dtype)


def affine_grid(theta, size, align_corners=None):
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. "
                             f"Got {theta.shape}.")
        spatial = list(size[-2:])
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. "
                             f"Got {theta.shape}.")
        spatial = list(size[-3:])
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine "
                                  f"transforms, respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the "
                      "documentation of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    n = int(size[0])
    spatial = [int(s) for s in spatial]
    dt = theta._data.dtype
    # base[..., k] is the k-th coordinate (x over the last dim, then y, then z) and a trailing 1
    axes = [_linspace(s, align_corners, dt) for s in spatial]
    mesh = list(np.meshgrid(*axes, indexing="ij"))[::-1]
    base = np.stack(mesh + [np.ones(spatial, dtype=dt)], axis=-1).reshape(1, -1, len(spatial) + 1)
    base = _const(base, theta).expand(n, base.shape[1], base.shape[2])
    out = base.bmm(theta.transpose(1, 2))
    return out.reshape(n, *spatial, len(spatial))


# -- grid_sample --------------------------------------------------------------------------------------

def _check_grid_sample(input, grid, mode):
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got "
                           f"input with sizes {_lst(input.shape)} and grid with sizes "
                           f"{_lst(grid.shape)}")
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in last "
                           f"dimension, but got grid with sizes {_lst(grid.shape)}")
    want = 4 if input.dim() == 4 else 5
    if input.dim() != want or grid.dim() != want:
        raise RuntimeError(f"grid_sampler(): expected {want}D input and grid with same number of "
                           f"dimensions, but got input with sizes {_lst(input.shape)} and grid with "
                           f"sizes {_lst(grid.shape)}")
    for i in range(2, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, "
                               f"but input has sizes {_lst(input.shape)} with dimension {i} being empty")
    if mode == "bicubic" and input.dim() != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dim() == 5:
        raise NotImplementedError("ember: grid_sample supports only 4-D input (5-D is not implemented)")
    if mode == "bicubic":
        raise NotImplementedError("ember: grid_sample with mode='bicubic' is not supported")
    if input.dtype.category != D._FLOAT:
        raise NotImplementedError(f"\"grid_sampler_2d_cpu_kernel_impl\" not implemented for "
                                  f"'{input.dtype._short}'")
    if grid.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype._short} but found {grid.dtype._short}")


def _reflect(x, lo2, hi2):
    """Reflect ``x`` into [lo2/2, hi2/2] as often as needed; the fold count is a constant, so the
    gradient is +-1 (the sign of the last reflection) as in PyTorch."""
    if lo2 == hi2:
        return x * 0
    lo, span = lo2 / 2, (hi2 - lo2) / 2
    d = (x - lo).abs()
    flips = np.floor(d._data / span)
    extra = d - _const(flips * span, x)
    even = _const(flips % 2 == 0, x)
    return where(even, extra + lo, (span + lo) - extra)


def _source_index(coord, size, padding_mode, align_corners):
    """Normalized [-1, 1] coordinates -> pixel coordinates, with border/reflection padding."""
    if align_corners:
        coord = (coord + 1) * ((size - 1) / 2)
    else:
        coord = (coord + 1) * (size / 2) - 0.5     # PyTorch's CPU kernel's order of operations
    if padding_mode == "reflection":
        coord = _reflect(coord, 0, 2 * (size - 1)) if align_corners else _reflect(coord, -1, 2 * size - 1)
    if padding_mode in ("border", "reflection"):
        coord = coord.clamp(0, size - 1)
    return coord


def _gather(flat, ix, iy, w, h):
    """Values of flat (N, C, H*W) at integer corners (ix, iy) of shape (N, P), and a mask of the
    corners inside the image (outside ones read 0)."""
    inside = (ix >= 0) & (ix <= w - 1) & (iy >= 0) & (iy <= h - 1)
    idx = np.where(inside, iy * w + ix, 0).astype(np.int64)
    idx = np.broadcast_to(idx[:, None, :], (flat.shape[0], flat.shape[1], idx.shape[1]))
    return flat.gather(2, _const(idx, flat)), inside[:, None, :]


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
                         f"'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', "
                         f"or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    _check_grid_sample(input, grid, mode)
    n, c, h, w = input.shape
    ho, wo = grid.shape[1], grid.shape[2]
    flat = input.reshape(n, c, h * w)
    g = grid.reshape(n, ho * wo, 2)
    x = _source_index(g[..., 0], w, padding_mode, align_corners)
    y = _source_index(g[..., 1], h, padding_mode, align_corners)
    xp = input._xp
    if mode == "nearest":
        # round half to even, as PyTorch's nearbyint
        vals, inside = _gather(flat, xp.rint(x._data), xp.rint(y._data), w, h)
        out = vals * _const(inside.astype(vals._data.dtype), vals)
        if grid.requires_grad:
            # PyTorch gives the grid an all-zero gradient here; an empty slice's sum (0) wires
            # the grid into the graph without touching the values (even inf/nan ones)
            out = out + g.reshape(-1)[:0].sum()
        return out.reshape(n, c, ho, wo)
    x0, y0 = xp.floor(x._data), xp.floor(y._data)
    fx, fy = x - _const(x0, x), y - _const(y0, y)
    gx, gy = 1 - fx, 1 - fy
    out = None
    for dx, dy, wt in ((0, 0, gx * gy), (1, 0, fx * gy), (0, 1, gx * fy), (1, 1, fx * fy)):
        vals, inside = _gather(flat, x0 + dx, y0 + dy, w, h)
        term = vals * (wt.unsqueeze(1) * _const(inside.astype(vals._data.dtype), vals))
        out = term if out is None else out + term
    return out.reshape(n, c, ho, wo)


# -- gumbel_softmax -----------------------------------------------------------------------------------

def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -_creation.empty_like(logits).exponential_().log()  # ~ Gumbel(0, 1)
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    # straight through: one-hot values, the soft sample's gradient
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = _creation.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
