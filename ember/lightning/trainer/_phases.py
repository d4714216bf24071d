"""The Trainer's work at each point of the loop: evaluation runs (sanity check, validation inside
fit, validate / test / predict), the end of a training batch and epoch (schedulers, logging,
val_check_interval, stop conditions) and the optimizer step (AMP, clipping, manual
optimization). Called by the engine bridge in _engine.py."""

import math

from ...train.engine import CancelBackwardException, CancelStepException, CancelTrainException
from ..utilities.exceptions import MisconfigurationException
from ..utilities.rank_zero import rank_zero_info, rank_zero_warn
from ._engine import _EVAL_PREFIX, _Source
from ._results import _Results

# what an evaluation inside fit borrows from the engine and the trainer, and gives back
_ENGINE_STATE = ("dl", "n_iter", "iter", "batch", "xb", "yb", "pred", "loss", "loss_grad",
                 "training")
_TRAINER_STATE = ("_stage", "_dataloader_idx", "_batch_idx", "_is_last_batch", "_results")


class _Phases:
    """Mixed into Trainer."""

    # ---- evaluation phases -------------------------------------------------------------------
    def _run_eval(self, stage, source):
        """The engine's validate stage over ``source`` (a sanity check, a validation inside fit, or
        a standalone validate / test / predict), keeping the engine's batch state intact."""
        eng = self._engine
        saved = ([getattr(eng, n) for n in _ENGINE_STATE],
                 [getattr(self, n) for n in _TRAINER_STATE])
        self._stage = stage
        self._eval_prefix = _EVAL_PREFIX[stage]
        self._step_name = "predict_step" if stage == "predict" else f"{self._eval_prefix}_step"
        self._dataloader_count = len(source.loaders)
        eng.training = False
        try:
            eng._do_epoch_validate(source)
        finally:
            for obj, names, values in ((eng, _ENGINE_STATE, saved[0]),
                                       (self, _TRAINER_STATE, saved[1])):
                for name, value in zip(names, values):
                    setattr(obj, name, value)
            self._dataloader_count = 1

    def _run_sanity_check(self):
        if not self._has_val_loop() or not sum(self.num_sanity_val_batches):
            return
        self.sanity_checking = True
        self._call_hooks("on_sanity_check_start")
        try:
            self._run_eval("sanity_check", _Source(self, self._val_loaders, self.num_sanity_val_batches))
        finally:
            self.sanity_checking = False
        self._call_hooks("on_sanity_check_end")

    def _verify_dataloader_idx(self):
        """Lightning's rule: a step or batch hook takes ``dataloader_idx`` exactly when there are
        several loaders (a single loader allows it with a default)."""
        import inspect

        prefix = "val" if self._eval_prefix == "validation" else self._eval_prefix
        m = self.lightning_module
        step = "predict_step" if self._stage == "predict" else f"{self._eval_prefix}_step"
        for hook in (step, f"on_{self._eval_prefix}_batch_start", f"on_{self._eval_prefix}_batch_end"):
            try:
                params = inspect.signature(getattr(m, hook)).parameters
            except (TypeError, ValueError):
                continue
            kinds = {p.kind for p in params.values()}
            present = "dataloader_idx" in params or bool(kinds & {inspect.Parameter.VAR_KEYWORD,
                                                                 inspect.Parameter.VAR_POSITIONAL})
            if self._dataloader_count > 1 and not present:
                raise RuntimeError(
                    f"You provided multiple `{prefix}_dataloader`, but no `dataloader_idx` argument in "
                    f"`{type(m).__name__}.{hook}()`. Try adding `dataloader_idx=0` to its signature.")
            p = params.get("dataloader_idx")
            if self._dataloader_count == 1 and p is not None and p.default is inspect.Parameter.empty:
                raise RuntimeError(
                    f"You provided only a single `{prefix}_dataloader`, but have included `dataloader_idx` "
                    f"in `{type(m).__name__}.{hook}()`. Either remove the argument or give it a default "
                    "value i.e. `dataloader_idx=0`.")

    def _eval_start(self):
        stage, prefix = self._stage, self._eval_prefix
        self._verify_dataloader_idx()
        self.training = False
        self._results = None if stage == "predict" else _Results(training=False, sync_fn=self._reduce_metric)
        self._predictions_acc = [[] for _ in range(self._dataloader_count)]
        self._eval_log_step = 0
        if stage in ("sanity_check", "validate") and self.state.fn == "fit":
            self._module_hook("on_validation_model_zero_grad") if stage == "validate" else None
        self._module_hook(f"on_{prefix}_model_eval")
        self._call_hooks(f"on_{prefix}_start")
        self._call_hooks(f"on_{prefix}_epoch_start")

    def _eval_batch_end(self, out, batch):
        stage, prefix = self._stage, self._eval_prefix
        if stage == "predict":
            if self._return_predictions:
                self._predictions_acc[self._dataloader_idx].append(out)
            self._call_hooks("on_predict_batch_end", out, batch, self._batch_idx, *self._dl_arg())
            return
        self._call_hooks(f"on_{prefix}_batch_end", out, batch, self._batch_idx, *self._dl_arg())
        if stage != "sanity_check":
            step_metrics = self._results.metrics(True)
            self._progress_bar_metrics.update(step_metrics["pbar"])
            self._eval_log_step += 1
            if (
                step_metrics["log"]
                and self.loggers
                and self.log_every_n_steps
                and self._eval_log_step % self.log_every_n_steps == 0
            ):
                self._log_metrics(dict(step_metrics["log"]), step=self._eval_log_step)

    def _eval_end(self):
        stage, prefix = self._stage, self._eval_prefix
        if stage == "predict":
            self._call_hooks("on_predict_epoch_end")
            self._call_hooks("on_predict_end")
            preds = self._predictions_acc
            self._predictions = (preds[0] if len(preds) == 1 else preds) if self._return_predictions else None
            return
        self._call_hooks(f"on_{prefix}_epoch_end")
        metrics = self._results.metrics(False)
        if stage != "sanity_check":
            self._progress_bar_metrics.update(metrics["pbar"])
            self._callback_metrics.update(metrics["callback"])
            self._logged_metrics.update(metrics["log"])
            if stage == "validate" and self.state.fn == "fit":
                self._val_has_run = True
            self._eval_results = self._split_by_dataloader(metrics["log"])
            self._log_metrics(dict(metrics["log"]))
        self._results.reset()
        self._call_hooks(f"on_{prefix}_end")
        if stage == "validate" and self.state.fn == "fit":
            self._reduce_should_stop()
        self._module_hook(f"on_{prefix}_model_train")
        if self.state.fn == "fit":
            self.training = True
            if stage == "validate" and self._pending_step_increment:
                self._batches_that_stepped += 1
                self._pending_step_increment = False

    def _split_by_dataloader(self, logged):
        out = [{} for _ in range(self._dataloader_count)]
        for k, v in logged.items():
            v = v.item() if hasattr(v, "item") else v
            idx = None
            if "/dataloader_idx_" in k:
                idx = int(k.rsplit("/dataloader_idx_", 1)[1])
            for i, d in enumerate(out):
                if idx is None or idx == i:
                    d[k] = v
        return out

    # ---- training phases ---------------------------------------------------------------------
    def _before_optimizer_step(self, opt):
        if self._scaler is not None:
            self._scaler.unscale_(opt)
        self._call_hooks("on_before_optimizer_step", opt)
        if self.lightning_module.automatic_optimization:
            self._module_hook(
                "configure_gradient_clipping", opt, self.gradient_clip_val, self.gradient_clip_algorithm
            )

    def _after_optimizer_step(self):
        self.global_step += 1

    def _scaled_step(self, opt, closure=None):
        if self._scaler is not None:
            self._scaler.step(opt)
            self._scaler.update()
            return None
        return opt.step() if closure is None else opt.step(closure)

    def _manual_backward(self, loss, *args, **kwargs):
        eng = self._engine
        eng.loss_grad = loss
        ddp = eng.__dict__.get("ddp")
        if ddp is not None:   # DDP's forward half (unused-parameter detection); hooks average
            ddp._post_forward(loss)
        scaled = loss if self._scaler is None else self._scaler.scale(loss)
        eng._with_events(
            lambda: self._module_hook("backward", scaled, *args, **kwargs),
            "backward",
            CancelBackwardException,
        )

    def _manual_step(self, opt, closure=None, **kwargs):
        if self._in_auto_step:  # optimizer_step's optimizer.step(closure) inside the engine's step
            return self._scaled_step(opt, closure)
        result = closure() if closure is not None else None
        eng = self._engine
        self._manual_opt = opt
        eng._with_events(lambda: self._scaled_step(opt), "step", CancelStepException)
        return result

    def _update_schedulers(self, interval, plateau):
        for cfg in self.lr_scheduler_configs:
            if cfg.reduce_on_plateau != plateau or cfg.interval != interval:
                continue
            idx = (self._batch_idx if interval == "step" else self.current_epoch) + 1
            if idx % cfg.frequency:
                continue
            metric = None
            if cfg.reduce_on_plateau:
                metric = self._callback_metrics.get(cfg.monitor)
                if metric is None:
                    avail = ", ".join(
                        k for k in self._callback_metrics if not k.startswith(("epoch", "step"))
                    )
                    msg = (
                        f"ReduceLROnPlateau conditioned on metric {cfg.monitor} which is not "
                        "available. Available "
                        f"metrics are: [{avail}]. Condition can be set using `monitor` key in lr "
                        "scheduler dict"
                    )
                    if cfg.strict:
                        raise MisconfigurationException(msg)
                    rank_zero_warn(msg)
                    continue
            self._module_hook("lr_scheduler_step", cfg.scheduler, metric)

    def _should_log_step(self):
        if self.log_every_n_steps == 0:
            return False
        return (self._batches_that_stepped + 1) % self.log_every_n_steps == 0 or self.should_stop

    def _train_batch_end(self, out, batch):
        stepped = (
            not self.lightning_module.automatic_optimization
            or (self._batch_idx + 1) % self.accumulate_grad_batches == 0
            or self._is_last_batch
        )
        if stepped:
            self._update_schedulers("step", False)
        if self._is_last_batch:
            self._update_schedulers("epoch", False)
        self._call_hooks("on_train_batch_end", out, batch, self._batch_idx)
        results = self._fit_results
        step_metrics = results.metrics(True)
        self._progress_bar_metrics.update(step_metrics["pbar"])
        self._callback_metrics.update(step_metrics["callback"])
        self._logged_metrics.update(step_metrics["log"])
        if stepped and (self._should_log_step() or self.fast_dev_run):
            self._log_metrics(dict(step_metrics["log"]))
        if (
            self.max_steps != -1
            and self.global_step >= self.max_steps
            or self.should_stop
            and self._can_stop_early()
        ):
            self._train_cut_short = not self._is_last_batch
        elif (
            not self._is_last_batch
            and self._val_check_batch != math.inf
            and (self._batch_idx + 1) % self._val_check_batch == 0
            and self._fit_val_due()
        ):
            self._run_eval("validate", _Source(self, self._val_loaders, self.num_val_batches))
        if stepped:
            if self._is_last_batch and self._fit_val_source() is not None:
                self._pending_step_increment = True  # Lightning counts the step after validating
            else:
                self._batches_that_stepped += 1
        if self._is_last_batch:
            self._epoch_train_done = True
        if self._train_cut_short:
            raise CancelTrainException()

    def _fit_val_due(self):
        n = self.check_val_every_n_epoch
        return self._has_val_loop() and (n is None or (self.current_epoch + 1) % n == 0)

    def _can_stop_early(self):
        met_min_epochs = self.current_epoch >= self.min_epochs - 1 if self.min_epochs else True
        met_min_steps = self.global_step >= self.min_steps if self.min_steps else True
        return met_min_epochs and met_min_steps

    def _train_epoch_end(self):
        if self._pending_step_increment:
            self._batches_that_stepped += 1
            self._pending_step_increment = False
        self._results = self._fit_results
        self._call_hooks("on_train_epoch_end")
        self._reduce_should_stop()
        metrics = self._fit_results.metrics(False)
        self._progress_bar_metrics.update(metrics["pbar"])
        self._callback_metrics.update(metrics["callback"])
        self._logged_metrics.update(metrics["log"])
        self._update_schedulers("epoch", True)
        self._batches_that_stepped -= 1
        self._log_metrics(dict(metrics["log"]))
        self._batches_that_stepped += 1
        self._epochs_completed += 1
        self._epoch_train_done = False

    def _fit_done(self, announce=False):
        if self.max_steps != -1 and self.global_step >= self.max_steps:
            if announce:
                rank_zero_info(f"`Trainer.fit` stopped: `max_steps={self.max_steps!r}` reached.")
            return True
        if self.max_epochs not in (None, -1) and self.current_epoch >= self.max_epochs:
            if announce:
                rank_zero_info(f"`Trainer.fit` stopped: `max_epochs={self.max_epochs!r}` reached.")
            return True
        return bool(self.should_stop and self._can_stop_early())

    def _log_metrics(self, metrics, step=None):
        if not self.loggers or not metrics:
            return
        self._logged_metrics.update(metrics)
        if step is None:
            step = metrics.pop("step", None)
            step = int(step.item() if hasattr(step, "item") else step) if step is not None else None
            if step is None:
                metrics.setdefault("epoch", self.current_epoch)
                step = self._batches_that_stepped
        for lg in self.loggers:
            lg.log_metrics(metrics, step)
            lg.save()
