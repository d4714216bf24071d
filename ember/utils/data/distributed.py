"""DistributedSampler: each rank reads its own shard of the dataset (PyTorch's partitioning).

The indices (shuffled with ``seed + epoch`` through ember's Generator, or in order) are padded
by repeating the first ones until they divide evenly by the number of replicas (or, with
``drop_last``, cut to the largest multiple), and rank r takes every ``num_replicas``-th index
starting at r. Call ``set_epoch(epoch)`` before each epoch so the shuffle changes while every
rank still draws the same permutation.
"""
import math

from ..._creation import randperm
from ..._random import Generator
from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Restrict data loading to a subset of the dataset, one per rank.

    Args:
        dataset: the dataset (only its length is used).
        num_replicas: the number of ranks (default: the world size of the default group).
        rank: this process's rank (default: its rank in the default group).
        shuffle: shuffle the indices, with ``seed + epoch`` (default True).
        seed: the seed every rank shares (default 0).
        drop_last: drop the tail so shards divide evenly, instead of padding (default False).
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last, self.shuffle, self.seed = 0, drop_last, shuffle, seed
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            g = Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad <= len(indices):
                indices += indices[:pad]
            else:
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        else:
            indices = indices[:self.total_size]
        assert len(indices) == self.total_size
        indices = indices[self.rank:self.total_size:self.num_replicas]
        assert len(indices) == self.num_samples
        return iter(indices)

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Set the epoch: with ``shuffle``, each epoch gets another permutation (the same on
        every rank)."""
        self.epoch = epoch
