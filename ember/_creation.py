"""Tensor creation: from data, filled, ranges and random draws.

Random draws come from ember's Generators (``_random``, PyTorch's MT19937 stream on the CPU)
through the samplers of ``_sampling``, so ``manual_seed(s)`` gives PyTorch's numbers.
"""
import builtins
import math

import numpy as np

from . import _arrays
from . import _dtype as D
from . import _sampling as S
from ._arrays import _check_python_values, _checked, _infer, _item
from ._device import to_device, xp_for
from ._random import bernoulli_p_check, random_bounds, rng
from ._random import not_implemented as _not_implemented
from ._tensor import Tensor
from .autograd.function import Function
from .ops._util import shape_arg

__all__ = ["tensor", "as_tensor", "from_numpy", "asarray", "zeros", "ones", "full", "empty",
           "zeros_like", "ones_like", "full_like", "empty_like", "eye", "arange", "linspace",
           "logspace", "rand", "randn", "rand_like", "randn_like", "randint", "randint_like",
           "randperm", "normal", "bernoulli", "multinomial", "poisson"]

_GRAD_MSG = "Only Tensors of floating point and complex dtype can require gradients"


def _grad(t, requires_grad):
    if requires_grad:
        if t._data.dtype.kind not in "fc":
            raise RuntimeError(_GRAD_MSG)
        t._rg = True
    return t


def _shape(args, size=None, op=None):
    """The shape from f(2, 3) / f((2, 3)) / f(size=...), rejecting negative sizes as PyTorch."""
    if not args and size is None:
        raise TypeError(f'{op}() missing 1 required positional arguments: "size"')
    shape = shape_arg(args if size is None else (size,))
    for s in shape:
        if s < 0:
            if op == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
    return shape


# -- from data -----------------------------------------------------------------------------------
def _finish(arr, dtype, device, requires_grad, copy):
    return _grad(Tensor._wrap(_arrays.on_device(arr, dtype, device, copy)), requires_grad)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (lists, numbers, arrays or tensors)."""
    arr, dt = _infer(data)
    dt = D.to_dtype(dtype) or dt
    if not isinstance(data, (Tensor, np.ndarray, np.generic)):
        _check_python_values(arr, dt)
    return _finish(arr, dt, device, requires_grad, copy=True)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a Tensor or NumPy array where it can."""
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device) if (dtype or device) else data
    arr, dt = _infer(data)
    dt = D.to_dtype(dtype) or dt
    if not isinstance(data, (np.ndarray, np.generic)):
        _check_python_values(arr, dt)
    return _finish(arr, dt, device, False, copy=False)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """Shares memory with ``obj`` where it can (unless ``copy=True``)."""
    if isinstance(obj, Tensor) and not copy and not requires_grad:
        return obj.to(dtype=dtype, device=device) if (dtype or device) else obj
    arr, dt = _infer(obj._data if isinstance(obj, Tensor) else obj)
    return _finish(arr, D.to_dtype(dtype) or dt, device, requires_grad, copy=bool(copy))


def from_numpy(ndarray):
    """A tensor sharing memory with ``ndarray``."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_numpy_dtype(ndarray.dtype)
    return Tensor._wrap(ndarray)


# -- filled ----------------------------------------------------------------------------------------
def _filled(fill, shape, dtype, device, requires_grad):
    return _grad(Tensor._wrap(_arrays.filled(fill, shape, dtype, device)), requires_grad)


def zeros(*args, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    return _filled(0, _shape(args, size, "zeros"), dtype, device, requires_grad)


def ones(*args, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    return _filled(1, _shape(args, size, "ones"), dtype, device, requires_grad)


def empty(*args, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None):
    # zero-filled rather than uninitialised: reproducible, and the cost is negligible
    return _filled(0, _shape(args, size, "empty"), dtype, device, requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    fill_value = _item(fill_value)
    if dtype is None:
        dtype = D.scalar_dtype(fill_value)
    return _filled(fill_value, _shape((size,)), dtype, device, requires_grad)


def _like(fill, input, dtype, device, requires_grad):
    return _filled(fill, input._data.shape, dtype or input.dtype,
                   device if device is not None else input.device, requires_grad)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None, pin_memory=False):
    return _like(0, input, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None, pin_memory=False):
    return _like(1, input, dtype, device, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None, pin_memory=False):
    return _like(0, input, dtype, device, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None, pin_memory=False):
    return _like(_item(fill_value), input, dtype, device, requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
        pin_memory=False):
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dt = D.to_dtype(dtype) or D.get_default_dtype()
    return _grad(Tensor._wrap(xp_for(to_device(device)).eye(n, m, dtype=dt.np)), requires_grad)


# -- ranges ----------------------------------------------------------------------------------------
def _tdiv(a, b):
    """C's integer division (truncating toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    """Values from ``start`` to ``end`` (exclusive) by ``step``, sized and computed as PyTorch
    does: the count in double precision, the values as ``start + i * step`` in the dtype's
    accumulate type (integers truncate ``start`` and ``step`` first)."""
    if end is None:
        start, end = 0, start
    start, end, step = _item(start), _item(end), _item(step)
    if dtype is None:
        dtype = D.get_default_dtype() if any(isinstance(v, float) for v in (start, end, step)) \
            else D.int64
    dt = D.to_dtype(dtype)
    if dt.category in (D._BOOL, D._COMPLEX):
        raise _not_implemented("arange_cpu", dt)
    # validated in double on the values as given, then (integer dtypes) truncated
    ds, de, dst = (builtins.float(v) for v in (start, end, step))
    if dst == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(ds) and math.isfinite(de)):
        raise RuntimeError(f"unsupported range: {ds:g} -> {de:g}")
    if not ((dst > 0 and de >= ds) or (dst < 0 and de <= ds)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dt.category == D._INT:
        xs, xe, xst = (_checked(v, D.int64) for v in (start, end, step))
        if dt is D.int64:
            if xst == 0:
                raise ValueError("step must be nonzero")
            n = _tdiv(xe - xs + xst - (1 if xst > 0 else -1), xst)
        else:
            n = math.ceil((de - ds) / dst)
        arr = xs + xst * np.arange(builtins.max(n, 0), dtype=np.int64)
    else:
        n = builtins.max(0, math.ceil((de - ds) / dst))
        arr = ds + dst * np.arange(n, dtype=np.float64)
    return _finish(arr, dt, device, requires_grad, copy=False)


def _range_args(op, start, end, steps):
    bad = [f"{name} with {v.ndim} dimension(s)" for name, v in (("start", start), ("end", end))
           if isinstance(v, Tensor) and v.ndim]
    if bad:
        raise RuntimeError(f"{op} only supports 0-dimensional start and end tensors, but got "
                           f"{' and '.join(bad)}.")
    if not isinstance(_item(steps), (builtins.int, np.integer)) or isinstance(steps, builtins.bool):
        got = ", ".join(type(v).__name__ for v in (start, end, steps))
        raise TypeError(f"{op}() received an invalid combination of arguments - got ({got}), but "
                        "expected one of:\n * (Number start, Number end, int steps, *, ...)\n"
                        " * (Tensor start, Tensor end, int steps, *, ...)")
    steps = _item(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return _item(start), _item(end), builtins.int(steps)


def _range_dtype(op, dtype, start, end):
    if dtype is None:
        cplx = isinstance(start, complex) or isinstance(end, complex)
        return D.get_default_dtype().to_complex() if cplx else D.get_default_dtype()
    dt = D.to_dtype(dtype)
    if dt is D.bool:
        raise _not_implemented(f"{op}_cpu", dt)
    return dt


# The precision in which PyTorch's CPU linspace kernel effectively evaluates start + step * i
# (it is compiled with fused multiply-add: one rounding, which a wider type reproduces)
_LIN_ACC = {D.float16: np.float16, D.float32: np.float64, D.float64: np.longdouble,
            D.complex64: np.complex128, D.complex128: np.clongdouble}


def _spaced(start, end, steps, dt, fma=True):
    """linspace's points as PyTorch's CPU kernel computes them: the step in the dtype itself (in
    double for integers), the first half forward from ``start``, the second half back from
    ``end`` so that both ends are exact."""
    idx = np.arange(steps)
    back = steps - 1 - idx
    first = idx < steps // 2
    with np.errstate(all="ignore"):
        if dt.category == D._INT:
            s, e = _checked(start, dt), _checked(end, dt)
            # a double step; the fused multiply-add rounds once, to double, before truncation
            acc = np.longdouble if fma else np.float64
            step = acc((builtins.float(e) - builtins.float(s)) / (steps - 1))
            idx, back = idx.astype(acc), back.astype(acc)
        else:
            ct = dt.np.type
            acc = _LIN_ACC[dt] if fma else ct
            s, e = ct(_checked(start, dt)), ct(_checked(end, dt))
            step = acc((e - s) / ct(steps - 1))
            idx, back = idx.astype(acc), back.astype(acc)
        vals = np.where(first, acc(s) + step * idx, acc(e) - step * back)
        return vals.astype(np.float64 if dt.category == D._INT else dt.np)


def _to_int(vals, dt):
    with np.errstate(invalid="ignore"):
        return np.trunc(vals).astype(np.int64).astype(dt.np)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    start, end, steps = _range_args("linspace", start, end, steps)
    dt = _range_dtype("linspace", dtype, start, end)
    if steps == 0:
        arr = np.empty((0,), dt.np)
    elif steps == 1:
        arr = np.full((1,), _checked(start, dt), dt.np)
    else:
        arr = _spaced(start, end, steps, dt)
        arr = _to_int(arr, dt) if dt.category == D._INT else arr
    return _finish(np.asarray(arr), dt, device, requires_grad, copy=False)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """``base ** linspace(start, end, steps)``: exponents in the dtype, the power in double."""
    start, end, steps = _range_args("logspace", start, end, steps)
    dt = _range_dtype("logspace", dtype, start, end)
    base = _item(base)
    cplx = dt.category == D._COMPLEX
    with np.errstate(all="ignore"):
        if steps == 0:
            expo = np.empty((0,))
        elif steps == 1:
            expo = np.array([complex(start) if cplx else builtins.float(start.real if
                             isinstance(start, complex) else start)])
        else:
            expo = _spaced(start, end, steps, dt, fma=False).astype(np.complex128 if cplx else
                                                                     np.float64)
        arr = np.power(complex(base) if cplx else builtins.float(base), expo)
    arr = _to_int(arr, dt) if dt.category == D._INT else arr
    return _finish(np.asarray(arr), dt, device, requires_grad, copy=False)


# -- random ----------------------------------------------------------------------------------------
class Sampled(Function):
    """A random draw as a graph node. As in PyTorch the draw is not reparametrised: its
    parameters get a zero gradient, and the node is named after the overload (NormalBackward3)."""
    _builtin = True

    # d sample / d parameter = 0
    @staticmethod
    def forward(ctx, sample, node_name, *params):
        ctx.node_name = node_name
        return sample

    @staticmethod
    def backward(ctx, g):
        zero = zeros_like(g)
        return (None, None) + tuple(zero if n else None for n in ctx.needs_input_grad[2:])

    def name(self):
        return self.node_name


def _host(t):
    return t._data if t._xp is np else t._data.get()


def _like_device(arr, t):
    """``arr`` (NumPy) moved to ``t``'s device."""
    return arr if t._xp is np else t._xp.asarray(arr)


def _on_gpu(device):
    return device is not None and to_device(device).type == "cuda"


def _draw(kind, generator, shape, dt, device, *args):
    """A fresh draw of ``shape``: PyTorch's CPU stream, or CuPy's for a CUDA device."""
    return S.draw(kind, generator, shape, dt, *args, gpu=_on_gpu(device))


def rand(*args, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    """Uniform on [0, 1)."""
    dt = D.to_dtype(dtype) or D.get_default_dtype()
    if dt.category < D._FLOAT:
        raise _not_implemented("check_uniform_bounds", dt)
    shape = _shape(args, size, "rand")
    return _finish(_draw("uniform", generator, shape, dt, device, 0.0, 1.0), dt, device,
                   requires_grad, copy=False)


def randn(*args, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False):
    """Standard normal."""
    dt = D.to_dtype(dtype) or D.get_default_dtype()
    if dt.category < D._FLOAT:
        raise _not_implemented("normal_kernel_cpu", dt)
    shape = _shape(args, size, "randn")
    return _finish(_draw("normal", generator, shape, dt, device, 0.0, 1.0), dt, device,
                   requires_grad, copy=False)


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None, pin_memory=False):
    return rand(input._data.shape, generator=generator, dtype=dtype or input.dtype,
                device=device if device is not None else input.device,
                requires_grad=requires_grad)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad=False, memory_format=None, pin_memory=False):
    return randn(input._data.shape, generator=generator, dtype=dtype or input.dtype,
                 device=device if device is not None else input.device,
                 requires_grad=requires_grad)


def _int_arg(op, name, pos, v):
    v = _item(v)
    if not isinstance(v, (builtins.int, np.integer)) or isinstance(v, builtins.bool):
        raise TypeError(f"{op}(): argument '{name}' (position {pos}) must be int, not "
                        f"{type(v).__name__}")
    if not -(1 << 63) <= v < 1 << 63:
        raise ValueError("Overflow when unpacking long long")
    return builtins.int(v)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False, pin_memory=False):
    """Integers uniform on [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if not isinstance(high, (tuple, list)):
            if high is None:
                raise TypeError("randint() missing required argument 'size' (position 2)")
            raise TypeError(f"randint(): argument 'size' (position 2) must be tuple of ints, "
                            f"not {type(high).__name__}")
        low, high, size = 0, low, high
        pos = {"low": 0, "high": 1}
    elif high is None:
        low, high = 0, low
        pos = {"low": 0, "high": 1}
    else:
        pos = {"low": 1, "high": 2}
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' (position {pos['high'] + 1}) must be tuple "
                        f"of ints, not {type(size).__name__}")
    low = _int_arg("randint", "low", pos["low"], low)
    high = _int_arg("randint", "high", pos["high"], high)
    dt = D.to_dtype(dtype) or D.int64
    random_bounds(low, high, dt)
    arr = _draw("ints", generator, _shape((size,)), dt, device, low, high)
    return _finish(arr, dt, device, requires_grad, copy=False)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None, pin_memory=False):
    if high is None:
        low, high = 0, low
    low = _int_arg("randint_like", "low", 1, low)
    high = _int_arg("randint_like", "high", 2, high)
    dt = D.to_dtype(dtype) or input.dtype
    random_bounds(low, high, dt)
    device = device if device is not None else input.device
    arr = _draw("ints", generator, input._data.shape, dt, device, low, high)
    return _finish(arr, dt, device, requires_grad, copy=False)


# randperm refuses n where a float dtype can no longer hold every integer below n
_PERM_LIMIT = {D.float16: ((1 << 11) + 1, "2049", "Half"),
               D.float32: ((1 << 24) + 1, "2^24+1", "Float"),
               D.float64: ((1 << 53) + 1, "2^53+1", "Double")}


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """A random permutation of 0 … n-1."""
    n = _int_arg("randperm", "n", 1, n)
    dt = D.to_dtype(dtype) or D.int64
    _shape((n,))
    if dt.category == D._INT:
        _checked(n - 1 if n > 0 else n, dt)
    elif dt in _PERM_LIMIT and n > _PERM_LIMIT[dt][0]:
        limit, text, name = _PERM_LIMIT[dt]
        raise RuntimeError(f"n cannot be greater than {text} for {name} type.")
    elif dt.category != D._FLOAT:
        raise _not_implemented("randperm", dt)
    perm = S.gpu_draw(generator, "perm", (n,), D.int64, n) if _on_gpu(device) else \
        S.randperm(rng(generator), n)
    return _finish(perm, dt, device, requires_grad, copy=False)


def _broadcast(a, b):
    """PyTorch's infer_size, with its message."""
    n = builtins.max(len(a), len(b))
    out = []
    for i in range(n):
        sa = a[i - n + len(a)] if i - n + len(a) >= 0 else 1
        sb = b[i - n + len(b)] if i - n + len(b) >= 0 else 1
        if sa != sb and sa != 1 and sb != 1:
            raise RuntimeError(f"The size of tensor a ({sa}) must match the size of tensor b "
                               f"({sb}) at non-singleton dimension {i}")
        out.append(sa if sb == 1 else sb)
    return tuple(out)


def _check_std(std):
    if isinstance(std, Tensor):
        if std._data.size and not bool((std._data >= 0).all()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False, pin_memory=False):
    """Normal draws. Overloads: ``normal(mean_tensor, std_tensor)`` (broadcast),
    ``normal(mean_tensor, std=1.0)``, ``normal(mean, std_tensor)`` and
    ``normal(mean, std, size)`` (a new tensor of the default dtype)."""
    if size is not None:    # normal(float mean, float std, size): 0-d tensors are numbers there
        from .ops._number import number
        mean, std = number(mean, "normal", "mean", "float"), number(std, "normal", "std", "float")
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not tm and not ts:
        if size is None:
            raise TypeError(f"normal() received an invalid combination of arguments - got "
                            f"({type(mean).__name__}, {type(std).__name__}), but expected one "
                            "of:\n * (Tensor mean, Tensor std)\n * (Tensor mean, float std)\n"
                            " * (float mean, Tensor std)\n * (float mean, float std, tuple of ints "
                            "size)")
        dt = D.to_dtype(dtype) or D.get_default_dtype()
        if dt.category < D._FLOAT:
            raise _not_implemented("normal_kernel_cpu", dt)
        _check_std(std)
        arr = _draw("normal", generator, _shape((size,)), dt, device, mean, std)
        return _finish(arr, dt, device, requires_grad, copy=False)
    ref = mean if tm else std
    dt = ref.dtype
    if dt.category < D._FLOAT:
        raise _not_implemented("normal_kernel_cpu", dt)
    _check_std(std)
    shape = _broadcast(mean._data.shape, std._data.shape) if tm and ts else ref._data.shape
    m = _host(mean).astype(dt.np, copy=False) if tm else mean
    s = _host(std).astype(dt.np, copy=False) if ts else std
    with np.errstate(all="ignore"):
        # as PyTorch: normal_(0, std) then + mean for a number std, else normal_(0, 1) * std
        # + mean, each step rounded to the dtype
        if ts:
            arr = S.draw("normal", generator, shape, dt, 0.0, 1.0) * s + m
        else:
            arr = S.draw("normal", generator, shape, dt, 0.0, s) + m
        arr = arr.astype(dt.np, copy=False)
    node = "NormalBackward3" if tm and ts else "NormalBackward1" if tm else "NormalBackward2"
    return Sampled.apply(_like_device(arr, ref), node, *(x for x in (mean, std)
                                                          if isinstance(x, Tensor)))


def bernoulli(input, p=None, *, generator=None, out=None):
    """Draws of 0/1 with the probabilities in ``input`` (or with probability ``p``)."""
    dt = input.dtype
    if p is None and dt.category != D._FLOAT:
        raise _not_implemented("bernoulli_tensor_cpu_p_", dt)
    prob = _host(input) if p is None else _item(p)
    bernoulli_p_check(prob)
    if p is None:
        arr = S.draw("bernoulli_tensor", generator, input._data.shape, dt, prob)
    else:
        arr = S.draw("bernoulli", generator, input._data.shape, dt, prob)
    return Sampled.apply(_like_device(arr, input),
                         "BernoulliBackward0" if p is None else "BernoulliBackward1", input)


def poisson(input, generator=None):
    """Poisson counts with the rates in ``input`` (same shape and dtype). The counts are
    drawn from ember's generator but are not PyTorch's numbers (see ``_sampling.poisson``)."""
    if input.dtype.category != D._FLOAT:
        raise _not_implemented("poisson_cpu", input.dtype)
    lam = _host(input)
    if lam.size and not bool((lam >= 0).all()):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    arr = S.poisson(rng(generator), lam).astype(input.dtype.np)
    return Sampled.apply(_like_device(arr, input), "PoissonBackward0", input)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Indices drawn from the categorical distribution(s) in the rows of ``input`` (unnormalised
    non-negative weights), drawn as PyTorch draws them. Without replacement (or for one sample):
    the k largest of p / E with E ~ Exp(1); with replacement: inverse-CDF search of uniforms."""
    n = _int_arg("multinomial", "num_samples", 2, num_samples)
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if input.dtype.category != D._FLOAT:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype._short}")
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    p = _host(input)
    k = p.shape[-1]
    if not replacement and n > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if k > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    rows = p.reshape(p.shape[0] if p.ndim == 2 else 1, k)
    g = rng(generator)
    with np.errstate(invalid="ignore", divide="ignore"):
        if not replacement or n == 1:
            # PyTorch's route: q ~ Exp(1) in the input's dtype, then the largest of p / q
            if rows.size and not bool(((rows < np.inf) & (rows >= 0)).all()):
                raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
            if bool((rows.sum(1) == 0).any()):
                raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
            keys = rows / S.exponential(g, rows.shape, input.dtype, 1.0)
            if n == 1:
                idx = keys.argmax(1)[:, None]
            else:
                idx = np.argsort(-keys, axis=1, kind="stable")[:, :n]
        else:
            if not bool((rows >= 0).all()):
                raise RuntimeError("invalid multinomial distribution (encountering probability "
                                   "entry < 0)")
            if not bool(np.isfinite(rows).all()):
                raise RuntimeError("invalid multinomial distribution (encountering probability "
                                   "entry = infinity or NaN)")
            if k == 0 or bool((rows.sum(1) <= 0).any()):
                raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
            idx = S.multinomial_with_replacement(g, rows, n)
    idx = idx.astype(np.int64).reshape(p.shape[:-1] + (n,))
    return Tensor._wrap(_like_device(idx, input))
