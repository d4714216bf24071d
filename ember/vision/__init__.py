"""torchvision's role in ember: ``transforms``, ``datasets``, ``models`` and ``utils`` (make_grid,
save_image)."""
from . import datasets, models, transforms, utils

__all__ = ["datasets", "models", "transforms", "utils"]
