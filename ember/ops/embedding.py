"""Embedding lookup: rows of a weight matrix picked by an index tensor. The gradient is a
scatter-add of the output gradient's rows into zeros (written with index_add, so it is itself
differentiable); the padding row gets none, and ``scale_grad_by_freq`` divides each row's
contribution by how often its index occurs in the batch."""
import numpy as np

from ..autograd.function import Function

__all__ = []
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


class Embedding(Function):
    _builtin = True

    # out[..., :] = weight[indices[...], :];  d/dweight = index_add of g's rows at indices
    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        w, idx = weight._data, indices._data
        if idx.size and ((idx < 0) | (idx >= w.shape[0])).any():   # one yes/no (compile)
            raise IndexError("index out of range in self")
        ctx.meta = (tuple(w.shape), padding_idx, scale_grad_by_freq)
        ctx.save_for_backward(indices)
        return weight._xp.take(w, idx, axis=0)

    @staticmethod
    def backward(ctx, g):
        (indices,) = ctx.saved_tensors
        shape, padding_idx, by_freq = ctx.meta
        flat = indices.reshape(-1)
        rows = g.reshape(-1, shape[1])
        if padding_idx is not None and padding_idx >= 0:
            rows = rows.masked_fill((flat == padding_idx).unsqueeze(1), 0)
        if by_freq:
            f = flat._data
            counts = g._xp.bincount(f.astype(np.int64), minlength=shape[0])[f]
            rows = rows / g._wrap(counts.astype(g._data.dtype)[:, None])
        zeros = g._wrap(g._xp.zeros(shape, g._data.dtype))
        return zeros.index_add(0, flat, rows), None, None, None

    @staticmethod
    def onnx(graph, ctx, weight, indices, padding_idx, scale_grad_by_freq):
        return graph.op("Gather", weight, indices, axis=0)


def renorm_(weight, indices, max_norm, norm_type):
    """Scale, in place and outside autograd, the rows of ``weight`` that ``indices`` reach and
    whose ``norm_type``-norm exceeds ``max_norm`` down to that norm (PyTorch's
    embedding_renorm_). Bumps the weight's version as any in-place change does."""
    w = weight._data
    xp = weight._xp
    rows = xp.unique(indices._data.reshape(-1))
    if rows.size == 0:
        return weight
    sub = w[rows]
    a = xp.abs(sub)
    if norm_type == np.inf:
        norms = a.max(1)
    elif norm_type == 0:
        norms = (a != 0).sum(1).astype(w.dtype)
    else:
        norms = (a ** norm_type).sum(1) ** (1.0 / norm_type)
    over = norms > max_norm
    if over.any():
        scale = max_norm / (norms[over] + 1e-7)
        w[rows[over]] = sub[over] * scale[:, None].astype(w.dtype)
        weight._vc.value += 1
    return weight
