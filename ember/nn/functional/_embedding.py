"""embedding, embedding_bag and one_hot (the gathers of ops.embedding), with PyTorch's checks."""
import warnings

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor
from ...ops.embedding import Embedding as _Embedding
from ...ops.embedding import renorm_ as _renorm_
from ._helpers import _const, _host

__all__ = ['embedding', 'embedding_bag', 'one_hot']


# -- embedding and one_hot ------------------------------------------------------------------------

def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` at ``input``. ``sparse=True`` is accepted but the gradient is dense."""
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.size(0) + padding_idx
    else:
        padding_idx = -1
    if input.dtype not in (D.int64, D.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got "
                           f"torch.{input.dtype._short}Tensor instead (while checking arguments "
                           f"for embedding)")
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    if max_norm is not None:
        _renorm_(weight, input, max_norm, norm_type)
    return _Embedding.apply(weight, input, padding_idx, bool(scale_grad_by_freq))


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """Sums, means or maxima of bags of embedding rows. Bags are contiguous runs of ``input``
    (rows of a 2-d input, or runs starting at ``offsets``); the rows go into their bags with one
    index_add (sum, mean) or through a dense (bags, longest bag) gather (max)."""
    if weight.dtype == D.int64 and input.is_floating_point():
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage "
                      "`embedding_bag(weight, input, ...)` is deprecated, and should now be "
                      "`embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is "
                         f"not None, then it must have the same shape as the input "
                         f"({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated is "
                             f"a mini-batch of fixed length sequences. However, found offsets of "
                             f"type {type(offsets)}")
        starts = np.arange(0, input.numel(), max(input.shape[1], 1), dtype=np.int64)
        if input.shape[1] == 0:
            starts = np.zeros(input.shape[0], np.int64)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = _host(offsets._data).astype(np.int64)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    n = input.numel()
    if starts.size and starts[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {int(starts[0])}")
    if starts.size and starts[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got "
                           f"offsets[-1] of {int(starts[-1])}")
    if include_last_offset:
        ends, starts = starts[1:], starts[:-1]
    else:
        ends = np.append(starts[1:], n)
    B, Dm = starts.size, weight.shape[1]
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    rows = embedding(input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)
    counts = ends - starts
    bag = np.repeat(np.arange(B, dtype=np.int64), counts)
    keep = np.ones(bag.size, bool) if padding_idx is None else \
        _host(input._data)[:bag.size] != padding_idx
    if mode == "max":
        pos = np.arange(bag.size) - np.repeat(starts, counts)
        longest = int(counts.max()) if B else 0
        dense = np.full((B, max(longest, 1)), bag.size, np.int64)   # bag.size: a -inf row
        dense[bag[keep], pos[keep]] = np.arange(bag.size)[keep]
        from ... import cat
        fill = rows.new_full((1, Dm), -np.inf)
        table = cat([rows[:bag.size], fill])
        out = table.index_select(0, _const(dense.reshape(-1), rows)).reshape(B, -1, Dm).amax(1)
        empty = np.bincount(bag[keep], minlength=B) == 0
        return out.masked_fill(_const(empty[:, None], out), 0) if empty.any() else out
    rows = rows[:bag.size]
    if not keep.all():   # padding entries take no part in a bag
        rows = rows.masked_fill(_const(~keep[:, None], rows), 0)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights[:bag.size].unsqueeze(1)
    out = rows.new_zeros((B, Dm)).index_add(0, _const(bag, rows), rows)
    if mode == "mean":
        sizes = np.maximum(np.bincount(bag[keep], minlength=B), 1).astype(rows._data.dtype)
        out = out / _const(sizes[:, None], out)
    return out


def one_hot(tensor, num_classes=-1):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"one_hot(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    if tensor.dtype != D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    idx = tensor._data
    xp = tensor._xp
    if idx.size == 0:
        if num_classes == -1:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
    else:
        if int(idx.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if num_classes == -1:
            num_classes = int(idx.max()) + 1
        elif int(idx.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = (idx[..., None] == xp.arange(num_classes)).astype(np.int64)
    return Tensor._wrap(out)
