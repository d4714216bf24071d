"""PyTorch's module path torch.nn.modules.distance (the layers live in misc.py)."""
from .misc import CosineSimilarity, PairwiseDistance

__all__ = ["PairwiseDistance", "CosineSimilarity"]
