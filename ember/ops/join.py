"""Joining and splitting: cat, stack, hstack, vstack, unbind, split, chunk.

The splitting ops return views of the input, one Function with many outputs; the joining
ops copy. Each is the other's backward."""
import warnings

import numpy as np

from .. import _dtype as D
from .. import _tensor
from ..autograd.function import Function
from ._number import index
from ._util import canon_dim

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "unbind",
           "split", "chunk", "meshgrid", "column_stack", "row_stack", "block_diag", "cartesian_prod",
           "kron", "JoinMethods"]
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


def _tensor_list(tensors, op):
    if isinstance(tensors, _tensor.Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, _tensor.Tensor):
            raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                            f"but found element of type {type(t).__name__} at pos {i}")
    return tuple(tensors)


def _slicer(dim, start, stop):
    return (slice(None),) * dim + (slice(start, stop),)


class Cat(Function):
    _builtin = True

    # d cat = the slice of g that each input filled
    @staticmethod
    def forward(ctx, dim, *tensors):
        # PyTorch still skips legacy empty 1-d inputs of shape (0,) when the others differ.
        parts = [t for t in tensors if not (t._data.shape == (0,) and t._data.ndim == 1)] \
            or [tensors[0]]
        ref = parts[0]._data
        nd = ref.ndim
        if nd == 0:
            raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
        dim = canon_dim(dim, nd)
        for i, t in enumerate(parts):
            x = t._data
            if x.ndim != nd:
                raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and "
                                   f"{x.ndim}")
            for d in range(nd):
                if d != dim and x.shape[d] != ref.shape[d]:
                    raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. "
                                       f"Expected size {ref.shape[d]} but got size {x.shape[d]} "
                                       f"for tensor number {i} in the list.")
        dt = D.result_type_of(tensors) if len({t._data.dtype for t in tensors}) > 1 else None
        arrays = [t._data if dt is None else t._data.astype(dt.np) for t in parts]
        ctx.dim = dim
        kept = {id(t) for t in parts}
        ctx.sizes = [t._data.shape[dim] if id(t) in kept else None for t in tensors]
        return parts[0]._xp.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads, start = [None], 0
        for size, need in zip(ctx.sizes, ctx.needs_input_grad[1:]):
            if size is None:
                grads.append(_tensor.Tensor._wrap(g._xp.zeros((0,), g._data.dtype)) if need
                             else None)
                continue
            grads.append(g[_slicer(ctx.dim, start, start + size)] if need else None)
            start += size
        return tuple(grads)

    @staticmethod
    def onnx(graph, ctx, dim, *tensors):
        dt = graph.out[0].dtype
        parts = [graph.cast(t, dt) for t in tensors if t.shape != (0,)] or [graph.cast(tensors[0], dt)]
        return graph.op("Concat", *parts, axis=ctx.dim) if len(parts) > 1 else graph.op("Identity", parts[0])


class Split(Function):
    _builtin = True

    # d split = cat of the pieces' gradients (zeros for pieces that got none)
    @staticmethod
    def forward(ctx, a, sizes, dim):
        x = a._data
        dim = canon_dim(dim, x.ndim)
        ctx.dim = dim
        outs, start = [], 0
        for s in sizes:
            outs.append(a._view_of(x[_slicer(dim, start, start + s)]))
            start += s
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        return cat(grads, ctx.dim), None, None

    @staticmethod
    def onnx(graph, ctx, a, sizes, dim):
        d = ctx.dim
        if a.dyn[d] and len(sizes) > 1 and len(set(sizes)) == 1:
            # equal pieces of a dynamic dim: split evenly at run time
            if graph.opset >= 18:
                return graph.op("Split", a, axis=d, num_outputs=len(sizes), outputs=len(sizes))
            return graph.op("Split", a, axis=d, outputs=len(sizes))
        return tuple(graph.split(a, sizes, d))


class Unbind(Function):
    _builtin = True

    # d unbind = stack of the slices' gradients
    @staticmethod
    def forward(ctx, a, dim):
        x = a._data
        dim = canon_dim(dim, x.ndim)
        ctx.dim = dim
        return tuple(a._view_of(x[(slice(None),) * dim + (i,)]) for i in range(x.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        return stack(grads, ctx.dim), None

    @staticmethod
    def onnx(graph, ctx, a, dim):
        d = ctx.dim
        return tuple(graph.squeeze(p, [d]) for p in graph.split(a, [1] * a.shape[d], d))


def cat(tensors, dim=0, *, out=None):
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")  # PyTorch's type
    return Cat.apply(dim, *tensors)


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(t._data.shape)} at entry {i}")
    dim = canon_dim(dim, len(shape) + 1)
    return cat([t.unsqueeze(dim) for t in tensors], dim)


def hstack(tensors):
    tensors = [t if t._data.ndim else t.reshape(1) for t in _tensor_list(tensors, "hstack")]
    return cat(tensors, 0 if tensors and tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    tensors = [t.reshape(1, -1) if t._data.ndim < 2 else t
               for t in _tensor_list(tensors, "vstack")]
    return cat(tensors, 0)


def dstack(tensors):
    out = []
    for t in _tensor_list(tensors, "dstack"):
        if t._data.ndim < 2:
            t = t.reshape(1, -1, 1)
        elif t._data.ndim == 2:
            t = t.unsqueeze(-1)
        out.append(t)
    return cat(out, 2)


def unbind(input, dim=0):
    if input._data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    return Unbind.apply(input, dim)


def split(tensor, split_size_or_sections, dim=0):
    x = tensor._data
    if x.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    n = x.shape[canon_dim(dim, x.ndim)]
    split_size_or_sections = index(split_size_or_sections)
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got "
                               f"split_size={size}")
        if size == 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = [min(size, n - s) for s in range(0, n, size)] if n else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {dim}), but got "
                               f"split_sizes={sizes}")
    return Split.apply(tensor, sizes, dim)


def chunk(input, chunks, dim=0):
    chunks = index(chunks)
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    n = x.shape[canon_dim(dim, x.ndim)]
    return split(input, -(-n // chunks), dim) if n else split(input, [0] * chunks, dim)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids: the i-th output is the i-th 1-d input viewed along its own dim and
    expanded (no copy) over the others; 'xy' swaps the first two dims."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for i, t in enumerate(tensors):
        if not isinstance(t, _tensor.Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("xy", "ij"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")
    if any(t.dtype is not tensors[0].dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t}")
    pos = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        pos[0], pos[1] = 1, 0
    sizes = [t._data.size for t in tensors]
    shape = [0] * len(tensors)
    for p, n in zip(pos, sizes):
        shape[p] = n
    out = []
    for p, t, n in zip(pos, tensors, sizes):
        view = [1] * len(tensors)
        view[p] = n
        out.append(t.reshape(view).expand(*shape))
    return tuple(out)


def column_stack(tensors):
    tensors = _tensor_list(tensors, "column_stack")
    if not tensors:
        raise RuntimeError("column_stack expects a non-empty TensorList")
    return cat([t.reshape(-1, 1) if t._data.ndim < 2 else t for t in tensors], 1)


row_stack = vstack


def block_diag(*tensors):
    """The inputs (0-d as 1x1, 1-d as a row) on the diagonal of a zero matrix, in their common
    dtype: each block row is [zeros, block, zeros], the rows stacked (cat carries the grads)."""
    for i, t in enumerate(tensors):
        if not isinstance(t, _tensor.Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
        if t._data.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t._data.ndim} dimensions")
    if not tensors:
        return _tensor.Tensor._wrap(np.zeros((1, 0), D.get_default_dtype().np))
    dt = D.result_type_of(tensors)
    mats = [t.reshape(1, -1) if t._data.ndim < 2 else t for t in tensors]
    mats = [m if m.dtype is dt else m.to(dt) for m in mats]
    total = sum(m._data.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        r, c = m._data.shape
        parts = [m._wrap(np.zeros((r, left), dt.np)), m,
                 m._wrap(np.zeros((r, total - left - c), dt.np))]
        rows.append(cat(parts, 1))
        left += c
    return cat(rows, 0)


def cartesian_prod(*tensors):
    for t in tensors:
        if isinstance(t, _tensor.Tensor) and t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def kron(input, other):
    """Kronecker product: both padded to the same rank, interleaved as (a0, 1, a1, 1, ...) times
    (1, b0, 1, b1, ...), then each pair of dims merged (a broadcast multiply carries grads)."""
    na, nb = input._data.ndim, other._data.ndim
    n = max(na, nb)
    sa = (1,) * (n - na) + input._data.shape
    sb = (1,) * (n - nb) + other._data.shape
    a = input.reshape([v for s in sa for v in (s, 1)])
    b = other.reshape([v for s in sb for v in (1, s)])
    return (a * b).reshape([x * y for x, y in zip(sa, sb)])


class JoinMethods:
    """Tensor methods of this family."""

    __slots__ = ()

    def unbind(self, dim=0):
        return unbind(self, dim)

    def split(self, split_size, dim=0):
        return split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return chunk(self, chunks, dim)

    def kron(self, other):
        return kron(self, other)
