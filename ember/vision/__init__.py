"""torchvision's role in ember: ``transforms``, ``datasets`` and ``utils`` (make_grid, save_image)."""
from . import datasets, transforms, utils

__all__ = ["datasets", "transforms", "utils"]
