"""What a compiled step touches: the state it can reach (discovery) and the guard key a
program is specialised on."""
import functools
import types

import numpy as np

from .._random import Generator
from .._tensor import Tensor
from ..autograd.function import _AUTOCAST
from ..autograd.grad_mode import STATE
from ..nn.modules.module import Module
from ..optim.optimizer import Optimizer


def _objects(args, kwargs):
    return [a for a in list(args) + list(kwargs.values()) if isinstance(a, (Module, Optimizer))]


def _watch_ok(watch):
    for where, name, obj in watch:
        if (where.get(name) if name is not None else _cell(where)) is not obj:
            return False
    return True


def _cell(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return None


def _discover(fn, module, extra=()):
    """The modules, optimizers and tensors a step can reach besides its arguments: the module
    it belongs to, the globals and closure variables its code names (one level into lists,
    tuples and dicts). Returns ``(tensors, params, modules, optimizers, watch, generators)``;
    ``watch`` lists the globals and cells read, so that a rebinding (``model = other``) is
    noticed."""
    found, roots, watch = [], list(extra), []
    if module is not None:
        roots.append(module)
    f = fn
    while True:
        if isinstance(f, types.MethodType):
            roots.append(f.__self__)
            f = f.__func__
        elif isinstance(f, functools.partial):
            roots.extend(f.args)
            roots.extend(f.keywords.values())
            f = f.func
        else:
            break
    code = getattr(f, "__code__", None)
    if code is not None:
        g = getattr(f, "__globals__", {})
        for name in _names(code):
            if name in g:
                roots.append(g[name])
                watch.append((g, name, g[name]))
        for cell in f.__closure__ or ():
            roots.append(_cell(cell))
            watch.append((cell, None, roots[-1]))
    for r in roots:
        if isinstance(r, (list, tuple)):
            found.extend(r)
        elif isinstance(r, dict):
            found.extend(r.values())
        elif isinstance(r, (Module, Optimizer, Tensor)):
            found.append(r)
        elif hasattr(r, "__dict__") and not isinstance(r, (type, types.ModuleType,
                                                            types.FunctionType)):
            found.append(r)                      # a plain object (a trainer): its attributes
            found.extend(v for v in vars(r).values()
                         if isinstance(v, (Module, Optimizer, Tensor, Generator)))
        else:
            found.append(r)
    tensors, params, modules, opts, seen = [], [], [], [], set()
    gens = [o for o in found if isinstance(o, Generator)]

    def add(t, is_param):
        if id(t) not in seen:
            seen.add(id(t))
            tensors.append(t)
            if is_param:
                params.append(t)
    for o in found:
        if isinstance(o, Module):
            modules.extend(o.modules())
            for p in o.parameters():
                add(p, True)
            for b in o.buffers():
                add(b, False)
        elif isinstance(o, Optimizer):
            opts.append(o)
            for group in o.param_groups:
                for p in group["params"]:
                    add(p, True)
            for st in o.state.values():
                for v in st.values():
                    if isinstance(v, Tensor):
                        add(v, False)
        elif isinstance(o, Tensor):
            add(o, o.requires_grad and o.grad_fn is None)
    return tensors, params, modules, opts, watch, gens


def _names(code):
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _names(c)
    return names


def _guard_key(args, kwargs, state):
    """What a program is specialised on, or ``(None, reason)`` for an argument it cannot
    guard."""
    key = [STATE.enabled, _AUTOCAST[0] is None]
    for a in list(args) + [kwargs[k] for k in sorted(kwargs)]:
        if isinstance(a, Tensor):
            d = a._data
            if d.__class__ is not np.ndarray:
                return None, "an argument is not a CPU tensor"
            key.append((d.shape, d.dtype.str, d.strides, a.requires_grad))
        elif a is None or a.__class__ in (bool, int, float, str):
            key.append((a.__class__, a))
        elif a.__class__ in (list, tuple) and all(isinstance(x, Tensor) for x in a):
            key.append(tuple((x._data.shape, x._data.dtype.str, x._data.strides,
                              x.requires_grad) for x in a))
        elif isinstance(a, Module):      # e.g. self of a compiled forward: by identity
            key.append((id(a), tuple(m.training for m in a.modules())))
        elif isinstance(a, Optimizer):
            key.append(id(a))
        else:
            return None, f"an argument of type {type(a).__name__} (only tensors, lists of " \
                         "tensors, modules, optimizers and plain Python values are guarded)"
    key.append(tuple(m.training for m in state[2]))
    for t in state[0]:
        if t._data.__class__ is not np.ndarray:
            return None, "the step uses a tensor that is not on the CPU"
    return tuple(key), None
