"""LightningModule: an ``nn.Module`` that carries its training step, its optimizers and its hooks.
The Trainer (trainer/) runs it on ember's one training engine."""

import copy
import inspect
import os

from ...nn.modules.module import Module
from ...train.engine import to_device
from ..utilities.exceptions import MisconfigurationException
from ..utilities.parsing import AttributeDict
from ..utilities.rank_zero import rank_zero_warn


def _init_args(frame):
    """The arguments of the ``__init__`` that called ``save_hyperparameters`` (Lightning collects
    them from the caller's frame): named parameters and ``**kwargs`` merged."""
    code = frame.f_code
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    local = frame.f_locals
    args = {n: local[n] for n in names[1:] if n in local}  # without self
    if code.co_flags & inspect.CO_VARKEYWORDS:
        kw = code.co_varnames[
            code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & inspect.CO_VARARGS)
        ]
        args.update(local.get(kw, {}) or {})
    return args


class HyperparametersMixin:
    __jit_unused_properties__ = ["hparams", "hparams_initial"]

    def save_hyperparameters(self, *args, ignore=None, frame=None, logger=True):
        """Store the ``__init__`` arguments (all, or those named) in ``self.hparams``; they go
        into checkpoints (``hyper_parameters``) and ``hparams.yaml``."""
        self._log_hyperparams = logger
        if frame is None:
            frame = inspect.currentframe().f_back
        init_args = _init_args(frame)
        ignore = [ignore] if isinstance(ignore, str) else list(ignore or [])
        if len(args) == 1 and not isinstance(args[0], str):
            hp = args[0]
            hp = dict(hp) if isinstance(hp, dict) else vars(hp)
            self._hparams_name = None
        elif args:
            hp = {a: init_args[a] for a in args if a in init_args}
            self._hparams_name = "kwargs"
        else:
            hp = {k: v for k, v in init_args.items() if not k.startswith("_")}
            self._hparams_name = "kwargs"
        hp = {k: v for k, v in hp.items() if k not in ignore}
        for k, v in hp.items():
            if isinstance(v, Module) and k not in ignore:
                rank_zero_warn(
                    f"Attribute {k!r} is an instance of `nn.Module` and is already saved during "
                    f"checkpointing. It is recommended to ignore them using "
                    f"`self.save_hyperparameters(ignore=[{k!r}])`."
                )
        self._set_hparams(hp)
        self._hparams_initial = copy.deepcopy(self._hparams)

    def _set_hparams(self, hp):
        self.__dict__["_hparams"] = AttributeDict(hp)

    @property
    def hparams(self):
        if "_hparams" not in self.__dict__:
            self.__dict__["_hparams"] = AttributeDict()
        return self.__dict__["_hparams"]

    @property
    def hparams_initial(self):
        return AttributeDict(copy.deepcopy(self.__dict__.get("_hparams_initial", {})))


class LightningModule(HyperparametersMixin, Module):
    """Write ``training_step(batch, batch_idx)`` (returning the loss, a dict with ``"loss"``, or None
    to skip the batch) and ``configure_optimizers()``; optionally ``validation_step``,
    ``test_step``, ``predict_step`` and any of the hooks. ``self.log`` records metrics."""

    prepare_data_per_node = True   # data-parallel: prepare_data on each node's local rank 0

    def __init__(self, *args, **kwargs):
        super().__init__()
        self.__dict__.update(
            _trainer=None,
            _automatic_optimization=True,
            _current_fx_name=None,
            _example_input_array=None,
            _hparams_name=None,
            _log_hyperparams=False,
        )

    # ---- trainer links -----------------------------------------------------------------------
    @property
    def trainer(self):
        t = self.__dict__.get("_trainer")
        if t is None:
            raise RuntimeError(f"{type(self).__qualname__} is not attached to a `Trainer`.")
        return t

    @trainer.setter
    def trainer(self, trainer):
        self.__dict__["_trainer"] = trainer

    @property
    def _has_trainer(self):
        return self.__dict__.get("_trainer") is not None

    @property
    def automatic_optimization(self):
        return self.__dict__.get("_automatic_optimization", True)

    @automatic_optimization.setter
    def automatic_optimization(self, value):
        self.__dict__["_automatic_optimization"] = bool(value)

    @property
    def example_input_array(self):
        return self.__dict__.get("_example_input_array")

    @example_input_array.setter
    def example_input_array(self, value):
        self.__dict__["_example_input_array"] = value

    @property
    def current_epoch(self):
        return self.trainer.current_epoch if self._has_trainer else 0

    @property
    def global_step(self):
        return self.trainer.global_step if self._has_trainer else 0

    @property
    def global_rank(self):
        return self.trainer.global_rank if self._has_trainer else 0

    @property
    def local_rank(self):
        return self.trainer.local_rank if self._has_trainer else 0

    @property
    def on_gpu(self):
        return self.device.type == "cuda"

    @property
    def device(self):
        for p in self.parameters():
            return p.device
        from ..._device import device

        return device("cpu")

    @property
    def dtype(self):
        for p in self.parameters():
            return p.dtype
        from ... import float32

        return float32

    @property
    def logger(self):
        return self.trainer.logger if self._has_trainer else None

    @property
    def loggers(self):
        return self.trainer.loggers if self._has_trainer else []

    def print(self, *args, **kwargs):
        """``print`` on rank 0 only (every process of a data-parallel run calls it)."""
        if self.global_rank == 0:
            print(*args, **kwargs)

    def all_gather(self, data, group=None, sync_grads=False):
        """``data`` (a tensor, or a dict / list / tuple of them) from every rank, stacked along a
        new first dimension of size world_size; unchanged in a single-process run."""
        from ... import distributed as dist
        from ... import stack

        t = self.__dict__.get("_trainer")
        if t is None or t._dist() is None:
            return data
        if isinstance(data, dict):
            return {k: self.all_gather(v, group, sync_grads) for k, v in data.items()}
        if isinstance(data, (list, tuple)):
            return type(data)(self.all_gather(v, group, sync_grads) for v in data)
        out = [data.detach().clone() for _ in range(dist.get_world_size(group))]
        dist.all_gather(out, data.detach().contiguous(), group=group)
        return stack(out)

    # ---- logging ---------------------------------------------------------------------------
    def log(
        self,
        name,
        value,
        prog_bar=False,
        logger=None,
        on_step=None,
        on_epoch=None,
        reduce_fx="mean",
        enable_graph=False,
        sync_dist=False,
        sync_dist_group=None,
        add_dataloader_idx=True,
        batch_size=None,
        metric_attribute=None,
        rank_zero_only=False,
    ):
        """Record ``value`` under ``name`` for the current hook (Lightning's defaults: per step in
        training_step, per epoch in validation/test steps and epoch hooks)."""
        t = self.__dict__.get("_trainer")
        if t is None:
            rank_zero_warn(
                "You are trying to `self.log()` but the `self.trainer` reference is not registered on "
                "the model yet. This is most likely because the model hasn't been passed to the "
                "`Trainer`"
            )
            return
        results = t._results
        if results is None:
            raise MisconfigurationException(
                "You are trying to `self.log()` but the loop's result collection is not "
                "registered yet. This is most likely because you are trying to log in a "
                "`predict` hook, but it doesn't support logging"
            )
        fx = self.__dict__.get("_current_fx_name")
        if fx is None:
            raise MisconfigurationException("You can't `self.log()` outside of a Lightning hook.")
        if not isinstance(name, str):
            raise TypeError(f"`self.log()` expects `name` to be a string, got {type(name).__name__}")
        if t._dataloader_count > 1 and add_dataloader_idx and not t.training:
            name = f"{name}/dataloader_idx_{t._dataloader_idx}"
        results.log(
            fx,
            name,
            value,
            prog_bar=prog_bar,
            logger=logger,
            on_step=on_step,
            on_epoch=on_epoch,
            reduce_fx=reduce_fx,
            batch_size=batch_size,
            sync_dist=bool(sync_dist) and not rank_zero_only,
        )

    def log_dict(
        self,
        dictionary,
        prog_bar=False,
        logger=None,
        on_step=None,
        on_epoch=None,
        reduce_fx="mean",
        enable_graph=False,
        sync_dist=False,
        sync_dist_group=None,
        add_dataloader_idx=True,
        batch_size=None,
        rank_zero_only=False,
    ):
        for k, v in dictionary.items():
            self.log(
                k,
                v,
                prog_bar=prog_bar,
                logger=logger,
                on_step=on_step,
                on_epoch=on_epoch,
                reduce_fx=reduce_fx,
                add_dataloader_idx=add_dataloader_idx,
                batch_size=batch_size,
                sync_dist=sync_dist,
                sync_dist_group=sync_dist_group,
                rank_zero_only=rank_zero_only,
            )

    # ---- optimization ----------------------------------------------------------------------
    def optimizers(self, use_pl_optimizer=True):
        opts = self.trainer._lightning_optimizers if use_pl_optimizer else self.trainer.optimizers
        return opts[0] if len(opts) == 1 else opts

    def lr_schedulers(self):
        cfgs = self.trainer.lr_scheduler_configs
        if not cfgs:
            return None
        scheds = [c.scheduler for c in cfgs]
        return scheds[0] if len(scheds) == 1 else scheds

    def manual_backward(self, loss, *args, **kwargs):
        """Backward in manual optimization: the engine's backward stage runs (so the
        ``on_before_backward`` / ``on_after_backward`` hooks fire) with AMP scaling applied."""
        if self.automatic_optimization:
            raise MisconfigurationException("`manual_backward` is only allowed with manual optimization.")
        self.trainer._manual_backward(loss, *args, **kwargs)

    def backward(self, loss, *args, **kwargs):
        loss.backward(*args, **kwargs)

    def toggle_optimizer(self, optimizer):
        pass

    def untoggle_optimizer(self, optimizer):
        pass

    def optimizer_step(self, epoch, batch_idx, optimizer, optimizer_closure=None):
        optimizer.step(closure=optimizer_closure)

    def optimizer_zero_grad(self, epoch, batch_idx, optimizer):
        optimizer.zero_grad()

    def lr_scheduler_step(self, scheduler, metric):
        if metric is None:
            scheduler.step()
        else:
            scheduler.step(metric)

    def configure_gradient_clipping(self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None):
        self.clip_gradients(optimizer, gradient_clip_val, gradient_clip_algorithm)

    def clip_gradients(self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None):
        if gradient_clip_val is None or gradient_clip_val == 0:
            return
        algorithm = gradient_clip_algorithm or "norm"
        params = [p for g in optimizer.param_groups for p in g["params"]]
        from ...nn.utils import clip_grad_norm_, clip_grad_value_

        if algorithm == "value":
            clip_grad_value_(params, gradient_clip_val)
        elif algorithm == "norm":
            clip_grad_norm_(params, gradient_clip_val)
        else:
            raise MisconfigurationException(
                f"`gradient_clip_algorithm` {algorithm!r} is invalid. Allowed algorithms: ['value', 'norm']."
            )

    def freeze(self):
        for p in self.parameters():
            p.requires_grad = False
        self.eval()

    def unfreeze(self):
        for p in self.parameters():
            p.requires_grad = True
        self.train()

    # ---- the steps users write -----------------------------------------------------------------
    def forward(self, *args, **kwargs):
        return super().forward(*args, **kwargs)

    def training_step(self, *args, **kwargs):
        raise MisconfigurationException(
            "`training_step` must be implemented to be used with the Lightning Trainer"
        )

    def validation_step(self, *args, **kwargs):
        pass

    def test_step(self, *args, **kwargs):
        pass

    def predict_step(self, *args, **kwargs):
        batch = kwargs.get("batch", args[0])
        return self(batch)

    def configure_optimizers(self):
        raise MisconfigurationException(
            "`configure_optimizers` must be implemented to be used with the Lightning Trainer"
        )

    def configure_callbacks(self):
        return []

    def configure_model(self):
        pass

    # ---- data hooks --------------------------------------------------------------------------
    def prepare_data(self):
        pass

    def setup(self, stage):
        pass

    def teardown(self, stage):
        pass

    def transfer_batch_to_device(self, batch, device, dataloader_idx):
        return to_device(batch, device)

    def on_before_batch_transfer(self, batch, dataloader_idx):
        return batch

    def on_after_batch_transfer(self, batch, dataloader_idx):
        return batch

    # ---- checkpoints -------------------------------------------------------------------------
    def on_save_checkpoint(self, checkpoint):
        pass

    def on_load_checkpoint(self, checkpoint):
        pass

    @classmethod
    def load_from_checkpoint(
        cls, checkpoint_path, map_location=None, hparams_file=None, strict=None, **kwargs
    ):
        """Rebuild the module from a checkpoint: ``cls(**hyper_parameters, **kwargs)``, then its
        ``state_dict``."""
        from ...serialization import load

        ckpt = load(
            os.fspath(checkpoint_path) if isinstance(checkpoint_path, os.PathLike) else checkpoint_path,
            map_location=map_location,
        )
        hp = dict(ckpt.get("hyper_parameters") or {})
        if hparams_file is not None:
            from ..loggers.logger import load_hparams_from_yaml

            hp.update(load_hparams_from_yaml(hparams_file))
        hp.update(kwargs)
        sig = inspect.signature(cls.__init__)
        takes_kwargs = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())
        args = hp if takes_kwargs else {k: v for k, v in hp.items() if k in sig.parameters}
        model = cls(**args)
        model.on_load_checkpoint(ckpt)
        model.load_state_dict(ckpt["state_dict"], strict=True if strict is None else strict)
        model.eval()
        return model


# The hooks a module may override; the default of each does nothing.
_MODULE_HOOKS = (
    "on_fit_start",
    "on_fit_end",
    "on_train_start",
    "on_train_end",
    "on_validation_start",
    "on_validation_end",
    "on_test_start",
    "on_test_end",
    "on_predict_start",
    "on_predict_end",
    "on_train_batch_start",
    "on_train_batch_end",
    "on_validation_batch_start",
    "on_validation_batch_end",
    "on_test_batch_start",
    "on_test_batch_end",
    "on_predict_batch_start",
    "on_predict_batch_end",
    "on_train_epoch_start",
    "on_train_epoch_end",
    "on_validation_epoch_start",
    "on_validation_epoch_end",
    "on_test_epoch_start",
    "on_test_epoch_end",
    "on_predict_epoch_start",
    "on_predict_epoch_end",
    "on_before_zero_grad",
    "on_before_backward",
    "on_after_backward",
    "on_before_optimizer_step",
    "on_validation_model_zero_grad",
    "on_validation_model_eval",
    "on_validation_model_train",
    "on_test_model_eval",
    "on_test_model_train",
    "on_predict_model_eval",
)


def _noop(self, *args, **kwargs):
    return None


for _h in _MODULE_HOOKS:
    setattr(LightningModule, _h, _noop)
del _h


def _eval_mode(self):
    self.trainer.lightning_module.eval()


def _train_mode(self):
    self.trainer.lightning_module.train()


def _zero_grad(self):
    for opt in self.trainer.optimizers:
        opt.zero_grad()


LightningModule.on_validation_model_eval = _eval_mode
LightningModule.on_test_model_eval = _eval_mode
LightningModule.on_predict_model_eval = _eval_mode
LightningModule.on_validation_model_train = _train_mode
LightningModule.on_test_model_train = _train_mode
LightningModule.on_validation_model_zero_grad = _zero_grad
