"""Image transforms with torchvision's API (``ember.vision.transforms`` ~ ``torchvision.transforms``)."""
from . import autoaugment, functional, transforms
from .autoaugment import *  # noqa: F403
from .transforms import *  # noqa: F403

__all__ = ["functional", *autoaugment.__all__, *transforms.__all__]
