"""The Trainer's adapter over ember's one training engine (ember/train/engine.py).

``_LitEngine`` overrides the engine's per-batch pieces so that the step, the loss, the backward
and the optimizer step come from the LightningModule (``training_step``, ``backward``,
``optimizer_zero_grad``, ``optimizer_step``), and ``_Bridge``, an engine callback, turns the
engine's events into Lightning's hooks:

==============================  ===================================================================
engine event                    Lightning hooks (callbacks first, then the module)
==============================  ===================================================================
before_fit                      on_fit_start, the sanity check (a validate stage), on_train_start
before_epoch                    (stop checks: max_epochs, max_steps, should_stop)
before_train                    on_train_epoch_start
before_batch                    on_{train,validation,test,predict}_batch_start
before_zero_grad                on_before_zero_grad (then module.optimizer_zero_grad)
before_backward / after_        on_before_backward / on_after_backward
before_step                     on_before_optimizer_step, configure_gradient_clipping
after_step                      global_step += 1
after_batch                     schedulers (interval "step"), on_*_batch_end, step logging,
                                val_check_interval
before_validate / after_        on_validation_model_eval, on_{validation,test,predict}_start,
                                *_epoch_start / *_epoch_end, epoch metrics, *_end
after_epoch                     on_train_epoch_end, epoch metrics, schedulers (interval "epoch")
after_fit                       on_train_end, on_fit_end
==============================  ===================================================================

Evaluation (sanity check, validate, test, predict) is the engine's validate stage; the
trainer's ``_stage`` says which one it is."""

import itertools

from ...amp import autocast
from ...autograd.grad_mode import no_grad
from ...train.engine import (
    Callback,
    CancelBackwardException,
    CancelFitException,
    CancelStepException,
    CancelTrainException,
    CancelValidException,
    Engine,
    find_bs,
)

_EVAL_PREFIX = {"sanity_check": "validation", "validate": "validation", "test": "test", "predict": "predict"}


class _Source:
    """Batches of one phase: each loader limited to its number of batches, one after another;
    ``trainer._dataloader_idx`` / ``_batch_idx`` follow."""

    def __init__(self, trainer, loaders, limits):
        self.trainer, self.loaders, self.limits = trainer, loaders, limits

    def __len__(self):
        n = sum(self.limits)
        if n == float("inf"):
            raise TypeError("an iterable-style loader has no length")
        return n

    def __iter__(self):
        t = self.trainer
        for i, (dl, n) in enumerate(zip(self.loaders, self.limits)):
            if n <= 0:
                continue
            t._dataloader_idx = i
            for j, b in enumerate(itertools.islice(dl, n)):
                t._batch_idx = j
                t._is_last_batch = j == n - 1
                yield b


class _LitEngine(Engine):
    """The engine with the LightningModule's pieces plugged in."""

    zero_grad_first = True  # Lightning clears gradients before the backward pass
    keep_distributed_loader = True  # after a DDP fit the trainer keeps the shard, as Lightning's

    def __init__(self, trainer):
        super().__init__(model=None, dls=None)
        self.trainer = trainer
        self.add_cb(_Bridge())

    # batches
    def _transfer(self, b):
        t = self.trainer
        m, idx = t.lightning_module, t._dataloader_idx
        if t._transfer_hooks:
            b = t._module_hook("on_before_batch_transfer", b, idx)
            b = t._module_hook("transfer_batch_to_device", b, t._device, idx)
            return t._module_hook("on_after_batch_transfer", b, idx)
        return m.transfer_batch_to_device(b, t._device, idx)

    def _split(self, b):
        self.xb, self.yb = (b,), ()  # Lightning's steps receive the whole batch
        results = self.trainer._results
        if results is not None:
            results.batch, results.batch_size = b, None

    def _forward(self):
        t = self.trainer
        if self.training:
            name, args = "training_step", (self.batch, t._batch_idx)
        else:
            name = t._step_name
            args = (self.batch, t._batch_idx) + ((t._dataloader_idx,) if t._dataloader_count > 1 else ())
        if t._amp is not None:
            with autocast(t._device.type, dtype=t._amp_dtype):
                return t._module_hook(name, *args)
        return t._module_hook(name, *args)

    def _compute_loss(self):
        t = self.trainer
        if not self.training or not t.lightning_module.automatic_optimization:
            return None
        out = self.pred
        loss = out.get("loss") if isinstance(out, dict) else out
        if loss is None:
            return None
        acc = t.accumulate_grad_batches
        return loss / acc if acc > 1 else loss

    def _should_zero_grad(self):
        return self.trainer._batch_idx % self.trainer.accumulate_grad_batches == 0

    def _zero_grad(self):
        t = self.trainer
        t._module_hook("optimizer_zero_grad", t.current_epoch, t._batch_idx, t.optimizers[0])

    def _backward(self):
        t = self.trainer
        loss = self.loss_grad if t._amp is None else t._scaler.scale(self.loss_grad)
        ddp = self.__dict__.get("ddp")
        if ddp is not None and not self._should_step():
            with ddp.no_sync():   # accumulating: average once, at the batch that steps (as Lightning)
                t._module_hook("backward", loss)
            return
        t._module_hook("backward", loss)

    def _should_step(self):
        t = self.trainer
        return (t._batch_idx + 1) % t.accumulate_grad_batches == 0 or t._is_last_batch

    def _step(self):
        t = self.trainer
        # a LightningOptimizer, as Lightning passes: its step() applies AMP's scaler
        t._in_auto_step = True
        try:
            t._module_hook(
                "optimizer_step",
                t.current_epoch,
                t._batch_idx,
                t._lightning_optimizers[0],
                _closure(self.loss_grad),
            )
        finally:
            t._in_auto_step = False

    # the training loader, for the data-parallel engine callback (which shards it)
    def get_train_dataloader(self):
        return self.trainer._train_loader

    def set_train_dataloader(self, dl):
        self.trainer._set_train_loader(dl)

    # phases
    def _valid_dl(self):
        return self.trainer._fit_val_source()

    def _do_epoch_validate(self, dl=None):
        if dl is None:  # the end-of-epoch validation inside fit
            return self.trainer._run_eval("validate", self._valid_dl())
        return super()._do_epoch_validate(dl)


def _closure(loss):
    """optimizer_step's ``optimizer_closure``: the batch's forward and backward already ran in
    the engine, so calling it returns their loss."""

    def closure():
        return loss

    return closure


class _Bridge(Callback):
    """Engine events → Lightning hooks (see the module docstring)."""

    order = -90   # after the strategy's callback (DDP: wrap, shard), before anything else

    # ---- fit ---------------------------------------------------------------------------------
    def before_fit(self):
        t = self.learn.trainer
        t._call_hooks("on_fit_start")
        t._run_sanity_check()
        t.lightning_module.train()
        t._call_hooks("on_train_start")

    def before_epoch(self):
        t = self.learn.trainer
        if t._fit_done():
            raise CancelFitException()
        t._train_cut_short = False

    def before_train(self):
        t = self.learn.trainer
        t.training = self.learn.training = True
        t._results = t._fit_results
        t._fit_results.reset()
        t.lightning_module.train()
        t._call_hooks("on_train_epoch_start")

    def after_epoch(self):
        t = self.learn.trainer
        t._train_epoch_end()

    def after_fit(self):
        t = self.learn.trainer
        t._fit_done(announce=True)
        t._call_hooks("on_train_end")
        t._call_hooks("on_fit_end")

    # ---- batches -------------------------------------------------------------------------------
    def before_batch(self):
        t = self.learn.trainer
        if self.learn.training:
            r = t._call_hooks("on_train_batch_start", self.learn.batch, t._batch_idx)
            if r == -1:
                raise CancelTrainException()
        else:
            t._call_hooks(f"on_{t._eval_prefix}_batch_start", self.learn.batch, t._batch_idx, *t._dl_arg())

    def before_zero_grad(self):
        t = self.learn.trainer
        t._call_hooks("on_before_zero_grad", t.optimizers[0])

    def before_backward(self):
        self.learn.trainer._call_hooks("on_before_backward", self.learn.loss_grad)

    def after_backward(self):
        self.learn.trainer._call_hooks("on_after_backward")

    def before_step(self):
        t = self.learn.trainer
        t._before_optimizer_step(
            t.optimizers[0] if t.lightning_module.automatic_optimization else t._manual_opt
        )

    def after_step(self):
        self.learn.trainer._after_optimizer_step()

    def after_batch(self):
        t = self.learn.trainer
        if self.learn.training:
            t._train_batch_end(self.learn.pred, self.learn.batch)
        else:
            t._eval_batch_end(self.learn.pred, self.learn.batch)

    # ---- evaluation ------------------------------------------------------------------------
    def before_validate(self):
        self.learn.trainer._eval_start()

    def after_validate(self):
        self.learn.trainer._eval_end()


__all__ = [
    "_LitEngine",
    "_Source",
    "CancelBackwardException",
    "CancelStepException",
    "CancelValidException",
    "no_grad",
    "find_bs",
    "_EVAL_PREFIX",
]
