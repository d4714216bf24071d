"""LearningRateMonitor: log each optimizer's learning rate (and momentum) to the loggers."""

from ..utilities.exceptions import MisconfigurationException
from .callback import Callback


class LearningRateMonitor(Callback):
    """Logs ``lr-<Optimizer>`` (``/pg<i>`` for several parameter groups) every step or epoch
    (``logging_interval`` 'step', 'epoch' or None: the scheduler's interval)."""

    def __init__(self, logging_interval=None, log_momentum=False, log_weight_decay=False):
        if logging_interval not in (None, "step", "epoch"):
            raise MisconfigurationException("logging_interval should be `step` or `epoch` or `None`.")
        self.logging_interval, self.log_momentum, self.log_weight_decay = (
            logging_interval,
            log_momentum,
            log_weight_decay,
        )
        self.lrs = {}

    def on_train_start(self, trainer, *args, **kwargs):
        if not trainer.loggers:
            raise MisconfigurationException(
                "Cannot use `LearningRateMonitor` callback with `Trainer` that has no logger."
            )

    def _names(self, trainer):
        out = []
        counts = {}
        for opt in trainer.optimizers:
            base = f"lr-{type(opt).__name__}"
            counts[base] = counts.get(base, 0) + 1
            name = base if counts[base] == 1 else f"{base}-{counts[base] - 1}"
            groups = opt.param_groups
            out.append(
                (opt, [name] if len(groups) == 1 else [f"{name}/pg{i + 1}" for i in range(len(groups))])
            )
        return out

    def _extract(self, trainer, interval):
        stats = {}
        scheduled = {id(c.scheduler.optimizer): c.interval for c in trainer.lr_scheduler_configs}
        for opt, names in self._names(trainer):
            sched_interval = scheduled.get(id(opt), "any")
            if (
                interval != "any"
                and sched_interval not in (interval, "any")
                and self.logging_interval is None
            ):
                continue
            for g, name in zip(opt.param_groups, names):
                stats[name] = g["lr"]
                self.lrs.setdefault(name, []).append(g["lr"])
                if self.log_momentum:
                    mom = g["betas"][0] if "betas" in g else g.get("momentum", 0)
                    stats[f"{name}-momentum"] = mom
                if self.log_weight_decay and "weight_decay" in g:
                    stats[f"{name}-weight_decay"] = g["weight_decay"]
        return stats

    def on_train_batch_start(self, trainer, *args, **kwargs):
        if self.logging_interval == "epoch" or not trainer._should_log_step():
            return
        stats = self._extract(trainer, "step")
        if stats:
            for logger in trainer.loggers:
                logger.log_metrics(stats, step=trainer._batches_that_stepped)

    def on_train_epoch_start(self, trainer, *args, **kwargs):
        if self.logging_interval == "step":
            return
        stats = self._extract(trainer, "epoch")
        if stats:
            for logger in trainer.loggers:
                logger.log_metrics(stats, step=trainer._batches_that_stepped)
