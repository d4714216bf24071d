"""Whole objects — a module, an optimizer, a user's class — in PyTorch's zip layout.

Saving: a pickler writes ``data.pkl`` as ``torch.save`` does — tensors as
``torch._utils._rebuild_tensor_v2`` over ``('storage', torch.FloatStorage, key, location, numel)``
persistent ids, Parameters through ``_rebuild_parameter``, dtypes as ``torch.float32`` … — and
every other object by Python's own rules (classes under their module path).

Loading such a file runs code named by the file, so ``ember.load`` does it only when asked
(``weights_only=False``, trusting the file) or for the globals the user allow-listed
(``add_safe_globals`` / ``safe_globals``, PyTorch's API). A whole model pickled by PyTorch names
``torch.nn.modules.linear.Linear`` and the like; those resolve to ember's classes at the same path
(``ember.nn.modules.linear.Linear``), else to the nearest ember package that has the name.
"""
import importlib
import pickle
from collections import OrderedDict

from .. import _dtype as D
from .._device import device
from .._tensor import Size, Tensor
from ._common import CheckpointError, WeightsOnlyError, host_array
from ._pickle import STORAGE_OF, _contiguous_strides

__all__ = ["dumps", "TrustingUnpickler", "add_safe_globals", "get_safe_globals",
           "clear_safe_globals", "safe_globals", "user_globals", "USER"]

# -- the allow-list (torch.serialization's API) ----------------------------------------------------
_safe = set()
USER = object()  # the info of a Global that the user allow-listed


def add_safe_globals(safe_globals):
    """Mark these globals (classes, functions, or ``(obj, "module.name")`` pairs) safe for
    ``ember.load(weights_only=True)``: a file may then name, instantiate and build them."""
    global _safe
    _safe = _safe | set(safe_globals)


def get_safe_globals():
    """The user-added globals allowed in a weights-only load."""
    return list(_safe)


def clear_safe_globals():
    """Forget every global added with ``add_safe_globals``."""
    global _safe
    _safe = set()


class safe_globals:
    """``with ember.serialization.safe_globals([Net]): ember.load(f)``: the globals are allowed
    inside the block only."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        global _safe
        self._added = set(self.safe_globals) - _safe
        _safe = _safe | self._added

    def __exit__(self, *exc):
        global _safe
        _safe = _safe - self._added


def user_globals():
    """{"module.qualname": object} for the allow-listed globals."""
    out = {}
    for g in _safe:
        if isinstance(g, tuple):
            if len(g) != 2:
                raise ValueError("Expected tuple of length 2 (global, str of callable full path), "
                                 f"but got tuple of length: {len(g)}")
            if type(g[1]) is not str:
                raise TypeError("Expected second item in tuple to be str of callable full path, "
                                f"but got: {type(g[1])}")
            out[g[1]] = g[0]
        else:
            out[f"{g.__module__}.{g.__qualname__}"] = g
    return out


# -- saving ----------------------------------------------------------------------------------------
class _TorchName:
    """A global written under PyTorch's name (``torch._utils._rebuild_tensor_v2``)."""

    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # (the pickler's save_reduce insists on a callable)
        raise TypeError(f"{self.module}.{self.name} is a name written into a pickle")


class _Storage:
    __slots__ = ("pid",)

    def __init__(self, pid):
        self.pid = pid


class _Data:
    """A Parameter's tensor data, pickled as a plain tensor."""

    __slots__ = ("t",)

    def __init__(self, t):
        self.t = t


_REBUILD_V2 = _TorchName("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAM = _TorchName("torch._utils", "_rebuild_parameter")
_ORDERED = _TorchName("collections", "OrderedDict")
_SIZE, _DEVICE = _TorchName("torch", "Size"), _TorchName("torch", "device")


class _Pickler(pickle._Pickler):  # the Python pickler: its save() can write PyTorch's names
    def __init__(self, file):
        super().__init__(file, protocol=2)
        self.storages = []

    def persistent_id(self, obj):
        return obj.pid if type(obj) is _Storage else None

    def save(self, obj, save_persistent_id=True):
        if type(obj) is _TorchName:
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
            return
        if isinstance(obj, D.dtype):
            self.write(pickle.GLOBAL + f"torch\n{obj.name}\n".encode())
            return
        super().save(obj, save_persistent_id)

    def reducer_override(self, obj):
        from ..nn.parameter import Parameter
        if type(obj) is _Data:
            return self._tensor(obj.t, False)
        if isinstance(obj, Parameter):
            return _REBUILD_PARAM, (_Data(obj), obj.requires_grad, OrderedDict())
        if isinstance(obj, Tensor):
            return self._tensor(obj, obj.requires_grad)
        if isinstance(obj, device):
            return _DEVICE, (obj.type,) if obj.index is None else (obj.type, obj.index)
        if isinstance(obj, Size):
            return _SIZE, (tuple(int(s) for s in obj),)
        return NotImplemented

    def _tensor(self, t, requires_grad):
        if t.dtype not in STORAGE_OF:
            raise TypeError(f"ember.save: cannot save a tensor of dtype {t.dtype}")
        arr = host_array(t)
        key = str(len(self.storages))
        self.storages.append((key, arr))
        pid = ("storage", _TorchName("torch", STORAGE_OF[t.dtype]), key, str(t.device), arr.size)
        return _REBUILD_V2, (_Storage(pid), 0, tuple(arr.shape), tuple(_contiguous_strides(arr.shape)),
                             requires_grad, OrderedDict())


def dumps(obj):
    """(pickle bytes, [(storage key, array)]) for any picklable ``obj``."""
    import io
    out = io.BytesIO()
    p = _Pickler(out)
    try:
        p.dump(obj)
    except (pickle.PicklingError, AttributeError, TypeError) as e:
        raise TypeError(f"ember.save: cannot pickle {type(obj).__module__}.{type(obj).__qualname__}: "
                        f"{e}") from e
    return out.getvalue(), p.storages


# -- loading with weights_only=False -----------------------------------------------------------------
def resolve_torch(module, name, fname):
    """ember's class or function for PyTorch's ``module.name``: the same path under ``ember``,
    else the nearest enclosing ember package that has the name (``torch.nn.modules.flatten.
    Flatten`` -> ``ember.nn.Flatten`` while ember keeps it elsewhere)."""
    parts = ["ember"] + module.split(".")[1:]
    for n in range(len(parts), 0, -1):
        path = ".".join(parts[:n])
        try:
            obj = importlib.import_module(path)
        except ImportError:
            continue
        for attr in name.split("."):
            obj = getattr(obj, attr, None)
            if obj is None:
                break
        if obj is not None:
            return obj
    raise CheckpointError(f"{fname} names {module}.{name}, which ember does not have "
                          f"(looked for {'.'.join(parts)}.{name})")


class TrustingUnpickler(pickle.Unpickler):
    """Python's unpickler (the file may run code: ``weights_only=False``), with PyTorch's
    tensor and storage globals served by the checkpoint loader and ``torch.*`` classes
    resolved to ember's."""

    def __init__(self, file, loader):
        super().__init__(file)
        self.loader = loader

    def find_class(self, module, name):
        if module == "torch" or module.startswith("torch."):
            try:
                g = self.loader.find_global(module, name)
            except WeightsOnlyError:
                return resolve_torch(module, name, self.loader.fname)
            from ._unpickle import Global
            if type(g) is Global and g.call is not None:
                return g.call
            return g  # a dtype, or a storage type / Tensor class stand-in
        return super().find_class(module, name)

    def persistent_load(self, pid):
        return self.loader.persistent_load(pid)


def refusal(fname, detail):
    """PyTorch's message for a weights-only refusal (naming ember's API and the file)."""
    if "was not an allowed global by default" in detail:
        return WeightsOnlyError(
            f"Weights only load failed for {fname}. This file can still be loaded, to do so you have "
            "two options, do those steps only if you trust the source of the checkpoint. \n\t(1) "
            + _UNSAFE + "\n\t(2) Alternatively, to load with `weights_only=True` please check the "
            "recommended steps in the following error message.\n\tWeightsUnpickler error: " + detail)
    return WeightsOnlyError(f"Weights only load failed for {fname}. {_UNSAFE}\n\n"
                            f"WeightsUnpickler error: {detail}")


_UNSAFE = ("ember.load reads only tensors, containers and plain values by default "
           "(weights_only=True, as torch.load since PyTorch 2.6). Re-running `ember.load` with "
           "`weights_only` set to `False` will likely succeed, but it can result in arbitrary code "
           "execution. Do it only if you got the file from a trusted source.")


def unsupported_global(full):
    """The detail of a refused global, with PyTorch's advice in ember's names."""
    shown = full[len("builtins."):] if full.startswith("builtins.") else full
    ours = "ember" + shown[len("torch"):] if shown.startswith("torch.") else shown
    return (f"Unsupported global: GLOBAL {shown} was not an allowed global by default. Please use "
            f"`ember.serialization.add_safe_globals([{ours}])` or the "
            f"`ember.serialization.safe_globals([{ours}])` context manager to allowlist this "
            "global if you trust this class/function.")

