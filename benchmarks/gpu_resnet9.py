"""ResNet9 on a CIFAR-shaped epoch on the GPU: ember on CuPy against PyTorch on CUDA where a CUDA
build of torch is installed, else against ember on the CPU.

    python -m benchmarks.gpu_resnet9 [--images N] [--batch B] [--cpu-steps K]

The network is the seed notes' ResNet9 (conv-BN-ReLU blocks 64-128-256-512 with two residual
pairs, max pooling, a linear head); the data are random 3x32x32 images and labels held on the
host and copied to the device batch by batch, as a loader would; one SGD step (momentum,
weight decay) per batch. Prints seconds per epoch of ``--images`` images (default 50,000) for
each side and the ratio. The CPU side, when it is the comparison, times ``--cpu-steps`` steps
(default 3) and scales them to the epoch, and says so.

Without CuPy and a CUDA GPU it prints why and exits 0: the benchmark is ready for the day a
device is there; no CuPy path of ember has been timed yet.
"""
import argparse
import sys
import time

import numpy as np


def resnet9(nn, in_channels=3, num_classes=10):
    def block(cin, cout, pool=False):
        layers = [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
        if pool:
            layers.append(nn.MaxPool2d(2))
        return nn.Sequential(*layers)

    class Residual(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.body = nn.Sequential(block(c, c), block(c, c))

        def forward(self, x):
            return self.body(x) + x

    return nn.Sequential(block(in_channels, 64), block(64, 128, pool=True), Residual(128),
                         block(128, 256, pool=True), block(256, 512, pool=True), Residual(512),
                         nn.MaxPool2d(4), nn.Flatten(), nn.Linear(512, num_classes))


def _sync(lib, device):
    if device == "cuda":
        lib.cuda.synchronize()


def epoch_seconds(lib, device, images, batch, steps=None):
    """Seconds for one epoch of ``images`` (timed over ``steps`` batches and scaled when given)."""
    lib.manual_seed(0)
    model = resnet9(lib.nn).to(device)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    loss_fn = lib.nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((4 * batch, 3, 32, 32)).astype(np.float32)   # reused round-robin
    ys = rng.integers(0, 10, 4 * batch)
    n_steps = -(-images // batch)

    def step(i):
        j = (i % 4) * batch
        x = lib.tensor(xs[j:j + batch]).to(device)
        y = lib.tensor(ys[j:j + batch]).to(device)
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    step(0)                       # warm-up: kernels compile, memory pools fill
    _sync(lib, device)
    todo = n_steps if steps is None else min(steps, n_steps)
    t0 = time.perf_counter()
    for i in range(todo):
        step(i)
    _sync(lib, device)
    return (time.perf_counter() - t0) * n_steps / todo


def main(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks.gpu_resnet9")
    p.add_argument("--images", type=int, default=50_000)
    p.add_argument("--batch", type=int, default=400)
    p.add_argument("--cpu-steps", type=int, default=3)
    args = p.parse_args(argv)

    import ember
    if not ember.cuda.is_available():
        print("gpu_resnet9: skipped - ember needs CuPy and a CUDA GPU for this benchmark "
              "(none found). Nothing was timed.")
        return None
    try:
        import torch
        torch_cuda = torch.cuda.is_available()
    except ImportError:
        torch, torch_cuda = None, False
    e = epoch_seconds(ember, "cuda", args.images, args.batch)
    if torch_cuda:
        other, label = epoch_seconds(torch, "cuda", args.images, args.batch), "torch cuda"
    else:
        other = epoch_seconds(ember, "cpu", args.images, args.batch, args.cpu_steps)
        label = f"ember cpu (from {args.cpu_steps} steps)"
    print(f"ResNet9, {args.images} images of 3x32x32, batch {args.batch}: seconds per epoch")
    print(f"{'ember cuda':<32}{e:>10.2f}")
    print(f"{label:<32}{other:>10.2f}")
    print(f"{'ratio (ember cuda / other)':<32}{e / other:>10.2f}")
    return e, other


if __name__ == "__main__":
    main(sys.argv[1:])
