"""torch.nn.functional: stateless layer functions. Each family lives in its own file and lists
its public names in ``__all__``; they are re-exported here flat, as PyTorch has them."""
from . import _activation, _attention, _basic, _conv, _loss, _misc, _norm, _pool, _sampling

__all__ = []
for _m in (_basic, _activation, _loss, _conv, _pool, _norm, _misc, _attention, _sampling):
    globals().update({_n: getattr(_m, _n) for _n in _m.__all__})
    __all__ += list(_m.__all__)
del _m
