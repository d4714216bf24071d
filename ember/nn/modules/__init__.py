"""Every layer, re-exported flat as ``ember.nn.<Name>`` (each file lists its ``__all__``)."""
from . import (
    activation,
    batchnorm,
    container,
    conv,
    dropout,
    linear,
    loss,
    misc,
    module,
    normalization,
    pooling,
    rnn,
    sparse,
    transformer,
)

__all__ = []
for _m in (module, container, linear, activation, loss, conv, pooling, batchnorm, normalization,
           dropout, sparse, rnn, transformer, misc):
    globals().update({_n: getattr(_m, _n) for _n in _m.__all__})
    __all__ += list(_m.__all__)
del _m
