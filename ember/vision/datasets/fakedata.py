"""FakeData: random images that are the same every time for a given index."""
import numpy as np

from ..._random import Generator, rng
from ..._tensor import Tensor
from ..transforms import functional as F
from .vision import VisionDataset

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """``size`` random PIL images of ``image_size`` (C, H, W) with random int targets.

    Item ``i`` is drawn from its own generator seeded with ``i + random_offset``, so it does not
    depend on, or disturb, the global random state."""

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index):
        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        g = rng(Generator().manual_seed(index + self.random_offset))
        img = g.standard_normal(tuple(self.image_size), dtype=np.float32)
        target = int(g.integers(0, self.num_classes))
        img = F.to_pil_image(Tensor._wrap(img))
        return self._apply(img, target)

    def __len__(self):
        return self.size
