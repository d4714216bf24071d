"""ember: a small deep-learning framework with PyTorch's API, on NumPy (and CuPy)."""
from ._alloc import tune_malloc as _tune_malloc

_tune_malloc()
from . import _dtype
from ._dtype import (bool, cdouble, cfloat, complex64, complex128, double, dtype, finfo,  # noqa: A004
                     float, float16, float32, float64, get_default_dtype, half, iinfo, int,  # noqa: A004
                     int8, int16, int32, int64, long, promote_types, set_default_dtype, short,
                     uint8)
from ._device import device
from ._tensor import Size, Tensor
from ._legacy import (BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor,
                      IntTensor, LongTensor, ShortTensor)
from . import autograd, backends, cuda, linalg
from ._threads import get_num_threads, set_num_threads
from ._config import show_config
from .ops.memory_format import (channels_last, channels_last_3d, contiguous_format,  # noqa: E402
                                memory_format, preserve_format)
from . import _config as __config__  # torch.__config__.show()
from ._flags import (are_deterministic_algorithms_enabled,
                     get_float32_matmul_precision, is_deterministic_algorithms_warn_only_enabled,
                     set_float32_matmul_precision, use_deterministic_algorithms)
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd import is_anomaly_check_nan_enabled, is_anomaly_enabled
from ._random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed,
                      seed, set_rng_state)
from . import random
from ._printing import get_printoptions, printoptions, set_printoptions
# Each op family lists its public functions in __all__ (its *Methods mixin is filtered out).
from . import _creation
from .ops import arith as _arith, binary as _binary, broadcast as _broadcast, compare as _compare
from .ops import gather as _gather, index as _index, join as _join, linalg as _linalg
from .ops import reduce as _reduce, shape as _shape, sort as _sort, unary as _unary
from .ops import activation as _activation
from .ops import complex as _complex

for _m in (_creation, _activation, _arith, _binary, _broadcast, _compare, _complex, _gather, _index,
           _join, _linalg, _reduce, _shape, _sort, _unary):
    globals().update({_n: getattr(_m, _n) for _n in _m.__all__ if not _n.endswith("Methods")})
del _m

from . import metrics, nn, onnx, optim, serialization, utils  # noqa: E402
from . import amp, distributions, fft, special, testing  # noqa: E402
from .amp import autocast, get_autocast_dtype, is_autocast_available, is_autocast_enabled  # noqa: E402
from . import train  # noqa: E402
from . import _C, sparse  # noqa: E402
from .sparse import layout, sparse_coo, sparse_coo_tensor, spmm, strided  # noqa: E402
from . import compiler  # noqa: E402  (ember.compile's controls)
from ._compile import compile  # noqa: E402, A004  (torch.compile: capture and replay)
from .serialization import load, save  # noqa: E402
from .linalg import cholesky_solve  # noqa: E402

__version__ = "0.1.0"

from math import e, inf, nan, pi  # noqa: E402 - torch.pi and friends


# Subpackages imported on first use (``ember.vision`` after a plain ``import ember``), as PyTorch
# users reach for ``torch.distributed`` & co; importing them eagerly would slow ``import ember``.
_LAZY_SUBMODULES = frozenset({"accelerator", "distributed", "hub", "lightning", "multiprocessing",
                              "run", "sparse", "vision"})


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module 'ember' has no attribute '{name}'") from e
    if name == "bfloat16":
        raise AttributeError("ember has no bfloat16: NumPy, which holds ember's tensors, has no "
                             "bfloat16 type; use ember.float16 or ember.float32")
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def is_complex(input):
    return input.is_complex()


def numel(input):
    return input.numel()


def result_type(tensor1, tensor2):
    return _dtype.result_type_of((tensor1, tensor2))


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return builtins_bool(input.item())


def clone(input, *, memory_format=None):  # noqa: F811 - PyTorch's argument name
    return input.clone(memory_format=memory_format)


def detach(input):
    return input.detach()


import builtins as _builtins  # noqa: E402

builtins_bool = _builtins.bool
