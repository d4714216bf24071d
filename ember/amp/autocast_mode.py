"""autocast: inside the context, matrix products and convolutions run in a lower precision
(float16) and losses in float32, as PyTorch's autocast does; everything else keeps the dtypes it
is given. It works by casting the arguments of the listed ops as they are applied (a hook in
``Function.apply``); the casts are ordinary differentiable ``to`` ops, so gradients flow back to
float32 parameters in float32. Backward runs with autocast off (the engine clears the hook).

ember has no bfloat16 (NumPy has none), so the default lower dtype is float16 on every device
(PyTorch's is bfloat16 on the CPU)."""
import functools
import warnings

from .. import _dtype as D
from .._device import cuda_available
from .._tensor import Tensor
from ..autograd import function as _fn
from ..ops import activation as act
from ..ops import conv, linalg, linear, loss, norm, rnn

__all__ = ["autocast", "is_autocast_available", "is_autocast_enabled", "get_autocast_dtype"]

# PyTorch's autocast op lists, for the ops ember has
_LOWER = {linear.Linear, linalg.Mm, linalg.Bmm, linalg.Matmul, linalg.Addmm, conv.Conv,
          conv.ConvTranspose, act.PreluKernel, rnn.LSTMCell, rnn.LSTMLayer, rnn.GRUCell,
          rnn.RNNCell}
_FP32 = {loss.CrossEntropyLoss, loss.NllLoss, loss.BinaryCrossEntropy,
         loss.BinaryCrossEntropyWithLogits, loss.MseLoss, loss.L1Loss, loss.SmoothL1Loss,
         loss.HuberLoss}
_FP32_CUDA = _FP32 | {act.Softmax, act.LogSoftmax, norm.NativeLayerNorm, norm.NativeGroupNorm}
_DEVICES = ("cpu", "cuda")
_STATE = {"cpu": None, "cuda": None}     # device type -> the active lower dtype, or None


def is_autocast_available(device_type):
    return device_type in _DEVICES


def is_autocast_enabled(device_type="cuda"):
    return _STATE.get(device_type) is not None


def get_autocast_dtype(device_type):
    # what autocast would use without a dtype (PyTorch's is bfloat16 on the CPU)
    return D.float16


def _policy(cls, args):
    """``args`` cast for op ``cls`` under the active autocast states."""
    lower = cls in _LOWER
    if not lower and cls not in _FP32_CUDA:
        return args
    out = list(args)
    for i, a in enumerate(args):
        if not isinstance(a, Tensor) or not a.dtype.is_floating_point:
            continue
        dev = a.device.type
        low = _STATE.get(dev)
        if low is None:
            continue
        if lower and a.dtype is not low:
            out[i] = a.to(low)
        elif not lower and a.dtype is D.float16 and cls in (_FP32_CUDA if dev == "cuda" else _FP32):
            out[i] = a.to(D.float32)
    return tuple(out)


class autocast:
    """``with ember.autocast(device_type, dtype=None, enabled=True):`` or as a decorator."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        kind = device_type.split(":")[0]
        if kind not in _DEVICES:
            raise RuntimeError(f"User specified an unsupported autocast device_type '{kind}'")
        self.device = kind
        self.fast_dtype = get_autocast_dtype(kind) if dtype is None else dtype
        if enabled and not self.fast_dtype.is_floating_point:
            raise RuntimeError(f"In autocast, but the target dtype is not supported: "
                               f"{self.fast_dtype}. Disabling autocast.")
        if enabled and kind == "cuda" and not cuda_available():
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.")
            enabled = False
        self._enabled = bool(enabled)

    def __enter__(self):
        self._prev = _STATE[self.device]
        _STATE[self.device] = self.fast_dtype if self._enabled else None
        _fn._AUTOCAST[0] = _policy if any(v is not None for v in _STATE.values()) else None
        return self

    def __exit__(self, *exc):
        _STATE[self.device] = self._prev
        _fn._AUTOCAST[0] = _policy if any(v is not None for v in _STATE.values()) else None
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with self.__class__.__new__(self.__class__)._copy(self):
                return fn(*args, **kwargs)
        return wrapped

    def _copy(self, other):
        # a decorated function may be re-entered: each call gets its own saved state
        self.device, self.fast_dtype, self._enabled = other.device, other.fast_dtype, other._enabled
        return self
