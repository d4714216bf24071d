"""PyTorch's tensor repr: ``tensor([1., 2.], requires_grad=True)``.

The layout rules are PyTorch's: one width for every element (chosen from the elements that are
shown), integral-valued floats printed as ``1.``, scientific notation when the magnitudes span
more than 1000x (or leave [1e-4, 1e8]), ``...`` for tensors of more than ``threshold`` elements,
lines wrapped at ``linewidth``, and the suffixes (size, dtype, grad_fn) wrapped the same way.
"""
import contextlib
import math

import numpy as np

from . import _dtype as D

_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80}
_OPTS = dict(_DEFAULTS, sci_mode=None)
_PROFILES = {"default": _DEFAULTS, "short": dict(_DEFAULTS, precision=2, edgeitems=2),
             "full": dict(_DEFAULTS, threshold=math.inf)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Printing options, as ``torch.set_printoptions`` (``sci_mode`` is reset unless given)."""
    if profile is not None:
        _OPTS.update(_PROFILES[profile])
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):
        if v is not None:
            _OPTS[k] = v
    _OPTS["sci_mode"] = sci_mode


def get_printoptions():
    return dict(_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Formats every element of one (real) array to a common width."""

    def __init__(self, vals):
        self.floating = vals.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        prec = _OPTS["precision"]
        if not self.floating:
            self.width = max([1] + [len(str(v)) for v in vals.ravel().tolist()])
            return
        with np.errstate(invalid="ignore"):
            nz = vals[np.isfinite(vals) & (vals != 0)].astype(np.float64)
        if nz.size == 0:
            return
        absv = np.abs(nz)
        lo, hi = float(absv.min()), float(absv.max())
        self.int_mode = bool((nz == np.ceil(nz)).all())
        sci = _OPTS["sci_mode"]
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if sci is None else sci
        items = nz.tolist()
        if self.sci_mode:
            self.width = max(len(f"{v:.{prec}e}") for v in items)
        elif self.int_mode:
            self.width = max(len(f"{v:.0f}") for v in items) + 1   # + 1 for the "."
        else:
            self.width = max(len(f"{v:.{prec}f}") for v in items)

    def format(self, v):
        if not self.floating:
            s = str(v)
        elif self.sci_mode:
            s = f"{v:{self.width}.{_OPTS['precision']}e}"
        elif self.int_mode:
            s = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            s = f"{v:.{_OPTS['precision']}f}"
        return s.rjust(self.width)


def _element(v, f1, f2):
    if f2 is None:
        return f1.format(v)
    re, im = f1.format(v.real), (f2.format(v.imag) + "j").lstrip()
    return re + im if im[0] in "+-" else re + "+" + im


def _summarized(arr):
    """The elements a summarised print shows (the first and last ``edgeitems`` of each dim)."""
    edge = _OPTS["edgeitems"]
    if arr.ndim == 0:
        return arr
    if edge == 0:
        return arr if arr.ndim == 1 else arr[(slice(0, 0),) * arr.ndim]
    for d, n in enumerate(arr.shape):
        if n > 2 * edge:
            arr = np.take(arr, np.r_[0:edge, n - edge:n], axis=d)
    return arr


def _vector_str(arr, indent, summarize, f1, f2):
    edge = _OPTS["edgeitems"]
    width = f1.width + 2 + (f2.width + 1 if f2 is not None else 0)
    per_line = max(1, math.floor((_OPTS["linewidth"] - indent) / width))
    vals = arr.tolist()
    if summarize and not edge:
        data = ["..."]
    elif summarize and len(vals) > 2 * edge:
        data = ([_element(v, f1, f2) for v in vals[:edge]] + [" ..."] +
                [_element(v, f1, f2) for v in vals[-edge:]])
    else:
        data = [_element(v, f1, f2) for v in vals]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(arr, indent, summarize, f1, f2):
    if arr.ndim == 0:
        return _element(arr.item(), f1, f2)
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, f1, f2)
    edge, n = _OPTS["edgeitems"], arr.shape[0]
    if summarize and n > 2 * edge:
        rows = ([_nested_str(arr[i], indent + 1, summarize, f1, f2) for i in range(edge)] +
                ["..."] +
                [_nested_str(arr[i], indent + 1, summarize, f1, f2) for i in range(n - edge, n)])
    else:
        rows = [_nested_str(a, indent + 1, summarize, f1, f2) for a in arr]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _tensor_str(arr, indent):
    if arr.size == 0:
        return "[]"
    summarize = arr.size > _OPTS["threshold"]
    shown = _summarized(arr) if summarize else arr
    if arr.dtype.kind == "c":
        f1, f2 = _Formatter(shown.real), _Formatter(shown.imag)
    else:
        f1, f2 = _Formatter(shown), None
    return _nested_str(arr, indent, summarize, f1, f2)


def _add_suffixes(text, suffixes, indent):
    """Append ``, suffix`` items, starting a new line where one would pass ``linewidth``."""
    out = [text]
    last = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > _OPTS["linewidth"]:
            out.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            out.append(", " + s)
            last += len(s) + 2
    out.append(")")
    return "".join(out)


def tensor_repr(t, prefix=None):
    if prefix is None:
        plain = type(t).__name__ in ("Tensor", "Parameter")
        prefix = "tensor(" if plain else f"{type(t).__name__}("
    arr = t._data if t._xp is np else t._data.get()
    indent = len(prefix)
    dt = t.dtype
    default = D.get_default_dtype()
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if arr.size == 0:
        body = "[]"
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if dt is not default:   # nothing shows an empty tensor's dtype: name it
            suffixes.append(f"dtype={dt!r}")
    else:
        if not _OPTS["edgeitems"]:
            suffixes.append(f"size={tuple(arr.shape)}")
        if dt not in (default, default.to_complex(), D.int64, D.bool):
            suffixes.append(f"dtype={dt!r}")
        body = _tensor_str(arr, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
