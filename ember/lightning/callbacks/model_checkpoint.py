"""ModelCheckpoint: save the best ``save_top_k`` checkpoints by a monitored metric (or the latest),
plus ``last.ckpt``, with Lightning's file names (``epoch=E-step=S.ckpt``, templates such as
``"{epoch}-{valid_acc:.2f}"``) and its checkpoint dictionary, written by ``ember.save``."""

import math
import os
import re

from ..utilities.exceptions import MisconfigurationException
from ..utilities.rank_zero import rank_zero_warn
from .callback import Callback


def _value(v):
    return v.item() if hasattr(v, "item") else v


class ModelCheckpoint(Callback):
    """Lightning's ModelCheckpoint (same arguments, same defaults)."""

    CHECKPOINT_JOIN_CHAR = "-"
    CHECKPOINT_EQUALS_CHAR = "="
    CHECKPOINT_NAME_LAST = "last"
    FILE_EXTENSION = ".ckpt"
    STARTING_VERSION = 1

    def __init__(
        self,
        dirpath=None,
        filename=None,
        monitor=None,
        verbose=False,
        save_last=None,
        save_top_k=1,
        save_on_exception=False,
        save_weights_only=False,
        mode="min",
        auto_insert_metric_name=True,
        every_n_train_steps=None,
        train_time_interval=None,
        every_n_epochs=None,
        save_on_train_epoch_end=None,
        enable_version_counter=True,
    ):
        if mode not in ("min", "max"):
            raise MisconfigurationException(f"`mode` can be 'min' or 'max' but got {mode}")
        if save_top_k < -1:
            raise MisconfigurationException(f"Invalid value for save_top_k={save_top_k}. Must be >= -1")
        if monitor is None and save_top_k not in (-1, 0, 1):
            raise MisconfigurationException(
                f"ModelCheckpoint(save_top_k={save_top_k}, monitor=None) is not a valid "
                "configuration. No quantity "
                "for top_k to track."
            )
        if every_n_train_steps is not None and every_n_train_steps < 0:
            raise MisconfigurationException(
                f"Invalid value for every_n_train_steps={every_n_train_steps}. Must be >= 0"
            )
        if every_n_epochs is not None and every_n_epochs < 0:
            raise MisconfigurationException(
                f"Invalid value for every_n_epochs={every_n_epochs}. Must be >= 0"
            )
        self.monitor, self.verbose, self.save_last, self.save_top_k = monitor, verbose, save_last, save_top_k
        self.save_weights_only, self.mode, self.auto_insert_metric_name = (
            save_weights_only,
            mode,
            auto_insert_metric_name,
        )
        self._save_on_train_epoch_end = save_on_train_epoch_end
        self._enable_version_counter = enable_version_counter
        if every_n_train_steps is None and every_n_epochs is None and train_time_interval is None:
            every_n_epochs, every_n_train_steps = 1, 0
        self._every_n_train_steps = every_n_train_steps or 0
        self._every_n_epochs = every_n_epochs if every_n_epochs is not None else 0
        self._train_time_interval = train_time_interval
        self.dirpath = os.path.realpath(os.path.expanduser(str(dirpath))) if dirpath is not None else None
        self.filename = filename
        self.best_k_models, self.kth_best_model_path, self.best_model_path = {}, "", ""
        self.best_model_score, self.current_score, self.last_model_path = None, None, ""
        self.kth_value = math.inf if mode == "min" else -math.inf
        self._last_global_step_saved = 0
        self._last_checkpoint_saved = ""

    @property
    def state_key(self):
        return self._generate_state_key(
            monitor=self.monitor,
            mode=self.mode,
            every_n_train_steps=self._every_n_train_steps,
            every_n_epochs=self._every_n_epochs,
            train_time_interval=self._train_time_interval,
        )

    # ---- where and when ----------------------------------------------------------------------
    def setup(self, trainer, pl_module, stage):
        if self.dirpath is None:
            self.dirpath = self._resolve_dir(trainer)

    @staticmethod
    def _resolve_dir(trainer):
        if trainer.loggers:
            logger = trainer.loggers[0]
            save_dir = logger.save_dir or trainer.default_root_dir
            version = logger.version if isinstance(logger.version, str) else f"version_{logger.version}"
            return os.path.realpath(os.path.join(save_dir, str(logger.name), version, "checkpoints"))
        return os.path.realpath(os.path.join(trainer.default_root_dir, "checkpoints"))

    def _skip(self, trainer):
        return (
            bool(trainer.fast_dev_run)
            or trainer.sanity_checking
            or self._last_global_step_saved == trainer.global_step
        )

    def _on_train_epoch_end_saves(self, trainer):
        if self._save_on_train_epoch_end is not None:
            return self._save_on_train_epoch_end
        return not trainer._has_val_loop()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        n = self._every_n_train_steps
        if self._skip(trainer) or n < 1 or trainer.global_step % n != 0:
            return
        self._save(trainer)

    def on_train_epoch_end(self, trainer, pl_module):
        if not self._skip(trainer) and self._on_train_epoch_end_saves(trainer):
            if self._every_n_epochs >= 1 and (trainer.current_epoch + 1) % self._every_n_epochs == 0:
                self._save_topk(trainer, self._candidates(trainer))
            self._save_last(trainer, self._candidates(trainer))

    def on_validation_end(self, trainer, pl_module):
        if not self._skip(trainer) and not self._on_train_epoch_end_saves(trainer):
            if self._every_n_epochs >= 1 and (trainer.current_epoch + 1) % self._every_n_epochs == 0:
                self._save_topk(trainer, self._candidates(trainer))
            self._save_last(trainer, self._candidates(trainer))

    def _save(self, trainer):
        c = self._candidates(trainer)
        self._save_topk(trainer, c)
        self._save_last(trainer, c)

    @staticmethod
    def _candidates(trainer):
        from ..._creation import tensor

        c = dict(trainer.callback_metrics)
        c.setdefault("epoch", tensor(trainer.current_epoch))
        c.setdefault("step", tensor(trainer.global_step))
        return c

    # ---- top k ---------------------------------------------------------------------------------
    def _save_topk(self, trainer, candidates):
        if self.save_top_k == 0:
            return
        if self.monitor is None:
            path = self._get_path(candidates, trainer)
            previous, self.best_model_path = self.best_model_path, path
            self._write(trainer, path)
            if self.save_top_k == 1 and previous and previous != path:
                self._remove(trainer, previous)
            return
        if self.monitor not in candidates:
            m = (
                f"`ModelCheckpoint(monitor={self.monitor!r})` could not find the monitored key in the "
                "returned "
                f"metrics: {list(candidates)}. HINT: Did you call `log({self.monitor!r}, value)` in the "
                "`LightningModule`?"
            )
            if trainer._val_has_run:
                raise MisconfigurationException(m)
            rank_zero_warn(m)
            return
        current = candidates[self.monitor]
        if self._improves(current):
            self._update_best_and_save(current, trainer, candidates)

    def _improves(self, current):
        if self.save_top_k == -1 or len(self.best_k_models) < self.save_top_k:
            return True
        c, k = _value(current), _value(self.best_k_models[self.kth_best_model_path])
        return c < k if self.mode == "min" else c > k

    def _update_best_and_save(self, current, trainer, candidates):
        k = len(self.best_k_models) + 1 if self.save_top_k == -1 else self.save_top_k
        del_path = None
        if len(self.best_k_models) == k and k > 0:
            del_path = self.kth_best_model_path
            self.best_k_models.pop(del_path)
        if (
            isinstance(current, float)
            and math.isnan(current)
            or (hasattr(current, "isnan") and bool(current.isnan()))
        ):
            from ..._creation import tensor

            current = tensor(float("inf") if self.mode == "min" else float("-inf"))
        path = self._get_path(candidates, trainer, del_path)
        self.current_score = current
        self.best_k_models[path] = current
        if len(self.best_k_models) == k:
            worst = max if self.mode == "min" else min
            self.kth_best_model_path = worst(self.best_k_models, key=lambda p: _value(self.best_k_models[p]))
            self.kth_value = self.best_k_models[self.kth_best_model_path]
        best = min if self.mode == "min" else max
        self.best_model_path = best(self.best_k_models, key=lambda p: _value(self.best_k_models[p]))
        self.best_model_score = self.best_k_models[self.best_model_path]
        if self.verbose:
            print(
                f"Epoch {trainer.current_epoch:d}, global step {trainer.global_step:d}: "
                f"{self.monitor!r} reached "
                f"{_value(current):0.5f} (best {_value(self.best_model_score):0.5f}), saving model to "
                f"{path!r} as "
                f"top {k}"
            )
        self._write(trainer, path)
        if del_path is not None and del_path != path:
            self._remove(trainer, del_path)

    # ---- last ----------------------------------------------------------------------------------
    def _save_last(self, trainer, candidates):
        if not self.save_last:
            return
        path = self.format_checkpoint_name(candidates, self.CHECKPOINT_NAME_LAST)
        if self._enable_version_counter:
            version = self.STARTING_VERSION
            while os.path.exists(path) and path != self.last_model_path:
                path = self.format_checkpoint_name(candidates, self.CHECKPOINT_NAME_LAST, ver=version)
                version += 1
        previous, self.last_model_path = self.last_model_path, path
        self._write(trainer, path)
        if previous and previous != path:
            self._remove(trainer, previous)

    # ---- names and files -----------------------------------------------------------------------
    def _format_checkpoint_name(self, filename, metrics, prefix=None, auto_insert_metric_name=True):
        if not filename:
            filename = "{epoch}" + self.CHECKPOINT_JOIN_CHAR + "{step}"
        groups = sorted(re.findall(r"(\{.*?)[:\}]", filename), key=len, reverse=True)
        values = {}
        for group in groups:
            name = group[1:]
            if auto_insert_metric_name:
                filename = filename.replace(group, name + self.CHECKPOINT_EQUALS_CHAR + "{" + name)
            filename = filename.replace(group, f"{{0[{name}]")
            values[name] = _value(metrics[name]) if name in metrics else 0
        filename = filename.format(values)
        if prefix is not None:
            filename = self.CHECKPOINT_JOIN_CHAR.join([prefix, filename])
        return filename

    def format_checkpoint_name(self, metrics, filename=None, ver=None, prefix=None):
        filename = self._format_checkpoint_name(
            filename or self.filename,
            metrics,
            prefix=prefix,
            auto_insert_metric_name=self.auto_insert_metric_name,
        )
        if ver is not None:
            filename = self.CHECKPOINT_JOIN_CHAR.join((filename, f"v{ver}"))
        name = filename + self.FILE_EXTENSION
        return os.path.join(self.dirpath, name) if self.dirpath else name

    def _get_path(self, metrics, trainer, del_path=None):
        path = self.format_checkpoint_name(metrics)
        if self._enable_version_counter:
            version = self.STARTING_VERSION
            while os.path.exists(path) and path != del_path:
                path = self.format_checkpoint_name(metrics, ver=version)
                version += 1
        return path

    def _write(self, trainer, path):
        trainer.save_checkpoint(path, self.save_weights_only)
        self._last_global_step_saved = trainer.global_step
        self._last_checkpoint_saved = path

    @staticmethod
    def _remove(trainer, path):
        if os.path.exists(path):
            os.remove(path)

    def to_yaml(self, filepath=None):
        """Write ``best_k_models`` as YAML (``best_k_models.yaml`` in ``dirpath`` by default)."""
        lines = [f"{k}: {float(_value(v))}" for k, v in self.best_k_models.items()]
        with open(filepath or os.path.join(self.dirpath, "best_k_models.yaml"), "w") as f:
            f.write("\n".join(lines) + "\n")

    # ---- state ---------------------------------------------------------------------------------
    def state_dict(self):
        return {
            "monitor": self.monitor,
            "best_model_score": self.best_model_score,
            "best_model_path": self.best_model_path,
            "current_score": self.current_score,
            "dirpath": self.dirpath,
            "best_k_models": dict(self.best_k_models),
            "kth_best_model_path": self.kth_best_model_path,
            "kth_value": self.kth_value,
            "last_model_path": self.last_model_path,
        }

    def load_state_dict(self, state_dict):
        if self.dirpath == state_dict.get("dirpath", self.dirpath):
            self.best_model_score = state_dict["best_model_score"]
            self.kth_best_model_path = state_dict.get("kth_best_model_path", self.kth_best_model_path)
            self.kth_value = state_dict.get("kth_value", self.kth_value)
            self.best_k_models = dict(state_dict.get("best_k_models", self.best_k_models))
            self.last_model_path = state_dict.get("last_model_path", self.last_model_path)
        else:
            rank_zero_warn(
                f"The dirpath has changed from {state_dict.get('dirpath')!r} to {self.dirpath!r}, "
                "therefore `best_model_score`, `kth_best_model_path`, `kth_value`, `last_model_path` "
                "and `best_k_models` won't be reloaded. Only `best_model_path` will be reloaded."
            )
        self.best_model_path = state_dict["best_model_path"]
