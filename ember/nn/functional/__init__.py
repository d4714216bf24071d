"""torch.nn.functional: stateless layer functions. Each family lives in its own file and lists
its public names in ``__all__``; they are re-exported here flat, as PyTorch has them."""
from . import (
    _activation,
    _attention,
    _basic,
    _conv,
    _distance,
    _dropout,
    _embedding,
    _fold,
    _interpolate,
    _loss,
    _norm,
    _padding,
    _pool,
    _sampling,
)

__all__ = []
for _m in (_basic, _activation, _loss, _conv, _pool, _norm, _dropout, _embedding, _padding,
           _interpolate, _distance, _fold, _attention, _sampling):
    globals().update({_n: getattr(_m, _n) for _n in _m.__all__})
    __all__ += list(_m.__all__)
del _m
