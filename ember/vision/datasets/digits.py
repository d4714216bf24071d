"""Digits: scikit-learn's bundled 8 x 8 handwritten digits (UCI ML), no download needed."""
import importlib.util
import os

import numpy as np
from PIL import Image

from ..._tensor import Tensor
from .vision import VisionDataset

__all__ = ["Digits"]


def _load_digits():
    """(images 1797 x 8 x 8 in 0..16, labels). Reads the CSV that scikit-learn bundles directly:
    importing sklearn.datasets (what load_digits needs) takes seconds, the file a fraction."""
    spec = importlib.util.find_spec("sklearn")
    path = None if spec is None or spec.origin is None else \
        os.path.join(os.path.dirname(spec.origin), "datasets", "data", "digits.csv.gz")
    if path is not None and os.path.isfile(path):
        table = np.loadtxt(path, delimiter=",")
        return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits  # layout changed: go through the public API
    bunch = load_digits()
    return bunch.images, bunch.target


class Digits(VisionDataset):
    """The 1,797 8 x 8 digit images of ``sklearn.datasets.load_digits`` as (PIL 'L' image, int).

    Pixel values 0..16 are scaled to 0..255 (rounded) so that ``ToTensor`` gives [0, 1]. The
    split is fixed: the first 80 % (1,437 images, in the file's order) are ``train``, the rest
    ``test``. ``root`` and ``download`` are accepted for a uniform signature and unused."""

    classes = [str(i) for i in range(10)]
    train_fraction = 0.8

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        images, labels = _load_digits()
        images = np.rint(images * (255.0 / 16.0)).astype(np.uint8)
        split = int(len(images) * self.train_fraction)
        sl = slice(0, split) if train else slice(split, None)
        self.train = train
        self.data = Tensor._wrap(np.ascontiguousarray(images[sl]))
        self.targets = Tensor._wrap(np.asarray(labels[sl], dtype=np.int64))

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index):
        img = Image.fromarray(self.data._data[index])
        target = int(self.targets._data[index])
        return self._apply(img, target)

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"
