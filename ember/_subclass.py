"""Tensor subclasses: PyTorch's ``__torch_function__`` protocol, as far as programs use it.

A user's ``class MyTensor(Tensor)`` flows through every op, and results come back as
``MyTensor`` — Tensor's default ``__torch_function__`` runs the op with the protocol disabled
and re-tags the plain results (``as_subclass``), as PyTorch's does. A subclass may override the
classmethod ``__torch_function__(cls, func, types, args, kwargs)`` and call
``super().__torch_function__(...)``. ``Parameter`` and ``Buffer`` opt out
(``__torch_function__ = _disabled_torch_function_impl``): ops on them give plain Tensors.

The dispatch point is ``Function.apply``, the one door every op goes through, so ``func`` is the
op's Function (called like ``func(*args, **kwargs)``, named after it: ``Mul``), not the public
wrapper PyTorch hands over (``torch.Tensor.mul``). Until a subclass that takes part in the
protocol is defined, apply pays one list lookup for all this.
"""
import threading

__all__ = ["ACTIVE", "DisableTorchFunction", "DisableTorchFunctionSubclass",
           "_disabled_torch_function_impl", "as_subclass", "default_torch_function",
           "dispatch", "keep_class", "make_subclass", "overloaded_types", "register"]

ACTIVE = [False]        # set once a subclass with a live __torch_function__ exists


class _Off(threading.local):
    depth = 0               # per-thread depth of DisableTorchFunction(Subclass) blocks


_OFF = _Off()
_FUNCS = {}             # op class -> the callable handed to __torch_function__ as func


def _disabled_torch_function_impl(func, types, args=(), kwargs=None):
    """Assign to ``__torch_function__`` to opt a subclass out: its ops give plain Tensors."""
    with DisableTorchFunctionSubclass():
        return func(*args, **(kwargs or {}))


def _live(cls):
    tf = getattr(cls, "__torch_function__", None)
    return getattr(tf, "__func__", tf) is not _disabled_torch_function_impl


def register(cls):
    """Called from ``Tensor.__init_subclass__``: switch dispatch on for a live subclass."""
    _TAKES_PART.clear()      # a new class may change what an old one's lookup found
    # a class that sets _lazy_protocol turns the switch on itself when its first instance is
    # made (ember's sparse tensors), so merely importing it costs plain programs nothing
    if _live(cls) and not cls.__dict__.get("_lazy_protocol"):
        ACTIVE[0] = True


class DisableTorchFunctionSubclass:
    """``torch._C.DisableTorchFunctionSubclass``: inside, subclass instances run the plain ops
    (and results are not re-tagged)."""

    def __enter__(self):
        _OFF.depth += 1
        return self

    def __exit__(self, *exc):
        _OFF.depth -= 1


DisableTorchFunction = DisableTorchFunctionSubclass


_TAKES_PART = {}   # class of an argument -> whether it is a live Tensor subclass (cached)
_TENSOR = []


def _takes_part(c):
    if not _TENSOR:
        from ._tensor import Tensor  # imported late: this module loads before _tensor
        _TENSOR.append(Tensor)
    live = _TAKES_PART[c] = isinstance(c, type) and issubclass(c, _TENSOR[0]) and \
        c is not _TENSOR[0] and _live(c)
    return live


def overloaded_types(args, kwargs=None):
    """The subclasses among ``args`` that take part, subclasses before their bases (PyTorch's
    order); None when there are none or the protocol is disabled. Runs on every op once a
    subclass exists, so the common case (plain Tensors, numbers) is one dict lookup per
    argument."""
    if _OFF.depth:
        return None
    found = None
    for a in (args if not kwargs else (*args, *kwargs.values())):
        c = a.__class__
        live = _TAKES_PART.get(c)
        if live is None:
            if c is list or c is tuple:
                inner = overloaded_types(a)
                if inner:
                    found = [*(found or ()), *(t for t in inner if t not in (found or ()))]
                continue
            live = _takes_part(c)
        if live:
            if found is None:
                found = [c]
            elif c not in found:
                found.append(c)
    if found is None:
        return None
    order = []
    for c in found:
        # a subclass goes before any of its bases already listed
        at = next((i for i, o in enumerate(order) if issubclass(c, o)), len(order))
        order.insert(at, c)
    return tuple(order)


class _OpFunc:
    """The ``func`` a ``__torch_function__`` receives: calling it runs the op."""

    __slots__ = ("op", "__name__", "__qualname__")

    def __init__(self, op):
        self.op = op
        self.__name__ = self.__qualname__ = op.__name__

    def __call__(self, *args, **kwargs):
        return self.op.apply(*args, **kwargs)

    def __repr__(self):
        return f"<ember op {self.op.__name__}>"


def dispatch(op, types, args, kwargs):
    """Hand the call of Function ``op`` to the subclasses' ``__torch_function__``."""
    func = _FUNCS.get(op)
    if func is None:
        func = _FUNCS[op] = _OpFunc(op)
    for t in types:
        r = t.__torch_function__(func, types, args, kwargs)
        if r is not NotImplemented:
            return r
    raise TypeError(f"no implementation found for '{func.__name__}' on types that implement "
                    f"__torch_function__: {list(types)}")


def default_torch_function(cls, func, types, args=(), kwargs=None):
    """``Tensor.__torch_function__``: run ``func`` plainly, then make Tensor results ``cls``."""
    if not all(issubclass(cls, t) for t in types):
        return NotImplemented
    with DisableTorchFunctionSubclass():
        ret = func(*args, **(kwargs or {}))
    return _convert(ret, cls)


def _convert(ret, cls):
    from ._tensor import Tensor
    if isinstance(ret, Tensor) and not isinstance(ret, cls):
        return as_subclass(ret, cls)
    if ret.__class__ is tuple or ret.__class__ is list:
        return ret.__class__(_convert(r, cls) for r in ret)
    return ret


def _retag(t, cls):
    """``t`` (a fresh plain Tensor) as an instance of ``cls``, same memory and autograd state."""
    try:
        t.__class__ = cls                    # same layout: the common case
        return t
    except TypeError:                        # cls adds __slots__: copy into a new object
        new = object.__new__(cls)
        for k in ("_data", "_rg", "grad", "grad_fn", "_out_idx", "_vc", "_base", "_accum",
                  "_hooks"):
            setattr(new, k, getattr(t, k))
        return new


def keep_class(src, t):
    """A result ``t`` of a method that bypasses ``Function.apply`` (``detach``, ``data``) takes
    ``src``'s class where the protocol would have converted it."""
    cls = src.__class__
    if _OFF.depth or not _live(cls):
        return t
    return _retag(t, cls)


def as_subclass(t, cls):
    """``Tensor.as_subclass(cls)``: a ``cls`` view of ``t``'s memory that stays in the graph
    (an ``AliasBackward0`` node where ``t`` requires grad, as in PyTorch)."""
    from ._tensor import Tensor
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError(f"as_subclass(): argument 'cls' must be a subclass of Tensor, not "
                        f"{cls!r}")
    from ._alias import Alias
    with DisableTorchFunctionSubclass():
        out = Alias.apply(t)
    return _retag(out, cls)


def make_subclass(cls, data, require_grad=False):
    """``Tensor._make_subclass(cls, data, require_grad)``: a ``cls`` leaf sharing ``data``'s
    memory (and version counter), detached from its history."""
    from ._tensor import Tensor
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError(f"_make_subclass(): argument 'cls' must be a subclass of Tensor, not "
                        f"{cls!r}")
    if not isinstance(data, Tensor):
        raise TypeError(f"_make_subclass(): argument 'data' must be Tensor, not "
                        f"{type(data).__name__}")
    t = object.__new__(cls)
    t._init(data._data)
    t._vc = data._vc
    t.requires_grad = require_grad
    return t
