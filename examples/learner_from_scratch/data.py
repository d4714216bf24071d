"""Data for the from-scratch Learner (steps 1-4 and 9 of the course): an image folder, a Dataset,
collate, a DataLoader with worker processes, normalisation and DataLoaders.

The chapter downloads Imagenette; here make_image_folder writes a small folder of the same
layout (``train/<label>/*.png`` and ``val/<label>/*.png``) with Pillow: 64x64 RGB pictures of
stripes, horizontal for one class and vertical for the other, each with its own tint,
stripe period, phase and pixel noise, so that only the direction tells the classes apart.
"""
import functools
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

import ember as torch

CLASSES = ("horizontal", "vertical")


def stripes(rng, vertical, size=64, noise=40.0):
    """One size x size RGB uint8 picture: light and dark stripes of one random tint, a random
    period (6-14 pixels) and phase, plus pixel noise."""
    period = rng.uniform(6, 14)
    phase = rng.uniform(0, 2 * np.pi)
    coord = np.arange(size)[None, :] if vertical else np.arange(size)[:, None]
    wave = (np.sin(2 * np.pi * coord / period + phase) > 0).astype(np.float64)
    wave = np.broadcast_to(wave, (size, size))[..., None]
    light = rng.uniform(0.4, 1.0, 3) * 255
    im = light * (0.25 + 0.75 * wave) + noise * rng.standard_normal((size, size, 3))
    return np.clip(im, 0, 255).astype(np.uint8)


def make_image_folder(root, n_per_class=40, valid_pct=0.25, size=64, seed=0):
    """Write n_per_class PNGs of each class under root (valid_pct of them in val/); return root."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    n_valid = max(1, round(n_per_class * valid_pct))
    for label, name in enumerate(CLASSES):
        for i in range(n_per_class):
            split = "val" if i < n_valid else "train"
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(stripes(rng, label == 1, size)).save(folder / f"{name}_{i:04d}.png")
    return root


def get_image_files(path):
    return sorted(Path(path).rglob("*.png"))


def val2idx(values):
    """{value: index} over the sorted distinct values (fastcore's L.val2idx)."""
    return {v: i for i, v in enumerate(sorted(set(values)))}


class Dataset:
    """Image files -> (image as a float HxWx3 tensor in [0, 1], label index)."""

    def __init__(self, fns, v2i, size=64):
        self.fns, self.v2i, self.size = fns, v2i, size

    def __len__(self):
        return len(self.fns)

    def __getitem__(self, i):
        im = Image.open(self.fns[i]).resize((self.size, self.size)).convert("RGB")
        y = self.v2i[self.fns[i].parent.name]
        return torch.tensor(np.asarray(im)).float() / 255, torch.tensor(y)


def collate(idxs, ds):
    """The items at idxs stacked into one batch: (images, labels)."""
    xb, yb = zip(*[ds[i] for i in idxs])
    return torch.stack(xb), torch.stack(yb)


class DataLoader:
    """Batches of ds, shuffled or not, each made by collate in one of n_workers processes
    (n_workers=0: made here, in this process)."""

    def __init__(self, ds, bs=128, shuffle=False, n_workers=1, seed=None):
        self.ds, self.bs, self.shuffle, self.n_workers = ds, bs, shuffle, n_workers
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return (len(self.ds) - 1) // self.bs + 1

    def __iter__(self):
        idxs = np.arange(len(self.ds))
        if self.shuffle:
            idxs = self.rng.permutation(idxs)
        chunks = [idxs[n:n + self.bs] for n in range(0, len(self.ds), self.bs)]
        # the chapter's ex.map(collate, chunks, ds=self.ds) is fastcore's; the standard library's
        # map takes no keyword arguments, so the dataset is bound with partial (pickled per chunk)
        fn = functools.partial(collate, ds=self.ds)
        if self.n_workers == 0:
            yield from map(fn, chunks)
            return
        with ProcessPoolExecutor(self.n_workers) as ex:
            yield from ex.map(fn, chunks)


class Normalize:
    """(x - mean) / std with per-channel stats, moved to x's device on first use."""

    def __init__(self, stats):
        self.stats = stats

    def __call__(self, x):
        if x.device != self.stats[0].device:
            self.stats = [s.to(x.device) for s in self.stats]
        return (x - self.stats[0]) / self.stats[1]


def channel_stats(xb):
    """Per-channel mean and std of a batch of NHWC images (every dimension but the last)."""
    return [xb.mean((0, 1, 2)), xb.std((0, 1, 2))]


class DataLoaders:
    def __init__(self, *dls):
        self.train, self.valid = dls


def image_dataloaders(path, bs=128, n_workers=1, seed=0):
    """DataLoaders over the train/ and val/ images of path, and the label -> index map."""
    files = get_image_files(path)
    v2i = val2idx(f.parent.name for f in files)
    train_filt = [f.parent.parent.name == "train" for f in files]
    train = [f for f, t in zip(files, train_filt) if t]
    valid = [f for f, t in zip(files, train_filt) if not t]
    train_dl = DataLoader(Dataset(train, v2i), bs=bs, shuffle=True, n_workers=n_workers, seed=seed)
    valid_dl = DataLoader(Dataset(valid, v2i), bs=bs * 2, n_workers=n_workers)
    return DataLoaders(train_dl, valid_dl), v2i
