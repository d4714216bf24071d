"""MNIST and Fashion-MNIST from IDX files in torchvision's layout: root/<Class>/raw/<file>[.gz]."""
import gzip
import os

import numpy as np
from PIL import Image

from ..._tensor import Tensor
from .utils import download_from_mirrors
from .vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "read_idx"]

# IDX type codes -> big-endian NumPy dtypes
_IDX_TYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def _read_bytes(path):
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                return f.read()
        with open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError) as e:  # bad gzip header, stream cut short
        raise RuntimeError(f"Could not read {path}: {e}") from None


def read_idx(path):
    """An IDX file (gzipped or not) as a NumPy array in native byte order.

    Layout: 0x00 0x00, a type byte, a dimension count, one big-endian int32 per dimension, then
    the data, big-endian."""
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES or not 1 <= raw[3] <= 4:
        head = raw[:4].hex() if raw else "empty file"
        raise RuntimeError(f"{path} is not an IDX file: bad magic number ({head}); expected 00 00, a "
                           "type code (08 for uint8) and a dimension count of 1 to 4")
    dtype, ndim = _IDX_TYPES[raw[2]], raw[3]
    start = 4 + 4 * ndim
    if len(raw) < start:
        raise RuntimeError(f"{path} is truncated: the header needs {start} bytes, the file has {len(raw)}")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">i4", count=ndim, offset=4))
    want = int(np.prod(shape)) * dtype.itemsize
    have = len(raw) - start
    if have != want:
        what = "truncated" if have < want else "longer than its header says"
        raise RuntimeError(f"{path} is {what}: the header promises shape {shape} of {dtype.name} "
                           f"({want} bytes of data), the file holds {have}")
    return np.frombuffer(raw, dtype, offset=start).reshape(shape).astype(dtype.newbyteorder("="))


class MNIST(VisionDataset):
    """MNIST handwritten digits: (PIL image mode 'L', int label) pairs.

    Files are looked for in ``root/MNIST/raw`` (``train-images-idx3-ubyte`` etc., plain or
    ``.gz``). ``download=True`` fetches the .gz files from ``mirrors``, checks their MD5 and
    unpacks them. ``.data`` is a uint8 tensor N x 28 x 28, ``.targets`` an int64 tensor."""

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        self.data, self.targets = self._load_data()

    @property
    def raw_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def processed_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "processed")

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def _split_files(self):
        prefix = "train" if self.train else "t10k"
        return [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]

    def _find(self, name):
        """The path of ``name`` in the raw folder, unpacked or gzipped, or None."""
        for cand in (name, name + ".gz"):
            path = os.path.join(self.raw_folder, cand)
            if os.path.isfile(path):
                return path
        return None

    def _check_exists(self):
        return all(self._find(os.path.splitext(f)[0]) for f, _ in self.resources)

    def _load_data(self):
        names = self._split_files()
        paths = [self._find(n) for n in names]
        if None in paths:
            missing = [n for n, p in zip(names, paths) if p is None]
            raise RuntimeError("Dataset not found. You can use download=True to download it. Looked for "
                               f"{', '.join(missing)} (or .gz) in {os.path.abspath(self.raw_folder)}")
        images, labels = read_idx(paths[0]), read_idx(paths[1])
        if images.dtype != np.uint8 or images.ndim != 3:
            raise RuntimeError(f"{paths[0]}: expected uint8 images N x H x W, got {images.dtype.name} "
                               f"of shape {images.shape}")
        if labels.dtype != np.uint8 or labels.ndim != 1:
            raise RuntimeError(f"{paths[1]}: expected uint8 labels N, got {labels.dtype.name} of shape "
                               f"{labels.shape}")
        if len(images) != len(labels):
            raise RuntimeError(f"{paths[0]} holds {len(images)} images but {paths[1]} holds "
                               f"{len(labels)} labels")
        return Tensor._wrap(images), Tensor._wrap(labels.astype(np.int64))

    def download(self):
        """Fetch the missing files (MD5-checked) into the raw folder and unpack them."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            if self._find(os.path.splitext(filename)[0]) is None:
                download_from_mirrors(self.mirrors, filename, md5, self.raw_folder)

    def __getitem__(self, index):
        data, targets = self.data, self.targets
        img = data._data[index] if isinstance(data, Tensor) else np.asarray(data[index])
        target = int(targets._data[index] if isinstance(targets, Tensor) else targets[index])
        img = Image.fromarray(img)  # uint8 H x W: mode "L"
        return self._apply(img, target)

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: MNIST's format with ten clothing classes."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
