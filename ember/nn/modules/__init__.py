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

# PyTorch's module paths that re-export layers defined in the files above
from . import channelshuffle, distance, flatten, fold, instancenorm  # noqa: F401, E402, I001
from . import padding, pixelshuffle, upsampling, utils  # noqa: F401, E402

# PyTorch's module paths for classes defined in another of ember's files (a model pickled by
# PyTorch names them so; the files that would hold them would import each other).
activation.MultiheadAttention = transformer.MultiheadAttention
linear.NonDynamicallyQuantizableLinear = transformer.NonDynamicallyQuantizableLinear
