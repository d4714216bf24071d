"""Optimizer: the base class of every optimizer (param_groups, per-parameter state, hooks,
state_dict in PyTorch's layout).

Subclasses update parameters directly on their arrays (``p._data``), outside autograd, with
in-place NumPy ufuncs (``out=``) so one parameter costs a handful of vectorised calls and no
temporary ember Tensors. Each in-place update bumps the parameter's version counter."""
import copy
import functools
from collections import OrderedDict, defaultdict
from itertools import chain

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import add_hook
from ..autograd.grad_mode import STATE, enable_grad

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook",
           "register_optimizer_step_post_hook"]


class _RequiredParameter:
    """Marks a default that each parameter group must give (``torch.optim.optimizer.required``)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_GLOBAL_PRE_HOOKS = OrderedDict()
_GLOBAL_POST_HOOKS = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """A hook ``hook(optimizer, args, kwargs)`` run before every optimizer's step."""
    return add_hook(_GLOBAL_PRE_HOOKS, hook)


def register_optimizer_step_post_hook(hook):
    """A hook ``hook(optimizer, args, kwargs)`` run after every optimizer's step."""
    return add_hook(_GLOBAL_POST_HOOKS, hook)


def _typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()
    t = type(obj)
    mod = t.__module__
    return t.__qualname__ if mod in ("builtins", None) else f"{mod}.{t.__qualname__}"


def _hooked_step(step):
    """Wrap a subclass's ``step``: run the step hooks around it, with graph recording off (the
    update is not part of any graph; a closure turns it back on itself)."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        self._opt_called = True
        if _GLOBAL_PRE_HOOKS or self._optimizer_step_pre_hooks:
            for hook in chain(_GLOBAL_PRE_HOOKS.values(), self._optimizer_step_pre_hooks.values()):
                result = hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(f"{step} must return None or a tuple of (new_args, "
                                           f"new_kwargs), but got {result}.")
        prev = STATE.enabled
        STATE.enabled = False
        try:
            out = step(self, *args, **kwargs)
        finally:
            STATE.enabled = prev
        if _GLOBAL_POST_HOOKS or self._optimizer_step_post_hooks:
            for hook in chain(self._optimizer_step_post_hooks.values(), _GLOBAL_POST_HOOKS.values()):
                hook(self, args, kwargs)
        return out

    wrapper._hooked = True
    return wrapper


def scalar(v):
    """A hyperparameter as a Python float (``lr`` and betas may be given as 1-element Tensors)."""
    return float(v) if isinstance(v, Tensor) else v


def check_lr(lr):
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_betas(betas):
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def check_nonneg(name, value, what="value"):
    if not 0.0 <= value:
        raise ValueError(f"Invalid {name} {what}: {value}")


def check_unsupported(differentiable=False):
    if differentiable:
        raise NotImplementedError("ember: differentiable=True optimizers are not supported")


def check_hparams(lr, differentiable=False, **values):
    """Validate a constructor's arguments in PyTorch's order and words: ``lr``, then ``values``
    in the order given (``betas`` each in [0, 1), ``rho`` in [0, 1], any other >= 0, named as in
    the message: ``epsilon=eps``), then ``differentiable``."""
    check_lr(lr)
    for name, value in values.items():
        if name == "betas":
            check_betas(value)
        elif name == "rho":
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"Invalid rho value: {value}")
        else:
            check_nonneg(name, value)
    check_unsupported(differentiable)


def scalar_dtype():
    """The dtype of 0-d state such as ``step``: float64 under a float64 default, else float32."""
    return D.float64 if D.get_default_dtype() is D.float64 else D.float32


def new_scalar(value=0.0):
    """A 0-d state tensor (``state['step']``, NAdam's ``mu_product``)."""
    return Tensor._wrap(np.array(value, dtype=scalar_dtype().np))


def zeros_state(p):
    return Tensor._wrap(p._xp.zeros_like(p._data))


def real(a):
    """A complex array seen as real pairs (PyTorch's view_as_real), a real array as it is."""
    return a.view(a.real.dtype) if a.dtype.kind == "c" else a


def grad_of(p, maximize, weight_decay):
    """The gradient array that drives the update: ``-grad`` under ``maximize`` and with the L2
    term ``weight_decay * p`` added. Returns ``(g, owned)``; ``owned`` tells whether ``g`` is a
    fresh array the caller may overwrite (otherwise it is ``p.grad``'s own memory)."""
    g = p.grad._data
    if weight_decay:
        t = np.multiply(p._data, weight_decay, out=np.empty_like(p._data))
        if maximize:
            np.subtract(t, g, out=t)
        else:
            np.add(t, g, out=t)
        return t, True
    if maximize:
        return np.negative(g, out=np.empty_like(g)), True
    return g, False


def adam_moments(g, m, v, beta1, beta2):
    """Adam's moment updates in place, ``m = lerp(m, g, 1 - beta1)`` and
    ``v = beta2 * v + (1 - beta2) * g * g``; returns a scratch array shaped like ``g``."""
    t = np.subtract(g, m, out=np.empty_like(g))     # lerp: m += (1 - beta1) * (g - m)
    t *= 1 - beta1
    m += t
    v *= beta2
    np.multiply(g, g, out=t)
    t *= 1 - beta2
    v += t
    return t


class Optimizer:
    """Base class for all optimizers.

    ``params`` is an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts (parameter
    groups, each with its own hyperparameters); ``defaults`` holds the hyperparameters a group
    does not give."""

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        self._patch_step_function()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def _patch_step_function(self):
        cls = type(self)
        if not getattr(cls.step, "_hooked", False):
            cls.step = _hooked_step(cls.step)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks", "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self._patch_step_function()
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        s = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    # -- parameter groups ------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with ``params`` and optional hyperparameters)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. Please "
                            "use a list instead.")
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param))
            if not self.defaults.get("differentiable", None) and not (param.is_leaf
                                                                     or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)

        if len(tensors) != len(set(tensors)):
            import warnings
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see github.com/pytorch/pytorch/issues/"
                          "40967 for more information", stacklevel=3)

        seen = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {txt} to the optimizer")
        if not seen.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- gradients and steps ---------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors (to None by default, else to zeros)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g._data.fill(0)
                    g._vc.value += 1

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the
        loss. A subclass either overrides this or defines ``_step_group(group)``, the update of
        one parameter group (usually a loop over :meth:`_params_with_grad`)."""
        update = getattr(self, "_step_group", None)
        if update is None:
            raise NotImplementedError
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            update(group)
        return loss

    def _init_state(self, state, p, group):
        """Fill ``state``, the empty state dict of ``p``, before its first update (a ``step``
        entry, a 0-d tensor, is then counted by :meth:`_params_with_grad`)."""

    def _params_with_grad(self, group, stateful=True):
        """Yield ``(p, state, g, owned, step)`` for each parameter of ``group`` that has a
        gradient: its state dict (filled by ``_init_state`` when empty; None and left untouched
        when not ``stateful``), the driving gradient ``g, owned`` of :func:`grad_of`, and the
        step count after this step's increment as a float (None without a ``step`` state).
        Weight decay is the L2 term in ``g``, or, under ``decoupled_weight_decay``, shrinks
        ``p`` by ``1 - lr * weight_decay`` here."""
        maximize, wd = group["maximize"], group["weight_decay"]
        decay = None
        if wd and group.get("decoupled_weight_decay"):
            decay, wd = 1 - scalar(group["lr"]) * wd, 0
        states = self.state
        for p in group["params"]:
            if p.grad is None:
                continue
            state = step = None
            if stateful:
                state = states[p]
                if not state:
                    self._init_state(state, p, group)
                step_t = state.get("step")
                if step_t is not None:
                    step_t = step_t._data
                    step_t += 1             # in place: the 0-d state tensor itself
                    step = float(step_t)
            if decay is not None:
                p._data *= decay
            g, owned = grad_of(p, maximize, wd)
            yield p, state, g, owned, step

    @staticmethod
    def _eval_closure(closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # -- hooks -----------------------------------------------------------------------------
    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)`` before step."""
        return add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs) -> None`` after step."""
        return add_hook(self._optimizer_step_post_hooks, hook)

    def _add(self, store, hook, prepend):
        h = add_hook(store, hook)
        if prepend:
            store.move_to_end(h.id, last=False)
        return h

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return self._add(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return self._add(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return self._add(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return self._add(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -- state_dict ------------------------------------------------------------------------
    def state_dict(self):
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``: state
        per parameter index (the tensors themselves, not copies, as PyTorch), parameters
        numbered in group order."""
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        mapping = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        sd = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            r = hook(self, sd)
            if r is not None:
                sd = r
        return sd

    def load_state_dict(self, state_dict):
        """Load state saved by :meth:`state_dict` (ember's or PyTorch's, with tensors given as
        ember Tensors or NumPy arrays). Floating state is cast to its parameter's dtype, except
        ``step``; every tensor is copied. All or nothing: the whole state dict is checked (group
        sizes, parameter indices, per-parameter buffer shapes) before anything changes."""
        self._apply_loaded(self._check_loaded(state_dict))

    def _check_loaded(self, state_dict):
        """The optimizer's new ``{"state", "param_groups"}`` from ``state_dict``, or an error;
        nothing of the optimizer changes (its load pre-hooks run)."""
        if not isinstance(state_dict, dict) or "state" not in state_dict or \
                "param_groups" not in state_dict:
            raise ValueError("loaded state dict must be a dict with 'state' and 'param_groups', "
                             f"got {type(state_dict).__name__}"
                             + (f" with keys {list(state_dict)}" if isinstance(state_dict, dict)
                                else ""))
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            r = hook(self, state_dict)
            if r is not None:
                state_dict = r
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the "
                             "size of optimizer's group")
        saved_ids = list(chain.from_iterable(g["params"] for g in saved_groups))
        if len(set(saved_ids)) != len(saved_ids):
            raise ValueError(f"loaded state dict names a parameter twice in its groups: {saved_ids}")
        id_map = dict(zip(saved_ids, chain.from_iterable(g["params"] for g in groups)))
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k not in id_map:
                if type(k) is int:  # (other keys are an optimizer's own, kept as they are)
                    raise ValueError(f"loaded state dict holds state for parameter {k}, which none "
                                     f"of its parameter groups names (they name {saved_ids})")
                state[k] = v
                continue
            param = id_map[k]
            _check_shapes(k, param, v)
            state[param] = _cast(param, v)

        new_groups = []
        for group, new in zip(groups, saved_groups):
            new["params"] = group["params"]
            if "param_names" in group and "param_names" not in new:
                new["param_names"] = group["param_names"]
            new_groups.append(new)
        return {"state": state, "param_groups": new_groups}

    def _apply_loaded(self, new):
        self.__setstate__(new)
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)


# per-parameter buffers that have their parameter's shape in every optimizer that keeps them
_PARAM_SHAPED = frozenset({"exp_avg", "exp_avg_sq", "max_exp_avg_sq", "momentum_buffer",
                           "square_avg", "grad_avg", "acc_delta", "sum", "exp_inf", "ax", "prev"})


def _check_shapes(index, param, value):
    if not isinstance(value, dict):
        return
    for key, v in value.items():
        if key in _PARAM_SHAPED and isinstance(v, (Tensor, np.ndarray)) and \
                tuple(v.shape) != tuple(param.shape):
            raise ValueError(f"loaded state dict's {key!r} for parameter {index} has shape "
                             f"{list(v.shape)}, but the parameter's shape is {list(param.shape)}")


def _cast(param, value, key=None):
    """A deep copy of ``value`` with its arrays as ember Tensors on ``param``'s device, floating
    ones in ``param``'s dtype (``step`` keeps its own)."""
    if isinstance(value, (Tensor, np.ndarray, np.generic)):
        arr = value._data if isinstance(value, Tensor) else np.asarray(value)
        if key != "step" and param.is_floating_point():
            arr = arr.astype(param._data.dtype)
        else:
            arr = arr.copy()
        if param._xp is not np and arr.__class__ is np.ndarray:
            arr = param._xp.asarray(arr)
        return Tensor._wrap(arr)
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(param, v) for v in value)
    return value
