"""In-place fills: zero_, fill_, copy_ and the random initialisers (normal_, uniform_ …)."""

import numpy as np

from .. import _dtype as D
from .. import _sampling as S
from .. import _tensor
from .._random import bernoulli_p_check, not_implemented, random_bounds, random_top
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._number import number

__all__ = ["FillMethods"]
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


class Fill(Function):
    _builtin = True

    # fill(a, v): d/da = 0, d/dv = sum(g)
    @staticmethod
    def forward(ctx, a, value):
        v = value._data if isinstance(value, _tensor.Tensor) else value
        if isinstance(value, _tensor.Tensor) and value._data.ndim:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        return a._xp.full(a._data.shape, v, a._data.dtype)

    @staticmethod
    def backward(ctx, g):
        return g * 0, (g.sum() if ctx.needs_input_grad[1] else None)


class Copy(Function):
    _builtin = True

    # copy(a, src): d/da = 0, d/dsrc = g (summed to src's shape by the engine)
    @staticmethod
    def forward(ctx, a, src):
        import numpy as np
        try:
            shape = np.broadcast_shapes(a._data.shape, src._data.shape)
        except ValueError:
            shape = None
        if shape != a._data.shape:
            raise RuntimeError(f"The size of tensor a ({a._data.shape[-1] if a._data.ndim else 1})"
                               f" must match the size of tensor b ({src._data.shape[-1]}) at "
                               f"non-singleton dimension {max(a._data.ndim - 1, 0)}")
        ctx.src = (src.dtype, src.device)
        data = src._data
        if src.device != a.device:
            data = src.to(a.device)._data
        out = a._xp.empty_like(a._data)
        out[...] = data
        return out

    @staticmethod
    def backward(ctx, g):
        dt, dev = ctx.src
        return g * 0, g.to(dtype=dt, device=dev)


class Redraw(Function):
    """An in-place random fill as a graph node (when the tensor has history): the new values do
    not depend on the old ones. Named as PyTorch names it (NormalBackward0 …)."""
    _builtin = True

    # d new / d old = 0
    @staticmethod
    def forward(ctx, a, sample, node_name):
        ctx.node_name = node_name
        return sample

    @staticmethod
    def backward(ctx, g):
        return g * 0, None, None

    def name(self):
        return self.node_name


def _float_only(t, kernel):
    if t.dtype.category < D._FLOAT:
        raise not_implemented(kernel, t.dtype)


class FillMethods:
    __slots__ = ()

    def _redraw(self, sample, node_name):
        """Write ``sample`` (a NumPy array of this tensor's shape and dtype) in place."""
        if self._xp is not np:
            sample = self._xp.asarray(sample)
        if STATE.enabled and self._rg:
            return self._inplace(Redraw, sample, node_name)
        self._check_inplace()
        self._data[...] = sample
        self._vc.value += 1
        return self

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        _float_only(self, "normal_kernel_cpu")
        mean, std = number(mean, "normal_", "mean", "float"), number(std, "normal_", "std", "float")
        if not std >= 0.0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        return self._redraw(S.draw("normal", generator, self._data, self.dtype, mean, std),
                            "NormalBackward0")

    def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kwargs):
        """Uniform on [from, to) (``from`` is a Python keyword: pass it positionally)."""
        from_ = kwargs.pop("from", from_)
        if kwargs:
            raise TypeError(f"uniform_() got an unexpected keyword argument '{next(iter(kwargs))}'")
        _float_only(self, "check_uniform_bounds")
        from_, to = number(from_, "uniform_", "from", "float"), number(to, "uniform_", "to", "float")
        if from_ > to:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                               f"from={from_:g} > to={to:g}")
        return self._redraw(S.draw("uniform", generator, self._data, self.dtype, from_, to),
                            "UniformBackward0")

    def bernoulli_(self, p=0.5, *, generator=None):
        if isinstance(p, _tensor.Tensor):
            prob, name = p.detach().expand(*self._data.shape)._data, "BernoulliBackward1"
            if prob.__class__ is not np.ndarray:
                prob = prob.get()
            kind = "bernoulli_tensor"
        else:
            prob, name, kind = p, "BernoulliBackward2", "bernoulli"
        bernoulli_p_check(prob)
        return self._redraw(S.draw(kind, generator, self._data, self.dtype, prob), name)

    def random_(self, *args, generator=None, **kwargs):
        """``random_()``: integers on [0, 2^mantissa] (floats) or the dtype's range;
        ``random_(to)``: on [0, to); ``random_(from, to)``: on [from, to)."""
        dt = self.dtype
        if len(args) == 1 and not kwargs:
            low, high, name = 0, args[0], "RandomBackward1"
        else:
            bound = dict(zip(("from", "to"), args), **kwargs)
            low, high = bound.get("from", 0), bound.get("to")
            name = "RandomBackward2" if not args and not kwargs else "RandomBackward0"
        if dt.category == D._COMPLEX:
            raise not_implemented("random_", dt)
        full = default = False
        if not args and not kwargs:
            default = True
            low, high = random_top(0, dt)     # (for a CUDA tensor's draw)
        elif high is None:
            full = int(low) == -(1 << 63)
            low, high = (int(low), 1 << 63) if full else random_top(int(low), dt)
        else:
            low, high = random_bounds(int(low), int(high), dt)
        if self._xp is not np:
            return self._redraw(S.draw("ints", generator, self._data, dt, low, high), name)
        from .._random import rng
        sample = S.random_(rng(generator), self._data, dt, None if default else low, high, full)
        return self._redraw(sample, name)

    def exponential_(self, lambd=1.0, *, generator=None):
        if self.dtype.category != D._FLOAT:
            raise RuntimeError("Exponential distribution is a continuous probability distribution. "
                               f"dtype must be a floating point but you specified {self.dtype._short}")
        lambd = number(lambd, "exponential_", "lambd", "float")
        if not lambd > 0.0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
        return self._redraw(S.draw("exponential", generator, self._data, self.dtype, lambd),
                            "ExponentialBackward0")

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        _float_only(self, "log_normal_cpu")
        mean, std = number(mean, "log_normal_", "mean", "float"), number(std, "log_normal_", "std", "float")
        if not std > 0.0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
        return self._redraw(S.draw("log_normal", generator, self._data, self.dtype, mean, std),
                            "LogNormalBackward0")

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        _float_only(self, "cauchy_cpu")
        median = number(median, "cauchy_", "median", "float")
        sigma = number(sigma, "cauchy_", "sigma", "float")
        if not sigma > 0.0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
        return self._redraw(S.draw("cauchy", generator, self._data, self.dtype, median, sigma),
                            "CauchyBackward0")

    def geometric_(self, p, *, generator=None):
        p = number(p, "geometric_", "p", "float")
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
        return self._redraw(S.draw("geometric", generator, self._data, self.dtype, p),
                            "GeometricBackward0")

    def bernoulli(self, p=None, *, generator=None):
        from .._creation import bernoulli
        return bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        from .._creation import multinomial
        return multinomial(self, num_samples, replacement, generator=generator)

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        if STATE.enabled and (self._rg or getattr(value, "_rg", False)):
            return self._inplace(Fill, value)
        self._check_inplace()
        self._data[...] = value._data if isinstance(value, _tensor.Tensor) else value
        self._vc.value += 1
        return self

    def copy_(self, src, non_blocking=False):
        if not isinstance(src, _tensor.Tensor):
            raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not "
                            f"{type(src).__name__}")
        if STATE.enabled and (self._rg or src._rg):
            return self._inplace(Copy, src)
        self._data[...] = Copy.forward(_NoCtx(), self, src)
        self._vc.value += 1
        return self


class _NoCtx:
    """A scratch ctx for calling a forward directly outside the graph."""
