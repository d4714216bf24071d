"""torch.backends.cuda: the TF32 switch for matrix products (recorded; ember does not use
TF32)."""
from types import SimpleNamespace

matmul = SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True)


def is_built():
    from .._device import cuda_available
    return cuda_available()
