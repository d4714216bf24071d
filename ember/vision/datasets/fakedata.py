"""FakeData: random images that are the same every time for a given index."""
from ..._creation import randint, randn
from ..._random import Generator
from ..transforms import functional as F
from .vision import VisionDataset

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """``size`` random PIL images of ``image_size`` (C, H, W) with random int targets.

    Item ``i`` is drawn as torchvision draws it, from a generator seeded with
    ``i + random_offset`` (``randn`` image, then ``randint`` target), so it is torchvision's
    image and does not depend on, or disturb, the global random state."""

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
        g = Generator().manual_seed(index + self.random_offset)
        img = randn(*self.image_size, generator=g)
        target = int(randint(0, self.num_classes, (1,), generator=g)[0].item())
        img = F.to_pil_image(img)
        return self._apply(img, target)

    def __len__(self):
        return self.size
