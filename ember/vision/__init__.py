"""torchvision's role in ember: ``transforms``, ``datasets``, ``models``, ``ops`` and ``utils`` (make_grid,
save_image)."""
from . import datasets, models, ops, transforms, utils

__all__ = ["datasets", "models", "ops", "transforms", "utils"]
