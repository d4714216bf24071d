"""``ember.testing.assert_close``: PyTorch's comparison, its default tolerances per dtype and
its failure message (mismatched share, greatest absolute and relative difference and where)."""
import math

import numpy as np

from . import _dtype as D
from ._tensor import Tensor

__all__ = ["assert_close"]

# (rtol, atol) by dtype, PyTorch's defaults; exact for integers and bool
_TOLS = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7),
         "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


def _as_tensor(x):
    if isinstance(x, Tensor):
        return x
    from ._creation import tensor
    return tensor(x)


def _fmt_index(flat, shape):
    idx = np.unravel_index(flat, shape) if shape else ()
    return "(" + ", ".join(str(int(i)) for i in idx) + ("," if len(idx) == 1 else "") + ")"


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            raise AssertionError(f"The length of the sequences mismatch: {len(actual)} != "
                                 f"{len(expected)}")
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_device=check_device, check_dtype=check_dtype, msg=msg)
        return
    if isinstance(actual, dict) and isinstance(expected, dict):
        if set(actual) != set(expected):
            raise AssertionError(f"The keys of the mappings do not match:\n{sorted(actual)} != "
                                 f"{sorted(expected)}")
        for k in actual:
            assert_close(actual[k], expected[k], rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_device=check_device, check_dtype=check_dtype, msg=msg)
        return
    a, e = _as_tensor(actual), _as_tensor(expected)
    for attr, av, ev in (("shape", a.shape, e.shape),
                         ("device", a.device, e.device) if check_device else ("", 0, 0),
                         ("dtype", a.dtype, e.dtype) if check_dtype else ("", 0, 0)):
        if av != ev:
            text = f"The values for attribute '{attr}' do not match: {_torch_name(av)} != " \
                   f"{_torch_name(ev)}."
            raise AssertionError(msg or text)
    if rtol is None:
        rtol, atol = max((_TOLS.get(t.dtype.name, (0.0, 0.0)) for t in (a, e)))
    x, y = np.asarray(a.detach().cpu().numpy()), np.asarray(e.detach().cpu().numpy())
    if x.dtype != y.dtype:
        common = np.promote_types(x.dtype, y.dtype)
        x, y = x.astype(common), y.astype(common)
    if x.dtype == np.bool_:
        x, y = x.astype(np.int64), y.astype(np.int64)
    with np.errstate(invalid="ignore", over="ignore"):
        ok = np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan) if x.size else \
            np.ones(x.shape, bool)
    if ok.all():
        return
    exact = rtol == 0 and atol == 0
    wide = np.float64 if x.dtype.kind != "c" else np.complex128
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        diff = np.abs(x.astype(wide) - y.astype(wide)).astype(np.float64)
        rel = diff / np.abs(y.astype(wide)).astype(np.float64)
    diff = np.where(ok, 0.0, diff)
    rel = np.where(ok, 0.0, rel)
    bad, n = int((~ok).sum()), x.size
    tol = "" if exact else " (up to {} allowed)"
    if x.ndim == 0:
        av, ev = a.item(), e.item()
        d = abs(av - ev)
        lines = [f"Scalars are not {'equal' if exact else 'close'}!", "",
                 f"Expected {ev} but got {av}.",
                 f"Absolute difference: {d}" + tol.format(atol),
                 f"Relative difference: {d / abs(ev) if ev else math.inf}" + tol.format(rtol)]
        raise AssertionError(msg or "\n".join(lines))
    ia, ir = int(np.argmax(diff.ravel())), int(np.argmax(rel.ravel()))   # a nan counts as largest
    lines = [f"Tensor-likes are not {'equal' if exact else 'close'}!", "",
             f"Mismatched elements: {bad} / {n} ({100 * bad / n:.1f}%)",
             f"Greatest absolute difference: {_num(diff.ravel()[ia], x, True)} at index "
             f"{_fmt_index(ia, x.shape)}" + tol.format(atol),
             f"Greatest relative difference: {_num(rel.ravel()[ir], x, False)} at index "
             f"{_fmt_index(ir, x.shape)}" + tol.format(rtol)]
    raise AssertionError(msg or "\n".join(lines))


def _num(v, x, absolute):
    """A difference as PyTorch prints it: integer inputs' absolute differences as integers,
    float32 (and integer inputs' relative) differences at float32 precision."""
    if x.dtype.kind in "iub" and absolute and math.isfinite(v):
        return str(int(v))
    return repr(float(np.float32(v))) if x.dtype.kind in "iub" or x.dtype == np.float32 \
        else repr(float(v))


def _torch_name(v):
    if isinstance(v, D.dtype):
        return "torch." + v.name
    if hasattr(v, "__class__") and v.__class__.__name__ == "Size":
        return f"torch.Size({list(v)})"
    return str(v)
