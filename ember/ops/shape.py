"""Movement ops: view, reshape, permute, transpose, squeeze, unsqueeze, flatten, unflatten,
movedim, narrow, diagonal (views), and repeat, tile, flip, roll, tril, triu, diag (copies).

Where PyTorch returns a view, so does ember: the output wraps a NumPy view of the input's
memory and shares its version counter."""
import numpy as np

from ..autograd.function import Function
from ._number import index
from ._util import canon_dim, shape_arg

INT64_MAX = np.iinfo(np.int64).max   # "to the end" in ONNX Slice

__all__ = ["reshape", "permute", "transpose", "swapaxes", "swapdims", "squeeze", "unsqueeze",
           "flatten", "ravel", "t", "unflatten", "movedim", "moveaxis", "narrow", "diagonal",
           "diag", "tril", "triu", "flip", "fliplr", "flipud", "roll", "rot90", "tile",
           "slice_scatter", "diagonal_scatter", "repeat_interleave", "diag_embed", "diagflat",
           "atleast_1d", "atleast_2d", "atleast_3d", "tensor_split", "hsplit", "vsplit", "dsplit",
           "tril_indices", "triu_indices", "ShapeMethods"]
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


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

    @staticmethod
    def onnx(graph, ctx, a, shape):
        return graph.reshape(a, graph.out[0])


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

    @staticmethod
    def onnx(graph, ctx, a, shape):
        return graph.reshape(a, graph.out[0])


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

    @staticmethod
    def onnx(graph, ctx, a, dims):
        return graph.op("Transpose", a, perm=[int(d) % len(dims) for d in dims])


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

    @staticmethod
    def onnx(graph, ctx, a, d0, d1):
        if len(a.shape) < 2:
            return graph.op("Identity", a)
        perm = list(range(len(a.shape)))
        i, j = ctx.dims
        perm[i], perm[j] = j, i
        return graph.op("Transpose", a, perm=perm)


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
        dim = index(dim)
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


def swapaxes(input, axis0, axis1):
    return Transpose.apply(input, axis0, axis1)


swapdims = swapaxes


def ravel(input):
    return Reshape.apply(input, (-1,))


def unflatten(input, dim, sizes):
    """Split ``dim`` into ``sizes`` (one may be -1): always a view."""
    shape = input._data.shape
    if not shape:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    dim = canon_dim(dim, len(shape))
    sizes = shape_arg((sizes,))
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        sizes = infer_shape(sizes, shape[dim])
    except RuntimeError as e:
        if "inferred" in str(e):
            raise
        raise RuntimeError(f"unflatten: Provided sizes [{', '.join(map(str, sizes))}] don't "
                           f"multiply up to the size of dim {dim} ({shape[dim]}) in the input "
                           "tensor") from None
    return View.apply(input, shape[:dim] + sizes + shape[dim + 1:])


def movedim(input, source, destination):
    """Move dims ``source`` to positions ``destination``; the others keep their order."""
    nd = input._data.ndim
    source, destination = index(source), index(destination)
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) "
                           f"should contain the same number of dims as destination ({list(dst)} "
                           "dims)")
    src = tuple(canon_dim(d, nd) for d in src)
    dst = tuple(canon_dim(d, nd) for d in dst)
    for name, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(ds)})")
    order = [-1] * max(nd, 1)
    for s_, d_ in zip(src, dst):
        order[d_] = s_
    rest = iter(d for d in range(nd) if d not in src)
    order = [o if o >= 0 else next(rest) for o in order][:nd]
    return Permute.apply(input, tuple(order))


moveaxis = movedim


class Slice(Function):
    _builtin = True

    # d a[start:stop:step] along dim = slice_scatter of the gradient into zeros
    @staticmethod
    def forward(ctx, a, dim, start, stop, step=1):
        ctx.meta = (a._data.shape, dim, start, stop, step)
        return a._view_of(a._data[(slice(None),) * dim + (slice(start, stop, step),)])

    @staticmethod
    def backward(ctx, g):
        shape, dim, start, stop, step = ctx.meta
        zeros = g._wrap(g._xp.zeros(shape, g._data.dtype))
        return SliceScatter.apply(zeros, g, dim, start, stop, step), None, None, None, None

    @staticmethod
    def onnx(graph, ctx, a, dim, start, stop, step=1):
        step = 1 if step is None else step
        if start in (None, 0) and stop is None and step == 1:
            return graph.op("Identity", a)
        lo = 0 if start is None else start
        hi = INT64_MAX if stop is None else stop
        return graph.slice(a, [lo], [hi], [dim], [step])


class SliceScatter(Function):
    _builtin = True

    # out = a with out[start:stop:step] = src along dim:  d/da = g zeroed there,  d/dsrc = g sliced
    @staticmethod
    def forward(ctx, a, src, dim, start, stop, step=1):
        out = a._data.copy()
        region = out[(slice(None),) * dim + (slice(start, stop, step),)]
        if region.shape != src._data.shape:
            raise RuntimeError(f"expected src to have a size equal to the slice of self. src size "
                               f"= {list(src._data.shape)}, slice size = {list(region.shape)}")
        region[...] = src._data
        ctx.meta = (dim, start, stop, step, src._data.shape)
        return out

    @staticmethod
    def backward(ctx, g):
        dim, start, stop, step, src_shape = ctx.meta
        ga = gs = None
        if ctx.needs_input_grad[0]:
            zeros = g._wrap(g._xp.zeros(src_shape, g._data.dtype))
            ga = SliceScatter.apply(g, zeros, dim, start, stop, step)
        if ctx.needs_input_grad[1]:
            gs = Slice.apply(g, dim, start, stop, step)
        return ga, gs, None, None, None, None


def narrow(input, dim, start, length):
    """``length`` entries of ``dim`` from ``start`` (which may be negative): a view."""
    shape = input._data.shape
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = canon_dim(dim, len(shape))
    start = int(start)
    size = shape[dim]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but "
                         f"got {start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return Slice.apply(input, dim, start, start + length)


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    return SliceScatter.apply(input, src, canon_dim(dim, input._data.ndim), start, end, step)


# -- diag_embed, diagflat, atleast_nd, tensor_split and friends, tril/triu_indices ---------

def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """The last dim of ``input`` on the ``offset`` diagonal of new dims ``dim1``, ``dim2`` (a
    diagonal_scatter into zeros, so the gradient is the diagonal of g)."""
    x = input._data
    nd = x.ndim + 1
    d1, d2 = _diag_dims(nd, dim1, dim2)
    n = (x.shape[-1] if x.ndim else 1) + abs(offset)
    rest = iter(x.shape[:-1])
    shape = tuple(n if d in (d1, d2) else next(rest) for d in range(nd))
    src = input if x.ndim else input.reshape(1)
    zeros = input._wrap(input._xp.zeros(shape, x.dtype))
    return DiagonalScatter.apply(zeros, src, offset, d1, d2)


def diagflat(input, offset=0):
    return Diag.apply(input.reshape(-1), offset)


def _atleast(nd, tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(_atleast(nd, (t,)) for t in tensors[0])
    if len(tensors) != 1:
        return tuple(_atleast(nd, (t,)) for t in tensors)
    t = tensors[0]
    n = t._data.ndim
    if n >= nd:
        return t
    if n == 0:
        return t.reshape((1,) * nd)
    if nd == 2 or n == 2:   # (m,) -> (1, m) for 2-d; (m, n) -> (m, n, 1) for 3-d
        return t.unsqueeze(0) if nd == 2 else t.unsqueeze(-1)
    return t.reshape(1, -1, 1)


def atleast_1d(*tensors):
    return _atleast(1, tensors)


def atleast_2d(*tensors):
    return _atleast(2, tensors)


def atleast_3d(*tensors):
    return _atleast(3, tensors)


def tensor_split(input, indices_or_sections, dim=0):
    """Views: ``sections`` near-equal parts (the first ``n % sections`` one longer) or the
    pieces between the given ``indices`` (clamped, possibly empty)."""
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor "
                           "with 0 dims")
    d = canon_dim(dim, x.ndim)
    n = x.shape[d]
    ios = indices_or_sections
    if hasattr(ios, "_data"):
        if ios._data.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor, but got a tensor with "
                               f"{ios._data.ndim} dims")
        if ios._data.dtype != np.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype of "
                               f"long, but got {ios.dtype._short}")
        ios = ios.item() if ios._data.ndim == 0 else ios.tolist()
    if isinstance(ios, (int, np.integer)):
        k = int(ios)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        bounds = [i * q + min(i, r) for i in range(k + 1)]
    else:
        bounds = [0] + [int(i) for i in ios] + [n]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        lo = min(max(lo + n if lo < 0 else lo, 0), n)
        hi = min(max(hi + n if hi < 0 else hi, lo), n)
        out.append(Slice.apply(input, d, lo, hi))
    return tuple(out)


def _dir_split(op, input, ios, dim, need):
    nd = input._data.ndim
    if nd < need:
        raise RuntimeError(f"torch.{op} requires a tensor with at least {need} dimension, but got "
                           f"a tensor with {nd} dimensions!")
    if isinstance(ios, (int, np.integer)):
        size = input._data.shape[dim]
        if ios == 0 or size % ios:
            raise RuntimeError(f"torch.{op} attempted to split along dimension {dim}, but the size "
                               f"of the dimension {size} is not divisible by the split_size {ios}!")
    return tensor_split(input, ios, dim)


def hsplit(input, indices_or_sections):
    return _dir_split("hsplit", input, indices_or_sections,
                      0 if input._data.ndim == 1 else 1, 1)


def vsplit(input, indices_or_sections):
    return _dir_split("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    return _dir_split("dsplit", input, indices_or_sections, 2, 3)


def _tri_indices(op, fn, row, col, offset, dtype):
    from .. import _dtype as D
    from .. import _tensor
    dt = D.int64 if dtype is None else dtype
    if dt not in (D.int32, D.int64):
        raise NotImplementedError(f'"{op}" not implemented for \'{dt._short}\'')
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    r, c = fn(row, offset, col)
    return _tensor.Tensor._wrap(np.stack([r, c]).astype(dt.np).reshape(2, -1))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _tri_indices("tril_indices", np.tril_indices, row, col, offset, dtype)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _tri_indices("triu_indices", np.triu_indices, row, col, offset, dtype)


# the families that live in their own files (imported here, below the helpers they build on)
from .diagonal import (  # noqa: E402, I001
    Diag, Diagonal, DiagonalScatter, Tril, Triu, _diag_dims, diag, diagonal, diagonal_scatter,
    tril, triu)
from .rearrange import (  # noqa: E402
    Flip, Repeat, flip, fliplr, flipud, repeat_interleave, roll, rot90, tile)


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

    def ravel(self):
        return Reshape.apply(self, (-1,))

    def unflatten(self, dim, sizes):
        return unflatten(self, dim, sizes)

    def movedim(self, source, destination):
        return movedim(self, source, destination)

    moveaxis = movedim

    def narrow(self, dim, start, length):
        return narrow(self, dim, start, length)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return Diagonal.apply(self, offset, dim1, dim2)

    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
        return DiagonalScatter.apply(self, src, offset, dim1, dim2)

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        return slice_scatter(self, src, dim, start, end, step)

    def diag(self, diagonal=0):
        return Diag.apply(self, diagonal)

    def tril(self, diagonal=0):
        return Tril.apply(self, diagonal)

    def triu(self, diagonal=0):
        return Triu.apply(self, diagonal)

    def tril_(self, diagonal=0):
        return self._inplace(Tril, diagonal)

    def triu_(self, diagonal=0):
        return self._inplace(Triu, diagonal)

    def flip(self, *dims):
        return Flip.apply(self, shape_arg(dims))

    def fliplr(self):
        return fliplr(self)

    def flipud(self):
        return flipud(self)

    def roll(self, shifts, dims=None):
        return roll(self, shifts, dims)

    def rot90(self, k=1, dims=(0, 1)):
        return rot90(self, k, dims)

    def repeat(self, *sizes):
        return Repeat.apply(self, shape_arg(sizes))

    def tile(self, *dims):
        return tile(self, shape_arg(dims))

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        return repeat_interleave(self, repeats, dim, output_size=output_size)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return diag_embed(self, offset, dim1, dim2)

    def diagflat(self, offset=0):
        return diagflat(self, offset)

    def tensor_split(self, indices_or_sections, dim=0):
        return tensor_split(self, indices_or_sections, dim)

    def hsplit(self, indices_or_sections):
        return hsplit(self, indices_or_sections)

    def vsplit(self, indices_or_sections):
        return vsplit(self, indices_or_sections)

    def dsplit(self, indices_or_sections):
        return dsplit(self, indices_or_sections)
