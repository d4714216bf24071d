"""configure_optimizers' return forms → optimizers and scheduler configs; LightningOptimizer
(what ``self.optimizers()`` returns: its ``step`` runs the engine's step stage, so hooks fire and
``global_step`` counts)."""

from dataclasses import dataclass

from ..utilities.exceptions import MisconfigurationException
from ..utilities.rank_zero import rank_zero_warn


@dataclass
class LRSchedulerConfig:
    scheduler: object
    name: str = None
    interval: str = "epoch"
    frequency: int = 1
    reduce_on_plateau: bool = False
    monitor: str = None
    strict: bool = True


def _is_plateau(s):
    from ...optim.lr_scheduler import ReduceLROnPlateau

    return isinstance(s, ReduceLROnPlateau)


def _is_optimizer(o):
    from ...optim import Optimizer

    return isinstance(o, Optimizer)


def _config(s, monitor=None):
    if isinstance(s, dict):
        if "scheduler" not in s:
            raise MisconfigurationException(
                'The lr scheduler dict must have the key "scheduler" with its item being an lr scheduler'
            )
        extra = set(s) - {
            "scheduler",
            "name",
            "interval",
            "frequency",
            "monitor",
            "strict",
            "reduce_on_plateau",
        }
        if extra:
            rank_zero_warn(f"Found unsupported keys in the lr scheduler dict: {extra}.")
        if "interval" in s and s["interval"] not in ("step", "epoch"):
            raise MisconfigurationException(
                f'The "interval" key in lr scheduler dict must be "step" or "epoch" but is "{s["interval"]}"'
            )
        cfg = LRSchedulerConfig(
            s["scheduler"],
            s.get("name"),
            s.get("interval", "epoch"),
            s.get("frequency", 1),
            _is_plateau(s["scheduler"]),
            s.get("monitor", monitor),
            s.get("strict", True),
        )
    else:
        cfg = LRSchedulerConfig(s, reduce_on_plateau=_is_plateau(s), monitor=monitor)
    if cfg.reduce_on_plateau and cfg.monitor is None:
        raise MisconfigurationException(
            "`configure_optimizers` must include a monitor when a `ReduceLROnPlateau` scheduler is used. For "
            'example: {"optimizer": optimizer, "lr_scheduler": scheduler, "monitor": "metric_to_track"}'
        )
    return cfg


def init_optimizers(out):
    """(optimizers, scheduler configs) from what configure_optimizers returned."""
    if out is None:
        rank_zero_warn(
            "`LightningModule.configure_optimizers` returned `None`, this fit will run with no optimizer"
        )
        return [], []
    if _is_optimizer(out):
        return [out], []
    if isinstance(out, dict):
        return _from_dicts([out])
    if isinstance(out, (list, tuple)):
        if len(out) == 2 and isinstance(out[0], (list, tuple)):
            opts = list(out[0])
            scheds = out[1] if isinstance(out[1], (list, tuple)) else [out[1]]
            return opts, [_config(s) for s in scheds]
        if all(isinstance(o, dict) for o in out):
            return _from_dicts(out)
        if all(_is_optimizer(o) for o in out):
            return list(out), []
    raise MisconfigurationException(
        "Unknown configuration for model optimizers. Output from `model.configure_optimizers()` "
        "should be one of:\n"
        " * `Optimizer`\n * [`Optimizer`]\n * ([`Optimizer`], [`LRScheduler`])\n"
        ' * {"optimizer": `Optimizer`, (optional) "lr_scheduler": `LRScheduler`}\n'
    )


def _from_dicts(dicts):
    opts, cfgs = [], []
    for d in dicts:
        if "optimizer" not in d:
            raise MisconfigurationException(
                'You have passed a dict to `configure_optimizers`. It must contain the key "optimizer".'
            )
        opts.append(d["optimizer"])
        if d.get("lr_scheduler") is not None:
            cfgs.append(_config(d["lr_scheduler"], d.get("monitor")))
    return opts, cfgs


class LightningOptimizer:
    """Wraps an optimizer for manual optimization: ``step()`` goes through the engine's step
    stage (``on_before_optimizer_step``, AMP unscaling and skipping, ``global_step``)."""

    def __init__(self, optimizer, trainer):
        self._optimizer, self._trainer = optimizer, trainer

    @property
    def optimizer(self):
        return self._optimizer

    def __getattr__(self, name):
        return getattr(self.__dict__["_optimizer"], name)

    def step(self, closure=None, **kwargs):
        return self._trainer._manual_step(self._optimizer, closure, **kwargs)

    def zero_grad(self, set_to_none=True):
        self._optimizer.zero_grad(set_to_none=set_to_none)

    def __repr__(self):
        return f"LightningOptimizer({self._optimizer!r})"
