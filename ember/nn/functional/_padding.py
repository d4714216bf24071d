"""pad: constant padding is ops.pad's ConstantPadNd; reflect / replicate / circular are index
gathers along each padded dim."""

import numpy as np

from ...ops.pad import ConstantPadNd, pad_pairs
from ._helpers import _const, _lst

__all__ = ['pad']


# -- pad -------------------------------------------------------------------------------------------

_NON_CONSTANT_HELP = ("Supported combinations for non-constant padding:\n"
                      "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                      "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                      "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
_DIM_NAMES = ("D", "H", "W")


def _source_index(mode, n, lo, hi):
    """For each output position along a dim, the input position it copies."""
    pos = np.arange(-lo, n + hi, dtype=np.int64)
    if mode == "reflect":
        pos = np.abs(pos)
        return np.where(pos >= n, 2 * (n - 1) - pos, pos)
    if mode == "replicate":
        return np.clip(pos, 0, n - 1)
    # circular: negative pads crop first, and the wrap is over what is left (as PyTorch)
    start, m = max(-lo, 0), n - max(-lo, 0) - max(-hi, 0)
    return np.arange(-max(lo, 0), m + max(hi, 0), dtype=np.int64) % m + start


def _mode_pad(input, pads, mode):
    shape = tuple(input.shape)
    k = len(pads) // 2
    nd = len(shape)
    if nd not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pads)} is not supported for {nd}D input "
                                  f"tensor.\n{_NON_CONSTANT_HELP}")
    pairs = pad_pairs(pads, nd)
    if mode in ("reflect", "replicate"):
        first = 1 if nd == k + 2 else 0
        if any(s == 0 for s in shape[first:]):
            raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 "
                               f"batch size and other non-zero dimensions for input, but got: "
                               f"{_lst(shape)}")
        if mode == "reflect":
            for d in sorted(pairs):
                lo, hi = pairs[d]
                if lo >= shape[d] or hi >= shape[d]:
                    raise RuntimeError(f"Argument #4: Padding size should be less than the "
                                       f"corresponding input dimension, but got: padding ({lo}, "
                                       f"{hi}) at dimension {d} of input {_lst(shape)}")
        outs = {d: shape[d] + lo + hi for d, (lo, hi) in pairs.items()}
        if any(o < 1 for o in outs.values()):
            names = _DIM_NAMES[3 - k:]
            dims = sorted(pairs)
            ins = ", ".join(f"{nm}: {shape[d]}" for nm, d in zip(names, dims))
            res = " ".join(f"{nm}: {outs[d]}" for nm, d in zip(names, dims))
            raise RuntimeError(f"input ({ins}) is too small. Calculated output {res}")
    else:
        for d, (lo, hi) in pairs.items():
            if lo > shape[d] or hi > shape[d]:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if shape[d] + lo + hi < 0 or (shape[d] + min(lo, 0) + min(hi, 0) <= 0 < lo + hi):
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
    x = input
    for d in sorted(pairs):
        lo, hi = pairs[d]
        if lo or hi:
            x = x.index_select(d, _const(_source_index(mode, shape[d], lo, hi), x))
    return x


def pad(input, pad, mode="constant", value=None):
    pads = [int(p) for p in pad]
    if len(pads) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pads) // 2 > input.dim():
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pads)} and input of dimension "
                           f"{input.dim()}")
    if mode == "constant":
        return ConstantPadNd.apply(input, tuple(pads), 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    return _mode_pad(input, pads, mode)
