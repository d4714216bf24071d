"""CIFAR-10 and CIFAR-100 from the "python version" pickles (torchvision's layout)."""
import os
import pickle

import numpy as np
from PIL import Image

from .utils import download_and_extract_archive, restricted_load
from .vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100"]


def _text(x):
    return x.decode("latin1") if isinstance(x, bytes) else x


def _load_batch(path):
    """A CIFAR pickle as a dict with str keys. The originals are Python 2 pickles (protocol 2,
    str keys); files written by Python 3 may use bytes keys. Both load; no code runs."""
    try:
        with open(path, "rb") as f:
            entry = restricted_load(f, encoding="latin1")
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError,
            KeyError, OverflowError, MemoryError, RecursionError) as e:
        raise RuntimeError(f"{path} is not a readable CIFAR pickle: {e}") from None
    if not isinstance(entry, dict):
        raise RuntimeError(f"{path} is not a CIFAR pickle: expected a dict, got {type(entry).__name__}")
    return {_text(k): v for k, v in entry.items()}


class CIFAR10(VisionDataset):
    """CIFAR-10: (PIL RGB image 32 x 32, int label) pairs.

    Reads ``root/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}``. ``.data`` is a
    uint8 NumPy array N x 32 x 32 x 3, ``.targets`` a list of ints, ``.classes`` the label names.
    ``download=True`` fetches the archive, checks its MD5 and unpacks it."""

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [["data_batch_1", "c99cafc152244af753f735de768cd75f"],
                  ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
                  ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
                  ["data_batch_4", "634d18415352ddfa80567beed471001a"],
                  ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"]]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names", "md5": "5ff9c542aee3614f3951f8cda6e48888"}
    labels_key = "labels"

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        files = self.train_list if train else self.test_list
        missing = [f for f, _ in files + [[self.meta["filename"], None]]
                   if not os.path.isfile(os.path.join(self._folder, f))]
        if missing:
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to download it. "
                               f"Looked for {', '.join(missing)} in {os.path.abspath(self._folder)}")
        data, self.targets = [], []
        for name, _ in files:
            d, t = self._read_data(os.path.join(self._folder, name))
            data.append(d)
            self.targets.extend(t)
        self.data = np.concatenate(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        self._load_meta()

    @property
    def _folder(self):
        return os.path.join(self.root, self.base_folder)

    def _read_data(self, path):
        entry = _load_batch(path)
        data = entry.get("data")
        labels = entry.get(self.labels_key, entry.get("labels", entry.get("fine_labels")))
        if not isinstance(data, np.ndarray) or labels is None:
            raise RuntimeError(f"{path} is not a CIFAR batch: expected 'data' (an array) and "
                               f"'{self.labels_key}' entries, found keys {sorted(entry)}")
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
            raise RuntimeError(f"{path}: expected uint8 data of shape N x 3072, got {data.dtype.name} "
                               f"{data.shape}")
        labels = [int(v) for v in labels]
        if len(labels) != len(data):
            raise RuntimeError(f"{path} holds {len(data)} images but {len(labels)} labels")
        return data, labels

    def _load_meta(self):
        path = os.path.join(self._folder, self.meta["filename"])
        names = _load_batch(path).get(self.meta["key"])
        if names is None:
            raise RuntimeError(f"{path}: no '{self.meta['key']}' entry")
        self.classes = [_text(n) for n in names]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def _check_exists(self):
        return all(os.path.isfile(os.path.join(self._folder, f))
                   for f, _ in self.train_list + self.test_list + [[self.meta["filename"], None]])

    def download(self):
        if self._check_exists():
            return
        download_and_extract_archive(self.url, self.root, filename=self.filename, md5=self.tgz_md5)

    def __getitem__(self, index):
        img, target = Image.fromarray(self.data[index]), self.targets[index]
        return self._apply(img, target)

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100 with its 100 fine labels (``root/cifar-100-python/{train, test, meta}``)."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names", "md5": "7973b15100ade9c7d40fb424638fde48"}
    labels_key = "fine_labels"
