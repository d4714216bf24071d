"""PyTorch's tensor repr: ``tensor([1., 2.], requires_grad=True)``."""
import numpy as np

from . import _dtype as D

_OPTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    if profile == "default":
        _OPTS.update(precision=4, threshold=1000, edgeitems=3, linewidth=80)
    elif profile == "short":
        _OPTS.update(precision=2, threshold=1000, edgeitems=2, linewidth=80)
    elif profile == "full":
        _OPTS.update(precision=4, threshold=float("inf"), edgeitems=3, linewidth=80)
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):
        if v is not None:
            _OPTS[k] = v
    _OPTS["sci_mode"] = sci_mode


def _float_formatter(values):
    """One formatter for all elements, chosen as PyTorch's _Formatter does."""
    prec = _OPTS["precision"]
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.0f}."
    nz = np.abs(finite[finite != 0])
    int_mode = bool(np.all(finite == np.ceil(finite)))
    sci = _OPTS["sci_mode"]
    if nz.size:
        mx, mn = float(nz.max()), float(nz.min())
        if sci is None:
            sci = mx / mn > 1000.0 or mx > 1.0e8 or (not int_mode and mn < 1.0e-4)
    else:
        sci = bool(sci)
    if int_mode and not sci:
        return lambda v: _special(v) or f"{v:.0f}."
    if sci:
        return lambda v: _special(v) or f"{v:.{prec}e}"
    return lambda v: _special(v) or f"{v:.{prec}f}"


def _special(v):
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def _formatter(arr):
    kind = arr.dtype.kind
    if kind == "b":
        return lambda v: "True" if v else "False"
    if kind in "iu":
        return lambda v: str(int(v))
    if kind == "c":
        fr = _float_formatter(arr.real.astype(np.float64).ravel())
        fi = _float_formatter(arr.imag.astype(np.float64).ravel())
        return lambda v: f"{fr(v.real)}{'+' if v.imag >= 0 or np.isnan(v.imag) else '-'}" \
                         f"{fi(abs(v.imag))}j"
    return _float_formatter(arr.astype(np.float64).ravel())


def _summary_values(arr, edge):
    """The elements that will be printed (the corners of a summarised tensor)."""
    if arr.ndim == 0:
        return arr.reshape(1)
    if arr.shape[0] > 2 * edge:
        arr = np.concatenate([arr[:edge], arr[-edge:]])
    return np.concatenate([_summary_values(a, edge).ravel() for a in arr]) if arr.ndim > 1 \
        and len(arr) else arr.ravel()


def _fmt(arr, fmt, width, indent, summarize):
    edge = _OPTS["edgeitems"]
    if arr.ndim == 0:
        return fmt(arr.item()).rjust(width)
    if arr.ndim == 1:
        items = [fmt(v).rjust(width) for v in (arr.tolist() if arr.dtype.kind != "c" else arr)]
        if summarize and arr.shape[0] > 2 * edge:
            items = items[:edge] + ["..."] + items[-edge:]
        per_line = max(1, (_OPTS["linewidth"] - indent) // (width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    n = arr.shape[0]
    idx = list(range(n))
    if summarize and n > 2 * edge:
        idx = idx[:edge] + [None] + idx[-edge:]
    parts = [("..." if i is None else _fmt(arr[i], fmt, width, indent + 1, summarize))
             for i in idx]
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def tensor_repr(t, prefix="tensor("):
    arr = t._data if t._xp is np else t._data.get()
    indent = len(prefix)
    summarize = arr.size > _OPTS["threshold"]
    suffixes = []
    if arr.size == 0 and arr.shape != (0,):
        body = "[]"
        suffixes.append(f"size={tuple(arr.shape)}")
    else:
        vals = _summary_values(arr, _OPTS["edgeitems"]) if summarize else arr.ravel()
        fmt = _formatter(vals)
        width = max((len(fmt(v)) for v in (vals.tolist() if vals.dtype.kind != "c" else vals)),
                    default=1)
        body = _fmt(arr, fmt, width, indent, summarize)
    dt = t.dtype
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if not (dt is D.get_default_dtype() or dt is D.int64 or dt is D.bool or
            (dt is D.get_default_dtype().to_complex())) or (arr.size == 0 and dt is D.int64 and
                                                             False):
        suffixes.append(f"dtype={dt!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    out = prefix + body
    for s in suffixes:
        out += ", " + s
    return out + ")"
