"""Module: the base class of every layer and model.

Attribute assignment registers Parameters, sub-Modules and buffers; everything else
(state_dict, to(), train()/eval(), hooks, repr) walks those three registries."""
import threading
from collections import OrderedDict, namedtuple

from ... import _dtype as D
from ..._tensor import Tensor
from ...autograd.function import Function, add_hook
from ...autograd.grad_mode import no_grad
from ..parameter import Buffer, Parameter

__all__ = ["Module"]

_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _addindent(text, n):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * n + line for line in lines[1:])


def _check_name(name, kind, owner):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain "."')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')


class _Staging(threading.local):
    plan = None  # inside load_state_dict: the copies to run once everything has been checked


_STAGING = _Staging()


def _copy_into(current, staged):
    with no_grad():
        current.copy_(staged)


class _HookStore(OrderedDict):
    """Hooks by handle id; a RemovableHandle removes its entry."""

    def add(self, fn, prepend=False):
        h = add_hook(self, fn)
        if prepend:
            self.move_to_end(h.id, last=False)
        return h


class _ModuleBackwardHook(Function):
    """Identity on a module's outputs (``grads_out``) or inputs (``grads_in``): its backward
    records the gradient flowing through so full backward hooks see grad_input/grad_output."""

    @staticmethod
    def forward(ctx, state, kind, *tensors):
        ctx.state, ctx.kind = state, kind
        return tuple(t._alias() for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        if ctx.kind == "out":
            grads = state.on_grad_output(grads)
        else:
            grads = state.on_grad_input(grads)
        return (None, None) + tuple(grads)


class _BackwardHookState:
    def __init__(self, module, n_inputs_tracked):
        self.module = module
        self.grad_output = None
        self.n_in = n_inputs_tracked

    def on_grad_output(self, grads):
        for hook in list(self.module._backward_pre_hooks.values()):
            r = hook(self.module, grads)
            if r is not None:
                grads = tuple(r)
        self.grad_output = grads
        if self.n_in == 0:      # no input needs grad: hooks fire now with grad_input None
            self._call(tuple([None]))
        return grads

    def on_grad_input(self, grads):
        return self._call(grads)

    def _call(self, grad_input):
        for hook in list(self.module._backward_hooks.values()):
            r = hook(self.module, grad_input, self.grad_output)
            if r is not None:
                grad_input = tuple(r)
        return grad_input


class Module:
    """Base class for all neural network modules; subclass it and define ``forward``."""

    training: bool
    _version = 1
    call_super_init = False
    dump_patches = False

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword "
                            f"argument '{next(iter(kwargs))}'" if kwargs else
                            f"{type(self).__name__}.__init__() takes 1 positional argument but "
                            f"{len(args) + 1} were given")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_pre_hooks"] = _HookStore()
        d["_forward_pre_hooks_with_kwargs"] = set()
        d["_forward_hooks"] = _HookStore()
        d["_forward_hooks_with_kwargs"] = set()
        d["_backward_hooks"] = _HookStore()
        d["_backward_pre_hooks"] = _HookStore()
        d["_state_dict_hooks"] = _HookStore()
        d["_load_state_dict_pre_hooks"] = _HookStore()

    forward = None  # subclasses define it

    # -- registration ---------------------------------------------------------------------
    def register_parameter(self, name, param):
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(name, "parameter", self)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        if param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model "
                             f"parameters must be created explicitly. To express '{name}' as a "
                             "function of another Tensor, compute the value in the forward() "
                             "method.")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(name, "buffer", self)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        if isinstance(tensor, Buffer):
            persistent = tensor.persistent
            tensor = tensor.detach()
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        _check_name(name, "module", self)
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, d, d["_buffers"], d["_modules"])
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            if "_modules" not in d:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._remove_from(name, d, d["_parameters"], d["_buffers"])
            d["_modules"][name] = value
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            d["_modules"][name] = value
        elif isinstance(value, Buffer) or ("_buffers" in d and name in d["_buffers"]):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                "(torch.nn.Buffer, torch.Tensor or None expected)")
            if isinstance(value, Buffer):
                self._remove_from(name, d, d["_parameters"], d["_modules"])
                self.register_buffer(name, value)
            else:
                d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    @staticmethod
    def _remove_from(name, d, *registries):
        d.pop(name, None)
        for reg in registries:
            reg.pop(name, None)

    def __getattr__(self, name):
        d = self.__dict__
        r = d.get("_parameters")   # (three lookups written out: parameters are read per call)
        if r is not None and name in r:
            return r[name]
        r = d.get("_buffers")
        if r is not None and name in r:
            return r[name]
        r = d.get("_modules")
        if r is not None and name in r:
            return r[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for reg in (self._parameters, self._buffers, self._modules):
            if name in reg:
                del reg[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(object.__dir__(self)) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    # -- traversal --------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            yield from m.named_modules(memo, prefix + ("." if prefix else "") + name,
                                       remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and m not in seen:
                seen.add(m)
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry, prefix, recurse, remove_duplicate):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for mod_prefix, m in mods:
            for name, v in getattr(m, registry).items():
                if v is None or (remove_duplicate and id(v) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(v))
                yield mod_prefix + ("." if mod_prefix else "") + name, v

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target):
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def _get_leaf(self, target, registry, kind):
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        if name not in getattr(mod, registry):
            raise AttributeError(f"`{name}` is not {kind}")
        return getattr(mod, name)

    def get_parameter(self, target):
        return self._get_leaf(target, "_parameters", "an nn.Parameter")

    def get_buffer(self, target):
        return self._get_leaf(target, "_buffers", "a buffer")

    # -- state ------------------------------------------------------------------------------
    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        if args:   # the legacy positional form state_dict(destination, prefix, keep_vars)
            destination = args[0]
            if len(args) > 1:
                prefix = args[1]
            if len(args) > 2:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".",
                             keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            r = hook(self, destination, prefix, {})
            if r is not None:
                destination = r
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs, assign=False):
        """Check this module's entries of ``state_dict`` and copy them. Inside
        ``load_state_dict`` the copies are only planned (each value already converted to its
        target's dtype and device) and run once the whole state dict has passed, so a failed
        load changes nothing."""
        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                 error_msgs)
        plan = _STAGING.plan
        local = {**{k: v for k, v in self._parameters.items() if v is not None},
                 **{k: v for k, v in self._buffers.items()
                    if v is not None and k not in self._non_persistent_buffers_set}}
        for name, current in local.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                error_msgs.append(f'While copying the parameter named "{key}", expected '
                                  f"torch.Tensor or Tensor-like object from checkpoint but "
                                  f"received {type(value)}")
                continue
            if tuple(value.shape) != tuple(current.shape):
                error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                                  f"{value.shape} from checkpoint, the shape in current model is "
                                  f"{current.shape}.")
                continue
            if assign:
                step = (self._assign, name, value, current)
            else:
                try:
                    with no_grad():
                        staged = value.detach().to(device=current.device, dtype=current.dtype)
                except Exception as ex:
                    error_msgs.append(f'While copying the parameter named "{key}", whose dimensions '
                                      f"in the model are {current.shape} and whose dimensions in the "
                                      f"checkpoint are {value.shape}, an exception occurred : "
                                      f"{ex.args}.")
                    continue
                step = (_copy_into, current, staged)
            if plan is None:
                step[0](*step[1:])
            else:
                plan.append(step)
        if strict:
            for key in state_dict:
                if key.startswith(prefix):
                    rest = key[len(prefix):]
                    head = rest.split(".", 1)[0]
                    if head not in self._modules and rest not in local:
                        unexpected_keys.append(key)

    def _assign(self, name, value, current):
        if name in self._parameters:
            self._parameters[name] = value if isinstance(value, Parameter) else \
                Parameter(value, current.requires_grad)
        else:
            self._buffers[name] = value

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy ``state_dict``'s parameters and buffers into this module (PyTorch's rules and
        messages). Unlike PyTorch, it is all or nothing: keys, shapes and dtype conversions are
        checked for the whole state dict before the first copy, so a load that raises leaves
        the module as it was."""
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []

        def load(module, prefix):
            module._load_from_state_dict(state_dict, prefix, {}, True, missing, unexpected,
                                         errors, assign)
            for name, child in module._modules.items():
                if child is not None:
                    load(child, prefix + name + ".")

        outer, _STAGING.plan = _STAGING.plan, []
        try:
            load(self, "")
            plan = _STAGING.plan
        finally:
            _STAGING.plan = outer
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                self._get_name(), "\n\t".join(errors)))
        for fn, *args in plan:
            fn(*args)
        return _IncompatibleKeys(missing if strict else [], unexpected if strict else [])

    def register_state_dict_post_hook(self, hook):
        return self._state_dict_hooks.add(hook)

    def register_load_state_dict_pre_hook(self, hook):
        return self._load_state_dict_pre_hooks.add(
            lambda sd, prefix, *rest: hook(self, sd, prefix, *rest))

    # -- modes and conversions ----------------------------------------------------------------
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad = p.grad.detach()
                    p.grad.zero_()

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _apply(self, fn):
        """Convert every parameter and buffer in place with ``fn`` (tensor → tensor), keeping
        each Parameter object so optimizers holding it stay valid."""
        for m in self.children():
            m._apply(fn)
        for name, p in self._parameters.items():
            if p is None:
                continue
            with no_grad():
                new = fn(p)
            p._data = new._data
            if p.grad is not None:
                with no_grad():
                    p.grad = Tensor._wrap(fn(p.grad)._data)
        for name, b in self._buffers.items():
            if b is not None:
                self._buffers[name] = fn(b)
        return self

    def to(self, *args, **kwargs):
        dtype, device = _parse_to(args, kwargs)
        if dtype is not None and dtype.category < D._FLOAT:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dtype}")

        fmt = kwargs.get("memory_format")

        def convert(t):
            target = dtype if dtype is not None and t.dtype.category >= D._FLOAT else None
            if fmt is not None and t.dim() in (4, 5):    # as PyTorch: only 4-d and 5-d tensors
                return t.to(device=device, dtype=target, memory_format=fmt)
            return t.to(device=device, dtype=target)
        return self._apply(convert)

    def float(self):
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self):
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self):
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def type(self, dst_type):
        return self._apply(lambda t: t.type(dst_type))

    def cpu(self):
        return self._apply(lambda t: t.cpu())

    def cuda(self, device=None):
        return self._apply(lambda t: t.cuda(device))

    # -- calling and hooks ----------------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        h = self._forward_pre_hooks.add(hook, prepend)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs.add(h.id)
        return h

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        h = self._forward_hooks.add(hook, prepend)
        if with_kwargs:
            self._forward_hooks_with_kwargs.add(h.id)
        return h

    def register_full_backward_hook(self, hook, prepend=False):
        return self._backward_hooks.add(hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        return self._backward_pre_hooks.add(hook, prepend)

    def register_backward_hook(self, hook):
        return self.register_full_backward_hook(hook)

    def _call_impl(self, *args, **kwargs):
        forward = self.forward
        if forward is None:
            raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                      '"forward" function')
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or
                self._backward_pre_hooks):
            return forward(*args, **kwargs)   # no hooks (nearly every call): forward alone
        for key, hook in list(self._forward_pre_hooks.items()):
            if key in self._forward_pre_hooks_with_kwargs:
                r = hook(self, args, kwargs)
                if r is not None:
                    args, kwargs = r
            else:
                r = hook(self, args)
                if r is not None:
                    args = r if isinstance(r, tuple) else (r,)
        bw_state = None
        if self._backward_hooks or self._backward_pre_hooks:
            args, bw_state = self._wrap_inputs(args)
        result = forward(*args, **kwargs)
        for key, hook in list(self._forward_hooks.items()):
            r = hook(self, args, kwargs, result) if key in self._forward_hooks_with_kwargs \
                else hook(self, args, result)
            if r is not None:
                result = r
        if bw_state is not None:
            result = self._wrap_outputs(result, bw_state)
        return result

    __call__ = _call_impl

    def _wrap_inputs(self, args):
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        state = _BackwardHookState(self, len(idx))
        if not idx:
            return args, state
        wrapped = _ModuleBackwardHook.apply(state, "in", *[args[i] for i in idx])
        args = list(args)
        for i, w in zip(idx, wrapped):
            args[i] = w
        return tuple(args), state

    def _wrap_outputs(self, result, state):
        single = isinstance(result, Tensor)
        outs = (result,) if single else result
        if not isinstance(outs, tuple) or not any(isinstance(o, Tensor) and o.requires_grad
                                                  for o in outs):
            return result
        idx = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        wrapped = _ModuleBackwardHook.apply(state, "out", *[outs[i] for i in idx])
        outs = list(outs)
        for i, w in zip(idx, wrapped):
            outs[i] = w
        return outs[0] if single else tuple(outs)

    # -- printing -------------------------------------------------------------------------------
    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, m in self._modules.items():
            lines.append(f"({name}): " + _addindent(repr(m), 2))
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __getstate__(self):
        return self.__dict__.copy()

    def __setstate__(self, state):
        self.__dict__.update(state)
        _normalize_state(self.__dict__)


_HOOK_STORES = ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks", "_backward_pre_hooks",
                "_state_dict_hooks", "_load_state_dict_pre_hooks")


def _normalize_state(d):
    """A module unpickled from PyTorch's attributes (``torch.save(model)``) gets ember's
    registries: hook stores, the with-kwargs sets, and any registry PyTorch's lacks."""
    for name in ("_parameters", "_buffers", "_modules"):
        if not isinstance(d.get(name), OrderedDict):
            d[name] = OrderedDict(d.get(name) or {})
    for name in _HOOK_STORES:
        if not isinstance(d.get(name), _HookStore):
            d[name] = _HookStore(d.get(name) or {})
    for name in ("_forward_pre_hooks_with_kwargs", "_forward_hooks_with_kwargs"):
        if not isinstance(d.get(name), set):  # PyTorch: an OrderedDict of hook id -> True
            d[name] = set(d.get(name) or ())
    if not isinstance(d.get("_non_persistent_buffers_set"), set):
        d["_non_persistent_buffers_set"] = set(d.get("_non_persistent_buffers_set") or ())
    d.setdefault("training", True)


def _typename(v):
    if isinstance(v, Tensor):
        return {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
                "int64": "torch.LongTensor"}.get(v.dtype.name, "torch.Tensor")
    return type(v).__module__ + "." + type(v).__qualname__ \
        if type(v).__module__ != "builtins" else type(v).__name__


def _parse_to(args, kwargs):
    from ..._device import device as _device_cls
    dtype = kwargs.get("dtype")
    device = kwargs.get("device")
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (D.dtype,)) or getattr(a, "__module__", "") == "torch":
            dtype = a
        elif isinstance(a, (str, _device_cls)):
            device = a
        elif a is not None:
            dtype = a
    return (D.to_dtype(dtype) if dtype is not None else None), device
