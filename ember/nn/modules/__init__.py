"""Every layer, re-exported flat as ``ember.nn.<Name>`` (each file lists its ``__all__``)."""
import importlib as _importlib

_FAMILIES = ("module", "container", "linear", "activation", "loss", "conv", "pooling",
             "batchnorm", "normalization", "dropout", "sparse", "rnn", "transformer", "misc")
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
