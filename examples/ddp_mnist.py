"""Data-parallel digit classification with DistributedDataParallel, offline.

    mpiexec -n 2 python examples/ddp_mnist.py --epochs 3
    python -m ember.distributed.run --nproc-per-node 2 examples/ddp_mnist.py --learner

The program is PyTorch's DDP recipe with ``torch`` renamed ``ember``: initialise the process
group, shard the training set with a DistributedSampler, wrap the model in
DistributedDataParallel, call ``sampler.set_epoch`` every epoch, and let rank 0 alone print and
save. ``--learner`` trains the same model with the fastai-style Learner and its
DistributedCallback instead of the hand-written loop.

Data: MNIST from ``--data`` when its files are there (``DIR/MNIST/raw``); otherwise the 1,797
8x8 digits that scikit-learn ships (nothing is downloaded either way).
"""
import argparse
import os
from functools import partial

import numpy as np

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset


def load_data(root):
    """(train, test) TensorDatasets of (N, 1, H, W) float32 images in [0, 1] and int64 labels."""
    if root and os.path.isdir(os.path.join(root, "MNIST", "raw")):
        from ember.vision.datasets import MNIST
        sets = [MNIST(root, train=t) for t in (True, False)]
        return [TensorDataset(s.data.float().unsqueeze(1) / 255, s.targets) for s in sets]
    from sklearn.datasets import load_digits
    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None]
    y = d.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(y))   # the same split on every rank
    tr, te = order[:1500], order[1500:]
    return (TensorDataset(ember.tensor(x[tr]), ember.tensor(y[tr])),
            TensorDataset(ember.tensor(x[te]), ember.tensor(y[te])))


def make_model(size):
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * (size // 4) ** 2, 10))


def accuracy(model, ds):
    model.eval()
    with ember.no_grad():
        x, y = ds[:]
        return (model(x).argmax(1) == y).float().mean().item()


def train_loop(args, train, test, rank):
    ember.manual_seed(0)
    model = DDP(make_model(train[0][0].shape[-1]))   # rank 0's weights are broadcast
    sampler = DistributedSampler(train, shuffle=True, seed=0)
    loader = DataLoader(train, batch_size=args.batch_size, sampler=sampler)
    opt = ember.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)   # a new shuffle each epoch, the same on every rank
        model.train()
        total = ember.zeros(2, dtype=ember.float64)
        for x, y in loader:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()   # gradients are averaged over the ranks here
            opt.step()
            total += ember.tensor([loss.item() * len(y), len(y)], dtype=ember.float64)
        dist.all_reduce(total)   # the epoch's mean loss over every rank's samples
        if rank == 0:
            print(f"epoch {epoch}: train loss {(total[0] / total[1]).item():.4f}, "
                  f"test accuracy {accuracy(model.module, test):.2%}", flush=True)
    return model.module


def train_learner(args, train, test, rank):
    from ember.metrics import accuracy as acc
    from ember.train import DataLoaders, DistributedCallback, Learner
    ember.manual_seed(0)
    dls = DataLoaders(DataLoader(train, batch_size=args.batch_size, shuffle=True),
                      DataLoader(test, batch_size=256))
    learn = Learner(dls, make_model(train[0][0].shape[-1]), nn.CrossEntropyLoss(),
                    opt_func=partial(ember.optim.SGD, momentum=0.9), lr=args.lr, metrics=acc,
                    cbs=DistributedCallback())
    learn.fit(args.epochs)   # progress and logs on rank 0 only
    return learn.model


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=32, help="per rank")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--data", default=None, help="a folder with MNIST/raw (optional)")
    p.add_argument("--learner", action="store_true", help="train with Learner + DistributedCallback")
    p.add_argument("--save", default=None, help="where rank 0 saves the final state dict")
    args = p.parse_args()

    dist.init_process_group("gloo")   # ranks come from mpiexec
    rank, world = dist.get_rank(), dist.get_world_size()
    train, test = load_data(args.data)
    if rank == 0:
        print(f"{world} process(es), {len(train)} training images, "
              f"{len(train) // world} per rank", flush=True)
    model = (train_learner if args.learner else train_loop)(args, train, test, rank)
    if rank == 0:
        print(f"final test accuracy {accuracy(model, test):.2%}", flush=True)
        if args.save:
            ember.save(model.state_dict(), args.save)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
