"""Looking at batches: ``make_grid`` tiles images, ``save_image`` writes them with Pillow."""
import math

import numpy as np
from PIL import Image

from .._tensor import Tensor

__all__ = ["make_grid", "save_image"]


def _host(t):
    a = t.detach()._data
    return a if isinstance(a, np.ndarray) else a.get()


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Tile a batch (B x C x H x W tensor, or a list of C x H x W tensors) into one C x H' x W'
    image, ``nrow`` images per row, ``padding`` pixels of ``pad_value`` around each.

    One-channel images become three-channel. ``normalize`` maps ``value_range`` (default: the
    min and max, of each image with ``scale_each``) to [0, 1]. The result is a new tensor
    outside the autograd graph."""
    if isinstance(tensor, Tensor):
        arr = _host(tensor)
    elif isinstance(tensor, list) and tensor:
        for t in tensor:
            if not isinstance(t, Tensor):
                raise TypeError(f"tensor or list of tensors expected, got a list containing {type(t)}")
        arr = np.stack([_host(t) for t in tensor])
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(f"make_grid expects a 2-, 3- or 4-dimensional tensor, got {arr.ndim} dimensions")
    if arr.shape[1] == 1:
        arr = np.repeat(arr, 3, axis=1)

    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        arr = arr.astype(arr.dtype if arr.dtype.kind == "f" else np.float32, copy=True)
        axes = (1, 2, 3) if scale_each else (0, 1, 2, 3)
        if value_range is not None:
            lo = np.full((1, 1, 1, 1), value_range[0], arr.dtype)
            hi = np.full((1, 1, 1, 1), value_range[1], arr.dtype)
        else:
            lo, hi = arr.min(axis=axes, keepdims=True), arr.max(axis=axes, keepdims=True)
        np.clip(arr, lo, hi, out=arr)
        arr -= lo
        arr /= np.maximum(hi - lo, arr.dtype.type(1e-5))

    if arr.shape[0] == 1:
        return Tensor._wrap(np.ascontiguousarray(arr[0]))
    n, c, h, w = arr.shape
    xmaps = min(nrow, n)
    ymaps = int(math.ceil(n / xmaps))
    ch, cw = h + padding, w + padding
    # each image sits in a (h + padding) x (w + padding) cell, padded at its top and left; the
    # cells are laid out row-major and one more strip of padding closes the bottom and right
    cells = np.full((ymaps * xmaps, c, ch, cw), pad_value, dtype=arr.dtype)
    cells[:n, :, padding:, padding:] = arr
    grid = np.full((c, ymaps * ch + padding, xmaps * cw + padding), pad_value, dtype=arr.dtype)
    grid[:, :ymaps * ch, :xmaps * cw] = (cells.reshape(ymaps, xmaps, c, ch, cw)
                                         .transpose(2, 0, 3, 1, 4).reshape(c, ymaps * ch, xmaps * cw))
    return Tensor._wrap(grid)


def save_image(tensor, fp, format=None, **kwargs):
    """Write a batch (tiled by ``make_grid`` with ``kwargs``) as an image file; values in [0, 1]."""
    grid = make_grid(tensor, **kwargs)._data
    if grid.dtype.kind != "f":
        grid = grid.astype(np.float32)
    img = np.clip(grid * grid.dtype.type(255) + grid.dtype.type(0.5), 0, 255).astype(np.uint8)
    Image.fromarray(np.ascontiguousarray(img.transpose(1, 2, 0))).save(fp, format=format)
