"""dataloader_epoch: one epoch over 55,000 MNIST-like 1x28x28 samples (uint8 arrays through
ToTensor + Normalize), batch 64, shuffled, ember vs PyTorch, ``num_workers`` 0 and 2.

torchvision is not a dependency, so the PyTorch side uses the two transforms written as
torchvision writes them for an H x W uint8 array (from_numpy, permute, contiguous, /255; then
sub_/div_ by per-channel tensors); the ember side uses ember.vision.transforms.

    python -m benchmarks.dataloader [n_samples]
"""
import sys
import time

import numpy as np

N_SAMPLES = 55_000
MEAN, STD = (0.1307,), (0.3081,)


class _TorchToTensor:
    def __init__(self, torch):
        self.torch = torch

    def __call__(self, pic):
        if pic.ndim == 2:
            pic = pic[:, :, None]
        img = self.torch.from_numpy(pic.transpose((2, 0, 1))).contiguous()
        return img.to(dtype=self.torch.get_default_dtype()).div(255)


class _TorchNormalize:
    def __init__(self, torch, mean, std):
        self.torch, self.mean, self.std = torch, mean, std

    def __call__(self, t):
        t = t.clone()
        mean = self.torch.as_tensor(self.mean, dtype=t.dtype).view(-1, 1, 1)
        std = self.torch.as_tensor(self.std, dtype=t.dtype).view(-1, 1, 1)
        return t.sub_(mean).div_(std)


def _transform(lib):
    if lib.__name__ == "torch":
        return lambda x, a=_TorchToTensor(lib), b=_TorchNormalize(lib, MEAN, STD): b(a(x))
    from ember.vision import transforms
    return transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])


def _dataset(lib, n):
    base = lib.utils.data.Dataset

    class MNISTLike(base):
        """Images and labels held as arrays, transformed per sample as torchvision's MNIST."""

        def __init__(self):
            rng = np.random.default_rng(0)
            self.data = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
            self.targets = rng.integers(0, 10, n)
            self.transform = _transform(lib)

        def __len__(self):
            return n

        def __getitem__(self, i):
            return self.transform(self.data[i]), int(self.targets[i])

    return MNISTLike()


def _epoch_seconds(lib, num_workers, n, repeat):
    import torch.utils.data  # noqa: F401  (torch.utils.data is not imported by `import torch`)

    import ember.utils.data  # noqa: F401
    ds = _dataset(lib, n)
    loader = lib.utils.data.DataLoader(ds, batch_size=64, shuffle=True, num_workers=num_workers)
    best = float("inf")
    for _ in range(repeat):
        lib.manual_seed(0)
        t0 = time.perf_counter()
        count = 0
        for x, y in loader:
            count += x.shape[0]
        best = min(best, time.perf_counter() - t0)
        assert count == n and tuple(x.shape[1:]) == (1, 28, 28)
    return best


def dataloader_epoch(ember, torch, num_workers=0, n=N_SAMPLES, repeat=2):
    """Seconds per epoch (best of ``repeat``): (ember, torch)."""
    return (_epoch_seconds(ember, num_workers, n, repeat),
            _epoch_seconds(torch, num_workers, n, repeat))


def dataloader_epoch_w0(ember, torch):
    """One epoch, 55,000 MNIST-like samples, ToTensor + Normalize, batch 64, num_workers=0."""
    return dataloader_epoch(ember, torch, 0)


def dataloader_epoch_w2(ember, torch):
    """The same with num_workers=2."""
    return dataloader_epoch(ember, torch, 2)


if __name__ == "__main__":
    import torch

    import ember
    n = int(sys.argv[1]) if len(sys.argv) > 1 else N_SAMPLES
    print(f"{'workload':<24}{'ember_s':>10}{'torch_s':>10}{'ratio':>8}")
    for w in (0, 2):
        e, t = dataloader_epoch(ember, torch, w, n)
        print(f"{'dataloader_epoch_w' + str(w):<24}{e:>10.4f}{t:>10.4f}{e / t:>8.2f}")
