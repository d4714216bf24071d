"""PyTorch's module path torch.nn.modules.upsampling (the layers live in misc.py)."""
from .misc import (
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
)

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]
