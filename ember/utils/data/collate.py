"""default_collate and default_convert: samples → batches, NumPy → ember tensors.

The nested-structure rules are PyTorch's: tensors are stacked along a new first dimension,
NumPy arrays and scalars become tensors, Python floats float64 tensors, ints int64 tensors,
strings stay lists; tuples come back as lists, namedtuples, dicts and other sequences keep
their type; ``collate(batch, collate_fn_map=...)`` lets a user add rules for their own types.
"""
import collections.abc
import copy
import re

import numpy as np

from ..._creation import as_tensor, from_numpy, tensor
from ..._dtype import float64
from ..._tensor import Tensor
from ...ops.join import stack

__all__ = ["default_collate", "default_convert", "collate", "default_collate_fn_map"]

# NumPy dtype strings of bytes, unicode, void and object arrays: not convertible to tensors
_STR_OBJ = re.compile(r"[SaUVO]")

default_collate_err_msg_format = ("default_collate: batch must contain tensors, numpy arrays, "
                                  "numbers, dicts or lists; found {}")


def default_convert(data):
    """NumPy arrays and scalars inside ``data`` become tensors; everything else is kept."""
    kind = type(data)
    if isinstance(data, Tensor):
        return data
    if kind.__module__ == "numpy" and kind.__name__ not in ("str_", "bytes_", "string_"):
        if isinstance(data, np.ndarray) and _STR_OBJ.search(data.dtype.str):
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {k: default_convert(data[k]) for k in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return kind(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_mapping(like, values):
    """A mapping of ``like``'s type holding ``values`` (a plain dict when the type won't)."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            out = copy.copy(like)  # keeps a subclass's extra attributes
            out.update(values)
            return out
        return type(like)(values)
    except TypeError:
        return values


def _rebuild_sequence(like, values):
    try:
        if isinstance(like, collections.abc.MutableSequence):
            out = copy.copy(like)
            for i, v in enumerate(values):
                out[i] = v
            return out
        return type(like)(values)
    except TypeError:  # e.g. range
        return values


def collate(batch, *, collate_fn_map=None):
    """Collate a list of samples, dispatching on the first sample's type through
    ``collate_fn_map`` (type or tuple of types → ``fn(batch, *, collate_fn_map)``) and
    recursing into mappings, namedtuples and sequences."""
    elem = batch[0]
    kind = type(elem)
    if collate_fn_map is not None:
        fn = collate_fn_map.get(kind)
        if fn is not None:
            return fn(batch, collate_fn_map=collate_fn_map)
        for types, fn in collate_fn_map.items():
            if isinstance(elem, types):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {k: collate([d[k] for d in batch], collate_fn_map=collate_fn_map)
                                       for k in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return kind(*(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        return _rebuild_sequence(elem, columns)
    raise TypeError(default_collate_err_msg_format.format(kind))


def _same_arrays(arrays):
    """True when ``arrays`` are NumPy arrays of one shape and dtype (np.stack can take them
    as they are, with no promotion and no error)."""
    a0 = arrays[0]
    if type(a0) is not np.ndarray:
        return False
    shape, dt = a0.shape, a0.dtype
    return all(type(a) is np.ndarray and a.shape == shape and a.dtype == dt for a in arrays)


def collate_tensor_fn(batch, *, collate_fn_map=None):
    # The common case (plain Tensors, no autograd history, NumPy arrays alike) is one
    # np.stack; otherwise ember.stack keeps the graph and a subclass's class, promotes dtypes
    # and reports size mismatches as PyTorch.
    if type(batch[0]) is Tensor and not any(t.requires_grad for t in batch):
        arrays = [t._data for t in batch]
        if _same_arrays(arrays):
            return from_numpy(_stack_np(arrays))
    return stack(batch, 0)


def _stack_np(arrays):
    """np.stack of same-shape, same-dtype arrays. A tiny batch goes through np.array, a few
    times cheaper than np.stack's Python wrapper (which small-batch training steps feel)."""
    if len(arrays) * arrays[0].size <= 4096:
        return np.array(arrays)
    return np.stack(arrays)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if _STR_OBJ.search(elem.dtype.str):
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    if _same_arrays(batch):
        return from_numpy(_stack_np(batch))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return as_tensor(np.array(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    return tensor(batch, dtype=float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    return tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Stack a list of samples into a batch (see the module docstring for the rules)."""
    return collate(batch, collate_fn_map=default_collate_fn_map)
