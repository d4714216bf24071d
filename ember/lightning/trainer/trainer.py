"""Trainer: Lightning's entry point (``fit`` / ``validate`` / ``test`` / ``predict``), run on
ember's one training engine through the adapter in _engine.py."""

import math
import os
import types

from ..callbacks.callback import Callback
from ..callbacks.early_stopping import EarlyStopping
from ..callbacks.model_checkpoint import ModelCheckpoint
from ..callbacks.model_summary import ModelSummary
from ..callbacks.progress import ProgressBar, TQDMProgressBar
from ..loggers.tensorboard import TensorBoardLogger
from ..utilities.exceptions import MisconfigurationException
from ..utilities.rank_zero import rank_zero_info, rank_zero_warn
from . import _checkpoint
from ._distributed import _Distributed
from ._engine import _LitEngine, _Source
from ._limits import limit_batches
from ._optim import LightningOptimizer, init_optimizers
from ._phases import _Phases
from ._properties import _Properties
from ._results import _Results
from .eval_table import print_eval_results
from .states import STAGE, TrainerStatus


def _callback_noop(fn):
    return getattr(fn, "__func__", fn) is getattr(Callback, fn.__name__, None)


def _without_shuffle(dl):
    """``dl`` with its batches in order (overfit_batches), rebuilt with a SequentialSampler as
    Lightning does, with its warning."""
    from ...utils.data import DataLoader, RandomSampler, SequentialSampler

    if not isinstance(dl, DataLoader) or not isinstance(getattr(dl, "sampler", None), RandomSampler):
        return dl
    rank_zero_warn("You requested to overfit but enabled train dataloader shuffling. We are turning off the "
                   "train dataloader shuffling for you.")
    return DataLoader(dl.dataset, batch_size=dl.batch_size, sampler=SequentialSampler(dl.dataset),
                      num_workers=dl.num_workers, collate_fn=dl.collate_fn, pin_memory=dl.pin_memory,
                      drop_last=dl.drop_last, timeout=dl.timeout, worker_init_fn=dl.worker_init_fn)


class Trainer(_Distributed, _Phases, _Properties):
    """Lightning's Trainer, with its arguments and defaults (``gpus`` is accepted as
    Lightning 1.x had it)."""

    def __init__(
        self,
        *,
        accelerator="auto",
        strategy="auto",
        devices="auto",
        num_nodes=1,
        precision=None,
        logger=None,
        callbacks=None,
        fast_dev_run=False,
        max_epochs=None,
        min_epochs=None,
        max_steps=-1,
        min_steps=None,
        max_time=None,
        limit_train_batches=None,
        limit_val_batches=None,
        limit_test_batches=None,
        limit_predict_batches=None,
        overfit_batches=0.0,
        val_check_interval=None,
        check_val_every_n_epoch=1,
        num_sanity_val_steps=None,
        log_every_n_steps=None,
        enable_checkpointing=None,
        enable_progress_bar=None,
        enable_model_summary=None,
        accumulate_grad_batches=1,
        gradient_clip_val=None,
        gradient_clip_algorithm=None,
        deterministic=None,
        benchmark=None,
        inference_mode=True,
        use_distributed_sampler=True,
        profiler=None,
        detect_anomaly=False,
        barebones=False,
        plugins=None,
        sync_batchnorm=False,
        reload_dataloaders_every_n_epochs=0,
        default_root_dir=None,
        enable_autolog_hparams=True,
        model_registry=None,
        gpus=None,
    ):
        from .._strategy import _resolve_device, _strategy_callbacks

        self._device_name, n_devices = _resolve_device(accelerator, devices, gpus)
        from ..._device import device as _device

        self._device = _device(self._device_name)
        self._strategy_name = strategy
        self._engine_cbs = _strategy_callbacks(strategy, n_devices)
        self.num_devices, self.num_nodes = n_devices, num_nodes
        self._use_distributed_sampler = use_distributed_sampler
        self._precision = self._parse_precision(precision)
        self._amp_dtype = None
        self._amp = None
        self._scaler = None
        if self._precision == "16-mixed":
            from ... import float16
            from ...amp import GradScaler

            self._amp, self._amp_dtype = "16-mixed", float16
            self._scaler = GradScaler(self._device.type)
        if deterministic:
            from ... import use_deterministic_algorithms

            use_deterministic_algorithms(True, warn_only=deterministic == "warn")
        self.default_root_dir = os.fspath(default_root_dir) if default_root_dir is not None else os.getcwd()
        if gradient_clip_algorithm is not None and gradient_clip_algorithm not in ("value", "norm"):
            raise MisconfigurationException(
                f"`gradient_clip_algorithm` {gradient_clip_algorithm} is invalid. "
                "Allowed algorithms: ['value', 'norm']."
            )
        self.gradient_clip_val, self.gradient_clip_algorithm = gradient_clip_val, gradient_clip_algorithm
        if not isinstance(accumulate_grad_batches, int) or accumulate_grad_batches < 1:
            raise MisconfigurationException(
                f"`accumulate_grad_batches` must be an int > 0. Got {accumulate_grad_batches}."
            )
        self.accumulate_grad_batches = accumulate_grad_batches
        # fast_dev_run: n batches of each, one epoch, nothing written
        if fast_dev_run is True:
            fast_dev_run = 1
        if fast_dev_run is not False and (not isinstance(fast_dev_run, int) or fast_dev_run < 0):
            raise MisconfigurationException(
                f"fast_dev_run={fast_dev_run!r} is not a valid configuration. It should be "
                "either a bool or an int >= 0"
            )
        self.fast_dev_run = fast_dev_run
        if fast_dev_run:
            limit_train_batches = limit_val_batches = limit_test_batches = limit_predict_batches = (
                fast_dev_run
            )
            max_steps, max_epochs, num_sanity_val_steps, val_check_interval = fast_dev_run, 1, 0, 1.0
            logger = False
            rank_zero_info(
                f"Running in `fast_dev_run` mode: will run the requested loop using {fast_dev_run} "
                "batch(es). Logging and checkpointing is suppressed."
            )
        self.overfit_batches = overfit_batches
        if overfit_batches:
            limit_train_batches = limit_val_batches = overfit_batches
        if max_epochs is None:
            max_epochs = 1000 if max_steps == -1 and max_time is None else -1
            if max_steps == -1 and max_time is None and not fast_dev_run:
                rank_zero_warn(
                    "`max_epochs` was not set. Setting it to 1000 epochs. To train without an epoch limit,"
                    " set `max_epochs=-1`."
                )
        self.max_epochs, self.min_epochs, self.max_steps, self.min_steps = (
            max_epochs,
            min_epochs,
            max_steps,
            min_steps,
        )
        self.limit_train_batches = 1.0 if limit_train_batches is None else limit_train_batches
        self.limit_val_batches = 1.0 if limit_val_batches is None else limit_val_batches
        self.limit_test_batches = 1.0 if limit_test_batches is None else limit_test_batches
        self.limit_predict_batches = 1.0 if limit_predict_batches is None else limit_predict_batches
        self.val_check_interval = 1.0 if val_check_interval is None else val_check_interval
        self.check_val_every_n_epoch = check_val_every_n_epoch
        self.num_sanity_val_steps = 2 if num_sanity_val_steps is None else num_sanity_val_steps
        self.log_every_n_steps = 50 if log_every_n_steps is None else log_every_n_steps
        self.reload_dataloaders_every_n_epochs = reload_dataloaders_every_n_epochs
        # loggers
        if logger is None:
            logger = not barebones
        if logger is True:
            self.loggers = [TensorBoardLogger(save_dir=self.default_root_dir)]
        elif not logger:
            self.loggers = []
        elif isinstance(logger, (list, tuple)):
            self.loggers = list(logger)
        else:
            self.loggers = [logger]
        # callbacks: the user's, then the defaults (checkpointing last, as Lightning orders them)
        cbs = list(callbacks) if isinstance(callbacks, (list, tuple)) else ([callbacks] if callbacks else [])
        if enable_model_summary is None:
            enable_model_summary = not barebones
        if enable_model_summary and not any(isinstance(c, ModelSummary) for c in cbs):
            cbs.append(ModelSummary())
        if enable_progress_bar is None:
            enable_progress_bar = not barebones
        if enable_progress_bar and not any(isinstance(c, ProgressBar) for c in cbs):
            cbs.append(TQDMProgressBar())
        elif not enable_progress_bar and any(isinstance(c, ProgressBar) for c in cbs):
            raise MisconfigurationException(
                "Trainer was configured with `enable_progress_bar=False` but found "
                "`TQDMProgressBar` in callbacks list."
            )
        if enable_checkpointing is None:
            enable_checkpointing = not barebones
        if enable_checkpointing and not any(isinstance(c, ModelCheckpoint) for c in cbs):
            cbs.append(ModelCheckpoint())
        elif not enable_checkpointing and any(isinstance(c, ModelCheckpoint) for c in cbs):
            raise MisconfigurationException(
                "Trainer was configured with `enable_checkpointing=False` but found "
                "`ModelCheckpoint` in callbacks list."
            )
        self.callbacks = self._reorder(cbs)
        # state
        self.lightning_module, self.datamodule = None, None
        self.optimizers, self.lr_scheduler_configs, self._lightning_optimizers = [], [], []
        self.global_step, self._epochs_completed, self._batches_that_stepped = 0, 0, 0
        self.should_stop = False
        self.training = self.sanity_checking = False
        self.state = types.SimpleNamespace(fn=None, stage=None, status=TrainerStatus.INITIALIZING)
        self._stage = None
        self._results, self._fit_results = None, _Results(training=True, sync_fn=self._reduce_metric)
        self._callback_metrics, self._logged_metrics, self._progress_bar_metrics = {}, {}, {}
        self._dataloader_idx, self._batch_idx, self._dataloader_count, self._is_last_batch = 0, 0, 1, False
        self._train_loader, self._val_loaders, self._eval_loaders = None, [], []
        self.num_training_batches, self.num_val_batches, self.num_sanity_val_batches = 0, [], []
        self.num_test_batches, self.num_predict_batches = [], []
        self._val_has_run, self._epoch_train_done, self._train_cut_short = False, False, False
        self._pending_step_increment = False
        self._manual_opt, self._eval_results, self._return_predictions = None, [], True
        self._in_auto_step = False
        self._val_check_batch = math.inf
        self._predictions, self.ckpt_path = None, None
        self._engine = None
        self._hook_cache = {}

    # ---- configuration helpers ---------------------------------------------------------------------
    @staticmethod
    def _parse_precision(precision):
        p = "32-true" if precision is None else str(precision)
        aliases = {
            "32": "32-true",
            "32-true": "32-true",
            "16": "16-mixed",
            "16-mixed": "16-mixed",
            "bf16": "bf16-mixed",
            "bf16-mixed": "bf16-mixed",
            "64": "64-true",
            "64-true": "64-true",
            "16-true": "16-true",
            "bf16-true": "bf16-true",
        }
        if p not in aliases:
            raise MisconfigurationException(
                f"Precision {precision!r} is invalid. Allowed precision values: ('transformer-engine', "
                "'transformer-engine-float16', '16-true', '16-mixed', 'bf16-true', 'bf16-mixed', '32-true', "
                "'64-true', 64, 32, 16, '64', '32', '16', 'bf16')"
            )
        p = aliases[p]
        if p.startswith("bf16"):
            raise MisconfigurationException(
                f"precision={precision!r} needs bfloat16, which ember does not have (NumPy has no bfloat16 "
                "type). Use precision='16-mixed' (float16 autocast with a GradScaler) or '32-true'."
            )
        if p in ("16-true", "64-true"):
            raise MisconfigurationException(
                f"precision={precision!r} is not supported by ember's Trainer yet; use "
                "'32-true' or '16-mixed', or convert the model with .half()/.double()."
            )
        return p

    @staticmethod
    def _reorder(cbs):
        # Lightning runs checkpoint callbacks last, so they see everything other callbacks logged
        return [c for c in cbs if not isinstance(c, ModelCheckpoint)] + [
            c for c in cbs if isinstance(c, ModelCheckpoint)
        ]

    def _overrides(self, name):
        m = self.lightning_module
        from ..core.module import LightningModule

        return getattr(type(m), name, None) is not getattr(LightningModule, name, None)

    def _prepare_hooks(self):
        """For each hook, the callbacks that implement it (a hook nobody implements costs nothing)."""
        from ..core.module import LightningModule

        m, cache = self.lightning_module, {}
        for name in dir(Callback):
            if name.startswith("on_") or name in ("setup", "teardown"):
                cbs = [(c, getattr(c, name)) for c in self.callbacks if not _callback_noop(getattr(c, name))]
                monitoring = [x for x in cbs if isinstance(x[0], (ModelCheckpoint, EarlyStopping))]
                cache[name] = (cbs, monitoring)
        self._hook_cache = self._rank_zero_hooks(cache)
        self._transfer_hooks = any(
            self._overrides(h)
            for h in ("on_before_batch_transfer", "on_after_batch_transfer", "transfer_batch_to_device")
        )
        self._module_fns = {name: hasattr(LightningModule, name) for name in cache}
        for name in dir(LightningModule):
            if name.startswith("on_"):
                fn = getattr(type(m), name, None)
                self._module_fns[name] = (
                    fn is not getattr(LightningModule, name)
                    or name.startswith("on_validation_model")
                    or name.startswith("on_test_model")
                    or name.startswith("on_predict_model")
                )

    def _call_hooks(self, name, *args):
        """Callbacks' ``name`` hook, then the module's; returns the module's result."""
        cbs, monitoring = self._hook_cache.get(name, ((), ()))
        m = self.lightning_module
        if cbs:
            prev = m.__dict__["_current_fx_name"]
            if name == "on_train_epoch_end" and monitoring:  # monitors see what the module logs
                first = [x for x in cbs if x not in monitoring]
            else:
                first, monitoring = cbs, ()
            m.__dict__["_current_fx_name"] = name
            try:
                for _, fn in first:
                    fn(self, m, *args)
            finally:
                m.__dict__["_current_fx_name"] = prev
            out = self._module_hook(name, *args)
            if monitoring:
                m.__dict__["_current_fx_name"] = name
                try:
                    for _, fn in monitoring:
                        fn(self, m, *args)
                finally:
                    m.__dict__["_current_fx_name"] = prev
            return out
        return self._module_hook(name, *args)

    def _module_hook(self, name, *args):
        m = self.lightning_module
        fns = self._module_fns
        if not fns.get(name, True):  # the default on_* hook does nothing, or the module has none
            return None
        d = m.__dict__
        prev = d["_current_fx_name"]
        d["_current_fx_name"] = name
        try:
            return getattr(m, name)(*args)
        finally:
            d["_current_fx_name"] = prev

    def _dl_arg(self):
        return (self._dataloader_idx,) if self._dataloader_count > 1 else ()

    # ---- data ------------------------------------------------------------------------------------
    def _loader(self, kind, given, model):
        if given is not None:
            return given
        dm = self.datamodule
        for src in (dm, model):
            fn = getattr(src, f"{kind}_dataloader", None) if src is not None else None
            if callable(fn):
                return fn()
        return None

    _limit = staticmethod(limit_batches)

    def _len(self, dl):
        try:
            return len(dl)
        except TypeError:
            return None

    def _count_train_batches(self):
        """num_training_batches and the validation interval, from the training loader as it is
        now (the DDP engine callback swaps it for this rank's shard when fit starts)."""
        self.num_training_batches = self._limit(
            self._len(self._train_loader), self.limit_train_batches, "limit_train_batches"
        )
        if isinstance(self.val_check_interval, float) and self.num_training_batches != math.inf:
            self._val_check_batch = max(1, int(self.num_training_batches * self.val_check_interval))
        else:
            self._val_check_batch = (
                int(self.val_check_interval) if not isinstance(self.val_check_interval, float) else math.inf
            )

    def _set_train_loader(self, dl):
        self._train_loader = dl
        self._count_train_batches()
        eng = self._engine
        if eng is not None and eng.dls is not None:
            eng.dls.train = _Source(self, [dl], [self.num_training_batches])

    def _setup_data(self, stage, model, train=None, val=None, test=None, predict=None):
        def as_list(x):
            return [] if x is None else (list(x) if isinstance(x, (list, tuple)) else [x])

        if stage == "fit":
            self._train_loader = self._loader("train", train, model)
            if self._train_loader is None:
                raise MisconfigurationException(
                    "An invalid dataloader was passed to `Trainer.fit(train_dataloaders=...)`. Found None."
                )
            if self.overfit_batches:
                self._train_loader = _without_shuffle(self._train_loader)
                self._val_loaders = [self._train_loader]
            else:
                val_loaders = as_list(self._loader("val", val, model))
                self._val_loaders = self._shard_eval_loaders(val_loaders, "validate")
            self._count_train_batches()
            self.num_val_batches = [
                self._limit(self._len(d), self.limit_val_batches, "limit_val_batches")
                for d in self._val_loaders
            ]
            n = self.num_sanity_val_steps
            self.num_sanity_val_batches = [v if n == -1 else min(n, v) for v in self.num_val_batches]
            if self._val_loaders and not self._overrides("validation_step"):
                rank_zero_warn(
                    "You passed in a `val_dataloader` but have no `validation_step`. Skipping val loop."
                )
                self._val_loaders, self.num_val_batches, self.num_sanity_val_batches = [], [], []
            return
        kind = {"validate": "val"}.get(stage, stage)
        given = {"validate": val, "test": test, "predict": predict}[stage]
        loaders = self._shard_eval_loaders(as_list(self._loader(kind, given, model)), stage)
        if not loaders:
            raise MisconfigurationException(
                f"No `{kind}_dataloader()` method defined to run `Trainer.{stage}`."
            )
        limit = {
            "validate": self.limit_val_batches,
            "test": self.limit_test_batches,
            "predict": self.limit_predict_batches,
        }[stage]
        lname = {
            "validate": "limit_val_batches",
            "test": "limit_test_batches",
            "predict": "limit_predict_batches",
        }[stage]
        counts = [self._limit(self._len(d), limit, lname) for d in loaders]
        self._eval_loaders = loaders
        if stage == "validate":
            self.num_val_batches = counts
        elif stage == "test":
            self.num_test_batches = counts
        else:
            self.num_predict_batches = counts

    def _has_val_loop(self):
        return bool(self._val_loaders) and sum(self.num_val_batches) > 0

    def _fit_val_source(self):
        """This epoch's validation batches, or None when this epoch does not validate."""
        if self._train_cut_short or not self._has_val_loop():
            return None
        n = self.check_val_every_n_epoch
        if n is not None and (self.current_epoch + 1) % n != 0:
            return None
        if (
            self._val_check_batch != math.inf
            and self.num_training_batches != math.inf
            and self.num_training_batches % self._val_check_batch != 0
        ):
            return None  # val_check_interval: this epoch's validations ran between batches
        return _Source(self, self._val_loaders, self.num_val_batches)

    # ---- entry points ------------------------------------------------------------------------------
    def _attach(self, model, datamodule, stage):
        from ..core.datamodule import LightningDataModule
        from ..core.module import LightningModule

        if not isinstance(model, LightningModule):
            raise TypeError(f"`model` must be a `LightningModule`, got `{type(model).__qualname__}`")
        self.lightning_module, self.datamodule = model, datamodule
        model.trainer = self
        self._setup_distributed()
        if datamodule is not None:
            if not isinstance(datamodule, LightningDataModule):
                raise TypeError(
                    f"`datamodule` must be a `LightningDataModule`, got `{type(datamodule).__qualname__}`"
                )
            datamodule.trainer = self
        self.state.fn, self.state.status = STAGE[stage], TrainerStatus.RUNNING
        more = model.configure_callbacks()
        if more:
            more = more if isinstance(more, (list, tuple)) else [more]
            types_ = {type(c) for c in more}
            self.callbacks = self._reorder([c for c in self.callbacks if type(c) not in types_] + list(more))
        self._prepare_hooks()
        model.to(self._device)

    def _new_engine(self):
        eng = _LitEngine(self)
        eng.model = self.lightning_module
        if self.state.fn == "fit":
            eng.dls = types.SimpleNamespace(
                train=_Source(self, [self._train_loader], [self.num_training_batches])
            )
        self._engine = eng
        from ...train.callbacks.distributed import DistributedCallback

        for cb in self._engine_cbs:
            if isinstance(cb, DistributedCallback):   # Lightning's sampler settings
                cb.use_distributed_sampler = self._use_distributed_sampler
                cb.seed = int(os.environ.get("PL_GLOBAL_SEED", 0))
        eng.add_cbs(self._engine_cbs)
        return eng

    def _setup_stage(self, stage):
        m = self.lightning_module
        dm = self.datamodule
        # data-parallel: prepare_data runs once per node (or once in all, prepare_data_per_node=False),
        # and every rank waits for it before setup, as in Lightning
        if dm is not None and self._prepares_data(dm):
            dm.prepare_data()
        m.__dict__["_current_fx_name"] = "prepare_data"
        if self._prepares_data(m):
            m.prepare_data()
        self._barrier("pre_setup")
        if self.datamodule is not None:
            self.datamodule.setup(stage=STAGE[stage])
        self._call_setup("setup", STAGE[stage])
        m.configure_model()
        # each run starts with empty metric dicts, as Lightning's
        self._callback_metrics, self._logged_metrics, self._progress_bar_metrics = {}, {}, {}

    def _call_setup(self, name, stage):
        m = self.lightning_module
        for _, fn in self._hook_cache.get(name, ((), ()))[0]:
            fn(self, m, stage=stage)
        getattr(m, name)(stage=stage)

    def _teardown(self, stage):
        if self.datamodule is not None:
            self.datamodule.teardown(stage=STAGE[stage])
        self._call_setup("teardown", STAGE[stage])
        self.state.status = TrainerStatus.FINISHED

    def _verify_fit(self, model):
        if not self._overrides("training_step"):
            raise MisconfigurationException(
                "No `training_step()` method defined. Lightning `Trainer` expects as minimum a "
                "`training_step()`, "
                "`train_dataloader()` and `configure_optimizers()` to be defined."
            )
        if not self._overrides("configure_optimizers"):
            raise MisconfigurationException(
                "No `configure_optimizers()` method defined. Lightning `Trainer` expects as minimum a "
                "`training_step()`, `train_dataloader()` and `configure_optimizers()` to be defined."
            )
        for legacy, hook in (
            ("training_epoch_end", "on_train_epoch_end"),
            ("validation_epoch_end", "on_validation_epoch_end"),
        ):
            if callable(getattr(model, legacy, None)):
                raise NotImplementedError(
                    f"Support for `{legacy}` has been removed in v2.0.0. `{type(model).__name__}` "
                    "implements this "
                    f"method. You can use the `{hook}` hook instead. To access outputs, save them "
                    "in-memory as "
                    "instance attributes. You can find migration examples in "
                    "https://github.com/Lightning-AI/pytorch-lightning/pull/16520."
                )

    def _setup_optimizers(self):
        m = self.lightning_module
        m.__dict__["_current_fx_name"] = "configure_optimizers"
        self.optimizers, self.lr_scheduler_configs = init_optimizers(m.configure_optimizers())
        m.__dict__["_current_fx_name"] = None
        if m.automatic_optimization and len(self.optimizers) > 1:
            raise RuntimeError(
                "Training with multiple optimizers is only supported with manual optimization. Set "
                "`self.automatic_optimization = False`, then access your optimizers in "
                "`training_step` with `opt1, opt2, ... = self.optimizers()`."
            )
        if not m.automatic_optimization and self.gradient_clip_val:
            raise MisconfigurationException(
                "Automatic gradient clipping is not supported for manual optimization. Remove "
                f"`Trainer(gradient_clip_val={self.gradient_clip_val})` or switch to automatic optimization."
            )
        if not m.automatic_optimization and self.accumulate_grad_batches != 1:
            raise MisconfigurationException(
                "Automatic gradient accumulation is not supported for manual "
                "optimization. Remove `Trainer(accumulate_grad_batches=...)` or switch "
                "to automatic optimization."
            )
        self._lightning_optimizers = [LightningOptimizer(o, self) for o in self.optimizers]

    def fit(self, model, train_dataloaders=None, val_dataloaders=None, datamodule=None, ckpt_path=None):
        """Train ``model``: the loaders come from the arguments, the datamodule or the module."""
        from ..core.datamodule import LightningDataModule

        if isinstance(train_dataloaders, LightningDataModule):
            datamodule, train_dataloaders = train_dataloaders, None
        if datamodule is not None and (train_dataloaders is not None or val_dataloaders is not None):
            raise MisconfigurationException(
                "You cannot pass `train_dataloader` or `val_dataloaders` to `trainer.fit(datamodule=...)`"
            )
        self._attach(model, datamodule, "fit")
        self._verify_fit(model)
        self.training, self.should_stop, self._val_has_run = True, False, False
        try:
            self._setup_stage("fit")
            self._setup_optimizers()
            self._setup_data("fit", model, train=train_dataloaders, val=val_dataloaders)
            self.ckpt_path = None
            if ckpt_path is not None:
                self.ckpt_path = self._resolve_ckpt(ckpt_path, "fit")
                if self.ckpt_path is not None:
                    _checkpoint.restore(self, _checkpoint.load(self.ckpt_path, self._device))
            self._log_hyperparams(model)
            eng = self._new_engine()
            eng.first_epoch = self._epochs_completed
            self._run_engine(eng)
            self._after_fit_distributed()
        except BaseException as e:
            self._on_exception(e)
            raise
        finally:
            self.training = False
            for lg in self.loggers:
                lg.finalize("success")
        self._teardown("fit")

    def _log_hyperparams(self, model):
        if not self.loggers:
            return
        dm = self.datamodule
        hp = None
        if model.__dict__.get("_log_hyperparams"):
            hp = dict(model.hparams_initial)
        if dm is not None and getattr(dm, "_log_hyperparams", False):
            clash = [k for k in set(hp or {}) & set(dm.hparams_initial) if hp[k] != dm.hparams_initial[k]]
            if clash:
                raise RuntimeError(
                    f"Error while merging hparams: the keys {clash} are present in both the "
                    "LightningModule's and LightningDataModule's hparams but have different values."
                )
            hp = {**(hp or {}), **dict(dm.hparams_initial)}
        for lg in self.loggers:
            if hp is not None:
                lg.log_hyperparams(hp)
            lg.log_graph(model)
            lg.save()

    def _run_engine(self, eng):
        n = self.max_epochs if self.max_epochs not in (None, -1) else 2**62
        eng.run_fit(n)

    def _on_exception(self, e):
        self.state.status = TrainerStatus.INTERRUPTED
        m = self.lightning_module
        for _, fn in self._hook_cache.get("on_exception", ((), ()))[0]:
            fn(self, m, e)
        if self.datamodule is not None:
            self.datamodule.on_exception(e)

    def _resolve_ckpt(self, ckpt_path, fn):
        if ckpt_path == "last":
            found = set()
            for cb in self.checkpoint_callbacks:
                d = cb.dirpath
                if d and os.path.isdir(d):
                    found |= {os.path.join(d, f) for f in os.listdir(d) if cb.CHECKPOINT_NAME_LAST in f}
            if not found:
                rank_zero_warn(
                    f'.{fn}(ckpt_path="last") is set, but there is no last checkpoint available. No '
                    "checkpoint will be loaded. HINT: Set `ModelCheckpoint(..., save_last=True)`."
                )
                return None
            return max(found, key=os.path.getmtime)
        if ckpt_path == "best":
            cb = self.checkpoint_callback
            if cb is None:
                raise ValueError(f'`.{fn}(ckpt_path="best")` is set but `ModelCheckpoint` is not configured.')
            if not cb.best_model_path:
                if self.fast_dev_run:
                    raise ValueError(
                        f'You cannot execute `.{fn}(ckpt_path="best")` with `fast_dev_run=True`.'
                    )
                raise ValueError(
                    f'`.{fn}(ckpt_path="best")` is set but `ModelCheckpoint` is not configured to save '
                    "the best model."
                )
            return cb.best_model_path
        if not os.path.exists(os.fspath(ckpt_path)):
            raise FileNotFoundError(f"Checkpoint file not found: {ckpt_path}")
        return os.fspath(ckpt_path)

    def _evaluate(self, stage, model, dataloaders, ckpt_path, verbose, datamodule):
        from ..core.datamodule import LightningDataModule

        if isinstance(dataloaders, LightningDataModule):
            datamodule, dataloaders = dataloaders, None
        if model is None:
            model = self.lightning_module
            if model is None:
                raise MisconfigurationException(
                    f"`model` must be provided to `trainer.{stage}()` when it hasn't been "
                    "passed in a previous run"
                )
            cb = self.checkpoint_callback
            if ckpt_path is None and cb is not None and cb.best_model_path:
                ckpt_path = "best"
                rank_zero_warn(
                    f"`.{stage}(ckpt_path=None)` was called without a model. The best model of the "
                    f"previous `fit` call will be used. You can pass `.{stage}(ckpt_path='best')` to use "
                    f"the best model or `.{stage}(ckpt_path='last')` to use the last model. If you pass a "
                    "value, this warning will be silenced."
                )
        self._attach(
            model,
            datamodule
            if datamodule is not None
            else self.datamodule
            if model is self.lightning_module
            else datamodule,
            stage,
        )
        step = {"validate": "validation_step", "test": "test_step"}.get(stage)
        if step and not self._overrides(step):
            raise MisconfigurationException(f"No `{step}()` method defined to run `Trainer.{stage}`.")
        self._setup_stage(stage)
        path = self._resolve_ckpt(ckpt_path, stage) if ckpt_path is not None else None
        if path is not None:
            ckpt = _checkpoint.load(path, self._device)
            model.on_load_checkpoint(ckpt)
            model.load_state_dict(ckpt["state_dict"])
            self.ckpt_path = path
        self._setup_data(stage, model, val=dataloaders, test=dataloaders, predict=dataloaders)
        counts = {
            "validate": self.num_val_batches,
            "test": self.num_test_batches,
            "predict": self.num_predict_batches,
        }[stage]
        eng = self._new_engine()
        try:
            self._run_eval(stage, _Source(self, self._eval_loaders, counts))
        except BaseException as e:
            self._on_exception(e)
            raise
        finally:
            eng._end_cleanup()
            for lg in self.loggers:
                lg.finalize("success")
        self._teardown(stage)
        if stage == "predict":
            return self._predictions
        results = self._eval_results
        if verbose:
            print_eval_results(results, "Validate" if stage == "validate" else "Test")
        return results

    def validate(self, model=None, dataloaders=None, ckpt_path=None, verbose=True, datamodule=None):
        """One pass of ``validation_step`` over the validation loaders; returns a list with one
        dict of logged metrics per dataloader."""
        return self._evaluate("validate", model, dataloaders, ckpt_path, verbose, datamodule)

    def test(self, model=None, dataloaders=None, ckpt_path=None, verbose=True, datamodule=None):
        """One pass of ``test_step`` over the test loaders; returns a list with one dict of logged
        metrics per dataloader."""
        return self._evaluate("test", model, dataloaders, ckpt_path, verbose, datamodule)

    def predict(self, model=None, dataloaders=None, datamodule=None, return_predictions=None, ckpt_path=None):
        """``predict_step`` over the predict loaders; returns the list of batch outputs (a list
        per dataloader when there are several)."""
        self._return_predictions = True if return_predictions is None else return_predictions
        return self._evaluate("predict", model, dataloaders, ckpt_path, False, datamodule)

    # ---- checkpoints ---------------------------------------------------------------------------
    def save_checkpoint(self, filepath, weights_only=False, storage_options=None):
        """Write Lightning's checkpoint dictionary to ``filepath`` (atomically, with ember.save)."""
        if self.lightning_module is None:
            raise AttributeError(
                "Saving a checkpoint is only possible if a model is attached to the Trainer. Did you"
                " call `Trainer.save_checkpoint()` before calling `Trainer.{fit,validate,test,"
                "predict}`?"
            )
        if not self.is_global_zero:   # rank 0 writes (every rank holds the same weights)
            return
        _checkpoint.save(_checkpoint.dump_checkpoint(self, weights_only), filepath)
        for lg in self.loggers:
            lg.after_save_checkpoint(self.checkpoint_callback)

    def print(self, *args, **kwargs):
        if self.local_rank == 0:
            print(*args, **kwargs)

    def __repr__(self):
        return (f"Trainer(device={self._device_name!r}, max_epochs={self.max_epochs}, "
                f"precision={self._precision!r})")
