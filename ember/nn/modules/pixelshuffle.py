"""PyTorch's module path torch.nn.modules.pixelshuffle (the layers live in misc.py)."""
from .misc import PixelShuffle, PixelUnshuffle

__all__ = ["PixelShuffle", "PixelUnshuffle"]
