"""A view described by its geometry (shape, strides, offset in elements) and its adjoint.

These two ops let autograd follow an in-place change made through a view: the base tensor's
history becomes "the old base with the view's region replaced" (``ViewScatter``), and the view
becomes a fresh ``AsStrided`` view of that new base, as PyTorch's CopySlices does."""
import numpy as np

from ..autograd.function import Function

__all__ = []
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


def view_geometry(base, view):
    """(shape, strides, offset) of array ``view`` inside contiguous array ``base``, in elements;
    None when ``base`` is not contiguous."""
    if not base.flags.c_contiguous:
        return None
    item = base.itemsize
    ptr = _ptr(view) - _ptr(base)
    return view.shape, tuple(s // item for s in view.strides), ptr // item


def _ptr(a):
    return a.__array_interface__["data"][0] if isinstance(a, np.ndarray) else a.data.ptr


def _region(arr, geom):
    """The view of contiguous ``arr`` at ``geom`` (a writable NumPy view)."""
    shape, strides, offset = geom
    xp = np if isinstance(arr, np.ndarray) else None
    flat = arr.reshape(-1)
    item = arr.itemsize
    if xp is np:
        return np.lib.stride_tricks.as_strided(flat[offset:], shape, [s * item for s in strides])
    import cupy
    return cupy.lib.stride_tricks.as_strided(flat[offset:], shape, [s * item for s in strides])


class AsStrided(Function):
    _builtin = True

    # d as_strided = scatter the gradient into zeros of the base's shape at the same region
    @staticmethod
    def forward(ctx, a, geom):
        ctx.meta = (a._data.shape, geom)
        src = a._data if a._data.flags.c_contiguous else a._xp.ascontiguousarray(a._data)
        out = _region(src, geom)
        return a._view_of(out) if src is a._data else out.copy()

    @staticmethod
    def backward(ctx, g):
        shape, geom = ctx.meta
        zeros = g._wrap(g._xp.zeros(shape, g._data.dtype))
        return ViewScatter.apply(zeros, g, geom), None


class ViewScatter(Function):
    _builtin = True

    # out = base with region(geom) = src:  d/dbase = g outside the region,  d/dsrc = g[region]
    @staticmethod
    def forward(ctx, base, src, geom, in_place=False):
        ctx.geom = geom
        out = base._data if in_place else base._data.copy()
        if not in_place:
            _region(out, geom)[...] = src._data
        return out

    @staticmethod
    def backward(ctx, g):
        geom = ctx.geom
        gb = gs = None
        if ctx.needs_input_grad[0]:
            mask = g._xp.ones(g._data.shape, g._data.dtype)
            _region(mask, geom)[...] = 0
            gb = g * g._wrap(mask)
        if ctx.needs_input_grad[1]:
            gs = AsStrided.apply(g.contiguous(), geom)
        return gb, gs, None, None
