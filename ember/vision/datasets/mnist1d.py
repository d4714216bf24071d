"""MNIST-1D (Greydanus, 2020): 1-D signals of the ten digits, generated locally."""
import hashlib
import json
import os
import random
import tempfile

import numpy as np

from ..._tensor import Tensor
from .vision import VisionDataset

__all__ = ["MNIST1D"]


class MNIST1D(VisionDataset):
    """MNIST-1D, built with the ``mnist1d`` package's ``make_dataset`` (nothing is downloaded).

    ``args`` overrides entries of ``mnist1d.data.get_dataset_args()`` (num_samples, seed, ...);
    the defaults give 4,000 training and 1,000 test signals of length 40. Items are
    (float32 tensor of shape (40,), int label). ``.data`` (N x 40 float32 tensor), ``.targets``
    (int64 tensor) and ``.t`` (the sample positions) are exposed. With a ``root``, the generated
    arrays are cached in ``root/MNIST1D`` (an .npz keyed by the arguments), since generating the
    default 5,000 signals takes a few seconds. ``download`` is accepted and ignored."""

    classes = [str(i) for i in range(10)]

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False,
                 args=None):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        self.args = self._full_args(args)
        arrays = self._load_or_make()
        x, y = (arrays["x"], arrays["y"]) if train else (arrays["x_test"], arrays["y_test"])
        self.data = Tensor._wrap(np.ascontiguousarray(x, dtype=np.float32))
        self.targets = Tensor._wrap(np.asarray(y, dtype=np.int64))
        self.t = np.asarray(arrays["t"], dtype=np.float32)

    @staticmethod
    def _full_args(args):
        from mnist1d.data import get_dataset_args
        full = get_dataset_args(as_dict=True)
        full.pop("url", None)
        if args is not None:
            extra = args if isinstance(args, dict) else vars(args)
            unknown = set(extra) - set(full) - {"url"}
            if unknown:
                raise ValueError(f"unknown MNIST-1D arguments: {sorted(unknown)}")
            full.update({k: v for k, v in extra.items() if k != "url"})
        return full

    def _cache_path(self):
        if self.root is None:
            return None
        key = hashlib.sha1(json.dumps(self.args, sort_keys=True).encode()).hexdigest()[:16]
        return os.path.join(self.root, self.__class__.__name__, f"mnist1d_{key}.npz")

    def _load_or_make(self):
        path = self._cache_path()
        if path is not None and os.path.isfile(path):
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        arrays = self._make()
        if path is not None:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".npz")
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
            os.replace(tmp, path)  # atomic: a reader never sees half a file
        return arrays

    def _make(self):
        from mnist1d.data import make_dataset
        from mnist1d.utils import ObjectView
        # make_dataset reseeds the global NumPy and random streams: put them back afterwards
        np_state, py_state = np.random.get_state(), random.getstate()
        try:
            d = make_dataset(ObjectView(dict(self.args)))
        finally:
            np.random.set_state(np_state)
            random.setstate(py_state)
        return {k: np.asarray(d[k]) for k in ("x", "y", "x_test", "y_test", "t")}

    def __getitem__(self, index):
        x = Tensor._wrap(self.data._data[index])
        target = int(self.targets._data[index])
        return self._apply(x, target)

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"
