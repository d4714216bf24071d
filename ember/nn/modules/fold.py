"""PyTorch's module path torch.nn.modules.fold (the layers live in misc.py)."""
from .misc import Fold, Unfold

__all__ = ["Fold", "Unfold"]
