"""Small helpers the functional families share."""
import numpy as np

from ..._tensor import Tensor


def _lst(shape):
    """A shape as PyTorch prints it in messages: [2, 3]."""
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _const(arr, like):
    """A constant NumPy array (indices, weights, masks) as a tensor on ``like``'s device."""
    xp = like._xp
    return Tensor._wrap(arr if xp is np else xp.asarray(arr))


def _host(a):
    """A device array as a NumPy array (host-side index bookkeeping)."""
    return a if isinstance(a, np.ndarray) else a.get()
