"""The Trainer's data-parallel side (``strategy="ddp"``): the ranks, the process group, the
evaluation loaders' shards, ``self.log(..., sync_dist=True)`` reductions and what only rank 0
does. The gradient averaging and the training loader's shard are the engine callback's
(ember/train/callbacks/distributed.py's DistributedCallback, reached through the engine's
``get_train_dataloader`` / ``set_train_dataloader``); this file holds what is Lightning's.

As in Lightning: every rank runs every hook; loggers write, progress bars draw and the model
summary prints on rank 0 only; ModelCheckpoint decides and writes on rank 0 and its state (best
path and score, top-k, last path) is copied to the other ranks when fit ends; EarlyStopping's
(or anyone's) ``trainer.should_stop`` stops every rank when any rank set it, so the ranks never
run different numbers of batches."""

import os

from ..callbacks.model_checkpoint import ModelCheckpoint
from ..callbacks.progress import ProgressBar
from ..utilities import rank_zero

# what ModelCheckpoint keeps between saves: copied from rank 0 to the others after fit
_CKPT_STATE = ("best_k_models", "kth_best_model_path", "kth_value", "best_model_path", "best_model_score",
               "current_score", "last_model_path", "_last_global_step_saved", "_last_checkpoint_saved",
               "dirpath")


class _UnrepeatedSampler:
    """Lightning's UnrepeatedDistributedSampler for ``predict``: rank r reads indices r, r+W, …
    with no padding, so every sample is predicted exactly once (shards may differ by one)."""

    def __init__(self, n, num_replicas, rank):
        self.n, self.num_replicas, self.rank = n, num_replicas, rank

    def __iter__(self):
        return iter(range(self.rank, self.n, self.num_replicas))

    def __len__(self):
        return len(range(self.rank, self.n, self.num_replicas))


class _Distributed:
    """Mixed into Trainer."""

    # ---- the ranks ---------------------------------------------------------------------------
    @property
    def _is_ddp(self):
        from ...train.callbacks.distributed import DistributedCallback

        return any(isinstance(cb, DistributedCallback) for cb in self._engine_cbs)

    def _dist(self):
        """ember.distributed when this trainer runs data-parallel in an initialised group, else None."""
        if not self._is_ddp:
            return None
        from ... import distributed as dist

        return dist if dist.is_initialized() else None

    @property
    def global_rank(self):
        dist = self._dist()
        if dist is not None:
            return dist.get_rank()
        return rank_zero._rank_from_env() if self._is_ddp else 0

    @property
    def local_rank(self):
        if not self._is_ddp:
            return 0
        return int(os.environ.get("LOCAL_RANK", self.global_rank))

    @property
    def node_rank(self):
        return int(os.environ.get("NODE_RANK", os.environ.get("GROUP_RANK", 0))) if self._is_ddp else 0

    @property
    def world_size(self):
        dist = self._dist()
        if dist is not None:
            return dist.get_world_size()
        return self.num_devices * self.num_nodes if self._is_ddp else 1

    @property
    def is_global_zero(self):
        return self.global_rank == 0

    # ---- set up (each fit / validate / test / predict, before its setup hooks) -----------------
    def _setup_distributed(self):
        if not self._is_ddp:
            return
        from ... import distributed as dist

        if not dist.is_initialized():
            dist.init_process_group("mpi")
        rank_zero.rank_zero_only.rank = dist.get_rank()
        # one run directory: rank 0 picks the loggers' versions (the others could see its new
        # version_N directory and pick N+1)
        versions = [getattr(lg, "version", None) if dist.get_rank() == 0 else None for lg in self.loggers]
        versions = self._broadcast(versions)
        for lg, v in zip(self.loggers, versions):
            if hasattr(lg, "_version") and v is not None:
                lg._version = v
        if dist.get_rank() != 0:
            for cb in self.callbacks:
                if isinstance(cb, ProgressBar):
                    cb.disable()

    def _rank_zero_hooks(self, cache):
        """On ranks other than 0, ModelCheckpoint's hooks do not run (rank 0 writes and decides)."""
        if self.is_global_zero:
            return cache
        out = {}
        for name, (cbs, monitoring) in cache.items():
            if name.startswith("on_"):
                cbs = [x for x in cbs if not isinstance(x[0], ModelCheckpoint)]
                monitoring = [x for x in monitoring if not isinstance(x[0], ModelCheckpoint)]
            out[name] = (cbs, monitoring)
        return out

    def _after_fit_distributed(self):
        """Copy rank 0's ModelCheckpoint state to the other ranks (``best_model_path`` …)."""
        dist = self._dist()
        if dist is None or dist.get_world_size() == 1:
            return
        cbs = self.checkpoint_callbacks
        states = [{k: getattr(cb, k) for k in _CKPT_STATE} for cb in cbs] if self.is_global_zero else None
        states = self._broadcast(states)
        if not self.is_global_zero:
            for cb, st in zip(cbs, states):
                cb.__dict__.update(st)

    # ---- collectives ---------------------------------------------------------------------------
    def _broadcast(self, obj, src=0):
        """``obj`` as rank ``src`` has it (Lightning's ``strategy.broadcast``)."""
        dist = self._dist()
        if dist is None:
            return obj
        box = [obj]
        dist.broadcast_object_list(box, src=src)
        return box[0]

    def _prepares_data(self, owner):
        """Whether this rank calls ``owner.prepare_data()``: local rank 0 of each node, or only
        global rank 0 when ``owner.prepare_data_per_node`` is False."""
        if getattr(owner, "prepare_data_per_node", True):
            return self.local_rank == 0
        return self.local_rank == 0 and self.node_rank == 0

    def _barrier(self, name=None):
        dist = self._dist()
        if dist is not None:
            dist.barrier()

    def _reduce_should_stop(self):
        """``should_stop`` is True on every rank once any rank set it (EarlyStopping's decision
        is all-ranks in Lightning)."""
        dist = self._dist()
        if dist is None or dist.get_world_size() == 1:
            return
        from ..._creation import tensor

        t = tensor([1.0 if self.should_stop else 0.0])
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        self.should_stop = bool(t.item())

    def _reduce_metric(self, value, reduce):
        """``self.log(..., sync_dist=True)``: ``value`` reduced over the ranks with the
        ``reduce_fx`` (mean → the average, sum, max, min); unchanged outside data-parallel runs."""
        dist = self._dist()
        if dist is None or dist.get_world_size() == 1:
            return value
        op = {"mean": dist.ReduceOp.AVG, "sum": dist.ReduceOp.SUM, "max": dist.ReduceOp.MAX,
              "min": dist.ReduceOp.MIN}[reduce]
        out = value.detach().clone()
        dist.all_reduce(out, op=op)
        return out

    # ---- evaluation loaders --------------------------------------------------------------------
    def _shard_eval_loaders(self, loaders, stage):
        """Each rank evaluates its shard, as Lightning's ``use_distributed_sampler`` does: a
        DistributedSampler without shuffling for validation and test (padded to equal shards),
        every sample exactly once for predict."""
        dist = self._dist()
        if dist is None or not self._use_distributed_sampler or not loaders:
            return loaders
        if stage in ("validate", "test") and self.state.fn == stage and dist.get_world_size() > 1:
            rank_zero.rank_zero_warn(
                f"Using `DistributedSampler` with the dataloaders. During `trainer.{stage}()`, it is "
                "recommended to use `Trainer(devices=1, num_nodes=1)` to ensure each sample/batch gets "
                "evaluated exactly once. Otherwise, multi-device settings use `DistributedSampler` that "
                "replicates some samples to make sure all devices have same batch size in case of uneven "
                "inputs."
            )
        return [self._shard_eval(dl, stage, dist) for dl in loaders]

    def _shard_eval(self, dl, stage, dist):
        from ...train.callbacks.distributed import distributed_loader
        from ...utils.data import DataLoader, DistributedSampler

        if not isinstance(dl, DataLoader) or dl.batch_size is None:
            return dl
        if isinstance(dl.sampler, DistributedSampler):
            return dl
        if stage != "predict":
            return distributed_loader(dl, shuffle=False)
        sampler = _UnrepeatedSampler(len(dl.dataset), dist.get_world_size(), dist.get_rank())
        return DataLoader(dl.dataset, batch_size=dl.batch_size, sampler=sampler, num_workers=dl.num_workers,
                          collate_fn=dl.collate_fn, pin_memory=dl.pin_memory, drop_last=dl.drop_last,
                          timeout=dl.timeout, worker_init_fn=dl.worker_init_fn)
