"""Variable-length sequences: pad_sequence / unpad_sequence, and PackedSequence with
pack_padded_sequence / pad_packed_sequence / pack_sequence / unpack_sequence (torch's layout:
the time steps' rows back to back, ``batch_sizes[t]`` sequences still running at step t).
Packing and unpacking are one gather / one scatter-add each, so gradients flow through them."""
from typing import NamedTuple

import numpy as np

from ... import _creation
from ... import _dtype as D
from ..._tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


def _host(t):
    a = t._data if isinstance(t, Tensor) else np.asarray(t)
    return a if isinstance(a, np.ndarray) else a.get()


def _on(arr, like):
    xp = like._xp
    return Tensor._wrap(arr if xp is np else xp.asarray(arr))


class PackedSequence(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor = None
    unsorted_indices: Tensor = None

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        def move(t):
            return t if t is None else t.to(data.device)
        return type(self)(data, self.batch_sizes, move(self.sorted_indices),
                          move(self.unsorted_indices))

    def cpu(self):
        return self.to("cpu")

    def cuda(self, *args, **kwargs):
        return self.to("cuda")

    def float(self):
        return self.to(dtype=D.float32)

    def double(self):
        return self.to(dtype=D.float64)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    if permutation is None:
        return None
    p = _host(permutation)
    out = np.empty_like(p)
    out[p] = np.arange(p.size, dtype=p.dtype)
    return _on(out, permutation)


def _steps_mask(lengths, T):
    """mask[t, b]: sequence b is still running at step t."""
    return np.arange(T)[:, None] < lengths[None, :]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    lengths = _host(lengths).astype(np.int64).reshape(-1)
    sorted_indices = None
    if enforce_sorted:
        if np.any(lengths[1:] > lengths[:-1]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                               "pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = _on(order, input)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if batch_first:
        input = input.transpose(0, 1)
    T, B = input.shape[:2]
    if lengths.size != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lengths.size} (batch_size={B})")
    if lengths.size and lengths.max() > T:
        raise RuntimeError(f"ember: a length ({int(lengths.max())}) exceeds the padded sequence "
                           f"length ({T})")
    mask = _steps_mask(lengths, int(lengths.max()) if lengths.size else 0)
    rows = np.flatnonzero(mask.reshape(-1))          # time-major, as the steps run
    flat = input.reshape(T * B, *input.shape[2:])
    data = flat.index_select(0, _on(rows, input))
    batch_sizes = _creation.tensor(mask.sum(1).astype(np.int64))
    return PackedSequence(data, batch_sizes, sorted_indices, invert_permutation(sorted_indices))


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    batch_sizes = _host(sequence.batch_sizes).astype(np.int64)
    T = batch_sizes.size
    if total_length is not None:
        if total_length < T:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {T}")
        T = total_length
    B = int(batch_sizes[0]) if batch_sizes.size else 0
    lengths = (np.arange(B)[None, :] < batch_sizes[:, None]).sum(0)
    mask = _steps_mask(lengths, T)
    data = sequence.data
    rest = tuple(data.shape[1:])
    base = np.where(mask, 0.0, padding_value).reshape((T * B,) + (1,) * len(rest))
    base = np.broadcast_to(base, (T * B,) + rest).astype(data._data.dtype)
    out = _on(np.ascontiguousarray(base), data).index_add(
        0, _on(np.flatnonzero(mask.reshape(-1)), data), data).reshape(T, B, *rest)
    if batch_first:
        out = out.transpose(0, 1)
    lengths_t = _creation.tensor(lengths)
    if sequence.unsorted_indices is not None:
        out = out.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths_t = _creation.tensor(lengths[_host(sequence.unsorted_indices)])
    return out, lengths_t


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of different lengths (dim 0) into (T, B, *) or (B, T, *), padded."""
    from ... import stack
    from ..functional import pad
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    try:
        sequences = tuple(sequences)
    except TypeError:
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of "
                           f"type: {type(sequences)}") from None
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    T = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:   # a loop over the sequences of a batch, each padded in one op
        extra = T - s.shape[0]
        where = [extra, 0] if padding_side == "left" else [0, extra]
        padded.append(pad(s, [0, 0] * (s.dim() - 1) + where, value=padding_value)
                      if extra else s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, _host(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    lengths = [v.size(0) for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
