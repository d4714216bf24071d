"""DistributedCallback: run any engine's training data-parallel over MPI.

Add it to a Learner (``cbs=DistributedCallback()``) and start the script with
``mpiexec -n N python train.py`` (or ``python -m ember.distributed.run --nproc-per-node N``);
each rank then trains on its shard and the ranks keep identical weights.

What it does, by event (it runs first: ``order = -100``):

- ``before_fit``: initialise the process group if the script has not; wrap ``learn.model`` in a
  ``DistributedDataParallel`` kept as ``learn.ddp`` (which broadcasts rank 0's weights); swap
  the training loader for one reading a ``DistributedSampler`` shard (same batch size,
  collate function and workers; shuffled when the original was); on ranks other than 0,
  switch off the callbacks that print or write files and make ``learn.save`` a no-op.
- ``before_epoch``: ``sampler.set_epoch(epoch)``.
- ``before_batch`` / ``after_loss`` (training): the two halves of DDP's forward (buffer
  broadcast and the unfinished-reduction check; unused-parameter detection from the loss).
  Gradients are averaged by DDP's autograd hooks during backward.
- ``after_fit``: a barrier (so rank 0's checkpoints exist before anyone loads them), then the
  original loader and ``save`` are put back.

``learn.model`` stays the plain module, so state dicts and checkpoints have the same keys as in
a single-process run. Validation is not sharded: every rank evaluates the whole validation set,
so metrics, early stopping and best-model choices agree on every rank. (The Lightning-style
Trainer shards its validation loaders itself and reduces ``sync_dist`` metrics, as Lightning
does; it sets ``use_distributed_sampler`` here and keeps the shard after fit through the
engine's ``keep_distributed_loader``.)

The engine interface it relies on (any subclass of ``train.engine.Engine`` has it): the
attributes ``model``, ``dls``, ``epoch``, ``training`` and ``loss_grad``, the events above and
``cbs``. An engine whose loaders are not ``dls.train`` / ``dls[0]`` defines
``get_train_dataloader()`` and ``set_train_dataloader(dl)``; one whose forward does not call
``learn.model`` still gets its gradients averaged (the hooks sit on the parameters), but needs
``find_unused_parameters=False``. A callback class with ``rank_zero_only = True`` is switched
off on ranks other than 0, like the progress bar and loggers.
"""
import os
import sys
import warnings

from ..engine import Callback

__all__ = ["DistributedCallback", "distributed_loader", "ddp_callback_factory"]

_RANK_ZERO = ("ProgressCallback", "CSVLogger", "TensorBoardCallback", "ShowGraphCallback")


def _get_train_dl(learn):
    if hasattr(learn, "get_train_dataloader"):
        return learn.get_train_dataloader()
    dls = learn.dls
    return dls.train if hasattr(dls, "train") else dls[0]


def _set_train_dl(learn, dl):
    if hasattr(learn, "set_train_dataloader"):
        learn.set_train_dataloader(dl)
        return
    dls = learn.dls
    if hasattr(dls, "loaders"):
        dls.loaders[0] = dl
    elif isinstance(dls, list):
        dls[0] = dl
    elif isinstance(dls, tuple):
        learn.dls = (dl,) + tuple(dls[1:])
    else:
        raise TypeError(f"DistributedCallback cannot replace the training loader of a "
                        f"{type(dls).__name__}; give the engine set_train_dataloader(dl)")


class DistributedCallback(Callback):
    """Data-parallel training over MPI for the Learner (and any engine): see the module's doc.

    Args:
        backend: the process group's backend if the callback has to create it ("mpi").
        seed: the DistributedSampler's shuffle seed (the same on every rank).
        sync_bn: convert the model's BatchNorm layers to SyncBatchNorm first.
        **ddp_kwargs: passed to DistributedDataParallel (``find_unused_parameters``,
            ``bucket_cap_mb``, ``broadcast_buffers`` …).
    """

    order = -100
    use_distributed_sampler = True   # False: the training loader is used as given (Lightning's flag)

    def __init__(self, backend="mpi", seed=0, sync_bn=False, **ddp_kwargs):
        self.backend, self.seed, self.sync_bn, self.ddp_kwargs = backend, seed, sync_bn, ddp_kwargs
        self.sampler, self._orig_dl, self._ddp_of = None, None, None

    @property
    def rank(self):
        from ... import distributed as dist
        return dist.get_rank()

    @property
    def world_size(self):
        from ... import distributed as dist
        return dist.get_world_size()

    def before_fit(self):
        from ... import distributed as dist
        from ...nn.modules.batchnorm import SyncBatchNorm
        from ...nn.parallel import DistributedDataParallel
        if not dist.is_initialized():
            dist.init_process_group(self.backend)
        learn = self.learn
        if self.sync_bn:
            learn.model = SyncBatchNorm.convert_sync_batchnorm(learn.model)
        if self._ddp_of is not learn.model:   # one DDP per model, reused by later fits
            learn.ddp = DistributedDataParallel(learn.model, **self.ddp_kwargs)
            self._ddp_of = learn.model
        self._shard_train_loader()
        if dist.get_rank() != 0:
            for cb in learn.cbs:
                if getattr(cb, "rank_zero_only", False) or type(cb).__name__ in _RANK_ZERO:
                    cb.run = False
            if hasattr(learn, "save"):
                learn.save = _no_save

    def _shard_train_loader(self):
        from ...utils.data import DataLoader, DistributedSampler
        dl = _get_train_dl(self.learn)
        self._orig_dl = None
        if not isinstance(dl, DataLoader):
            warnings.warn(f"DistributedCallback: the training loader is a {type(dl).__name__}, not "
                          "a DataLoader; it is used as it is, so it must yield this rank's shard")
            return
        if isinstance(getattr(dl, "sampler", None), DistributedSampler):
            self.sampler = dl.sampler
            return
        if not self.use_distributed_sampler:
            self.sampler = None
            return
        new = distributed_loader(dl, seed=self.seed)
        self.sampler = new.sampler
        self._orig_dl = dl
        _set_train_dl(self.learn, new)

    def before_epoch(self):
        if self.sampler is not None:
            self.sampler.set_epoch(self.learn.epoch)

    def before_batch(self):
        if self.learn.training:
            self.learn.ddp._pre_forward()

    def after_loss(self):
        if self.learn.training and self.learn.loss_grad is not None:
            self.learn.ddp._post_forward(self.learn.loss_grad)

    def after_fit(self):
        from ... import distributed as dist
        dist.barrier()
        if self._orig_dl is not None and not getattr(self.learn, "keep_distributed_loader", False):
            _set_train_dl(self.learn, self._orig_dl)
        self._orig_dl = None
        if self.learn.__dict__.get("save") is _no_save:
            del self.learn.save


def _no_save(*args, **kwargs):
    """``learn.save`` on ranks other than 0: rank 0 writes the checkpoint."""
    return None


def distributed_loader(dl, shuffle=None, seed=0, num_replicas=None, rank=None):
    """A copy of DataLoader ``dl`` that reads this rank's DistributedSampler shard: same
    dataset, batch size, collate function, workers and ``drop_last``; shuffled (with ``seed``
    plus the epoch set by ``sampler.set_epoch``) when ``dl`` was, unless ``shuffle`` says."""
    from ...utils.data import DataLoader, DistributedSampler, RandomSampler
    if dl.batch_size is None:
        raise ValueError("distributed_loader: the DataLoader uses a batch_sampler; build it over a "
                         "DistributedSampler yourself")
    if shuffle is None:
        shuffle = isinstance(dl.sampler, RandomSampler)
    sampler = DistributedSampler(dl.dataset, num_replicas, rank, shuffle=shuffle, seed=seed)
    return DataLoader(dl.dataset, batch_size=dl.batch_size, sampler=sampler,
                      num_workers=dl.num_workers, collate_fn=dl.collate_fn,
                      pin_memory=dl.pin_memory, drop_last=dl.drop_last, timeout=dl.timeout,
                      worker_init_fn=dl.worker_init_fn, generator=dl.generator,
                      persistent_workers=getattr(dl, "persistent_workers", False))


def _launched_world_size():
    """The number of processes mpiexec (or ember.distributed.run) started, read from the
    environment without starting MPI; None outside mpiexec."""
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "WORLD_SIZE"):
        if os.environ.get(var):
            return int(os.environ[var])
    return None


def ddp_callback_factory(strategy="ddp", n_devices=1):
    """The engine callback(s) for a Lightning-style ``Trainer(strategy="ddp", devices=n)``.

    Under ``mpiexec -n n`` (or ``python -m ember.distributed.run --nproc-per-node n``) it
    returns a DistributedCallback (``find_unused_parameters`` for
    ``"ddp_find_unused_parameters_true"``). Started as a plain ``python train.py``, it does what
    Lightning's launcher does for ``strategy="ddp"``: it starts the same command again as ``n``
    processes, here under mpiexec, replacing the current process."""
    world = _launched_world_size()
    if n_devices in (None, -1):
        n_devices = world or 1
    if world is None and n_devices > 1:
        from ...distributed.run import find_mpiexec
        exe = find_mpiexec()
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(exe, [exe, "-n", str(n_devices), sys.executable] + sys.argv)
    if world is not None and world != n_devices:
        raise ValueError(f"Trainer(devices={n_devices}) but {world} processes were started; launch "
                         f"with mpiexec -n {n_devices} (or pass devices={world})")
    find_unused = isinstance(strategy, str) and "find_unused_parameters_true" in strategy
    return [DistributedCallback(find_unused_parameters=find_unused)]
