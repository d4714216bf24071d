"""torch.nn.functional: stateless layer functions. Each family lives in its own file and lists
its public names in ``__all__``; they are re-exported here flat, as PyTorch has them."""
import importlib as _importlib

_FAMILIES = ("_basic", "_activation", "_loss", "_conv", "_pool", "_norm", "_misc", "_attention")
__all__ = []
for _name in _FAMILIES:
    try:
        _m = _importlib.import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as _e:
        if _e.name != f"{__name__}.{_name}":
            raise
        continue
    globals().update({_n: getattr(_m, _n) for _n in _m.__all__})
    __all__ += list(_m.__all__)
