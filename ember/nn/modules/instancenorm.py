"""PyTorch's module path torch.nn.modules.instancenorm (the layers live in normalization.py)."""
from .normalization import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]
