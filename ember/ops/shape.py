"""Movement ops: view, reshape, permute, transpose, squeeze, unsqueeze, flatten.

Where PyTorch returns a view, so does ember: the output wraps a NumPy view of the input's
memory and shares its version counter."""
import numpy as np

from ..autograd.function import Function
from ._util import canon_dim, shape_arg

__all__ = ["reshape", "permute", "transpose", "squeeze", "unsqueeze", "flatten", "t",
           "ShapeMethods"]


def infer_shape(shape, numel):
    """Resolve a single -1 in ``shape``, with PyTorch's errors."""
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of "
                               f"size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size "
                           f"{numel}")
    return tuple(shape)


class View(Function):
    _builtin = True

    # d view = view back to the input's shape
    @staticmethod
    def forward(ctx, a, shape):
        shape = infer_shape(shape, a._data.size)
        ctx.in_shape = a._data.shape
        try:
            out = a._xp.reshape(a._data, shape, copy=False)
        except ValueError:
            raise RuntimeError("view size is not compatible with input tensor's size and stride "
                               "(at least one dimension spans across two contiguous subspaces). "
                               "Use .reshape(...) instead.") from None
        return a._view_of(out)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class Reshape(Function):
    _builtin = True

    # d reshape = reshape back
    @staticmethod
    def forward(ctx, a, shape):
        shape = infer_shape(shape, a._data.size)
        ctx.in_shape = a._data.shape
        out = a._data.reshape(shape)
        return a._view_of(out) if np.shares_memory(out, a._data) or out.size == 0 else out

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class Permute(Function):
    _builtin = True

    # d permute = permute by the inverse permutation
    @staticmethod
    def forward(ctx, a, dims):
        nd = a._data.ndim
        if len(dims) != nd:
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input "
                               f"does not match the length of the desired ordering of dimensions "
                               f"i.e. input.dim() = {nd} is not equal to len(dims) = {len(dims)}")
        dims = tuple(canon_dim(d, nd) for d in dims)
        if len(set(dims)) != nd:
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        ctx.inv = tuple(np.argsort(dims))
        return a._view_of(a._data.transpose(dims))

    @staticmethod
    def backward(ctx, g):
        return g.permute(*ctx.inv), None


class Transpose(Function):
    _builtin = True

    # d transpose(i, j) = transpose(i, j)
    @staticmethod
    def forward(ctx, a, d0, d1):
        nd = a._data.ndim
        d0, d1 = canon_dim(d0, nd), canon_dim(d1, nd)
        ctx.dims = (d0, d1)
        return a._view_of(a._xp.swapaxes(a._data, d0, d1) if nd else a._data)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(*ctx.dims), None, None


def reshape(input, shape):
    return Reshape.apply(input, shape_arg((shape,)))


def permute(input, dims):
    return Permute.apply(input, tuple(dims))


def transpose(input, dim0, dim1):
    return Transpose.apply(input, dim0, dim1)


def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")
    return Transpose.apply(input, 0, 1) if input.ndim == 2 else View.apply(input, input.shape)


def squeeze(input, dim=None):
    shape = input._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = {canon_dim(d, len(shape)) for d in dims}
        new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    return View.apply(input, new)


def unsqueeze(input, dim):
    shape = list(input._data.shape)
    dim = canon_dim(dim, len(shape) + 1)
    shape.insert(dim, 1)
    return View.apply(input, tuple(shape))


def flatten(input, start_dim=0, end_dim=-1):
    shape = input._data.shape
    if not shape:
        return Reshape.apply(input, (1,))
    s, e = canon_dim(start_dim, len(shape)), canon_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return Reshape.apply(input, shape[:s] + (n,) + shape[e + 1:])


class ShapeMethods:
    __slots__ = ()

    def view(self, *shape):
        if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
            from .. import _dtype as D
            dt = D.to_dtype(shape[0])
            if dt.itemsize != self.dtype.itemsize:
                raise RuntimeError("ember: view(dtype) needs dtypes of the same size")
            return self._view_of(self._data.view(dt.np))
        return View.apply(self, shape_arg(shape))

    def view_as(self, other):
        return View.apply(self, other._data.shape)

    def reshape(self, *shape):
        return Reshape.apply(self, shape_arg(shape))

    def reshape_as(self, other):
        return Reshape.apply(self, other._data.shape)

    def permute(self, *dims):
        return Permute.apply(self, shape_arg(dims))

    def transpose(self, dim0, dim1):
        return Transpose.apply(self, dim0, dim1)

    swapaxes = swapdims = transpose

    def t(self):
        return t(self)

    def squeeze(self, dim=None):
        return squeeze(self, dim)

    def unsqueeze(self, dim):
        return unsqueeze(self, dim)

    def flatten(self, start_dim=0, end_dim=-1):
        return flatten(self, start_dim, end_dim)
