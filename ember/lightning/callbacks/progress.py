"""TQDMProgressBar: Lightning's bars (``Epoch N``, ``Validation``, ``Sanity Checking``, ``Testing``,
``Predicting``) with the ``prog_bar`` metrics and ``v_num`` as postfix."""

import sys

from .callback import Callback


def _tqdm():
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


def _fmt(v):
    v = v.item() if hasattr(v, "item") else v
    return f"{v:.3g}" if isinstance(v, float) else v


class ProgressBar(Callback):
    """Base class of progress bars: ``get_metrics`` is what a bar shows."""

    def get_metrics(self, trainer, pl_module):
        items = {}
        if trainer.loggers:
            version = trainer.loggers[0].version
            if version is not None:
                items["v_num"] = version[-4:] if isinstance(version, str) else version
        items.update({k: _fmt(v) for k, v in trainer.progress_bar_metrics.items()})
        return items


class TQDMProgressBar(ProgressBar):
    """Bars drawn with tqdm, refreshed every ``refresh_rate`` batches (0 disables)."""

    def __init__(self, refresh_rate=1, process_position=0, leave=False):
        self._refresh_rate, self._process_position, self._leave = refresh_rate, process_position, leave
        self.train_progress_bar = self.val_progress_bar = self.test_progress_bar = (
            self.predict_progress_bar
        ) = None
        self._enabled = True

    @property
    def refresh_rate(self):
        return self._refresh_rate

    @property
    def is_enabled(self):
        return self._enabled and self._refresh_rate > 0 and _tqdm() is not None

    def disable(self):
        self._enabled = False

    def enable(self):
        self._enabled = True

    def _bar(self, desc, total, leave):
        return _tqdm()(
            desc=desc,
            total=total,
            leave=leave,
            position=2 * self._process_position,
            dynamic_ncols=True,
            file=sys.stdout,
            smoothing=0,
            bar_format=None,
        )

    def _update(self, bar, n, total):
        if bar is not None and (n % self._refresh_rate == 0 or n == total):
            bar.n = n
            bar.refresh()

    # training
    def on_train_epoch_start(self, trainer, pl_module):
        if not self.is_enabled:
            return
        if self.train_progress_bar is None or self._leave:
            self.train_progress_bar = self._bar(
                f"Epoch {trainer.current_epoch}", trainer.num_training_batches, True
            )
        else:
            self.train_progress_bar.reset(total=trainer.num_training_batches)
            self.train_progress_bar.set_description(f"Epoch {trainer.current_epoch}")
        self.train_progress_bar.initial = 0

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        bar = self.train_progress_bar
        if bar is None:
            return
        n = batch_idx + 1
        if n % self._refresh_rate == 0 or n == trainer.num_training_batches:
            bar.n = n
            bar.set_postfix(self.get_metrics(trainer, pl_module), refresh=False)
            bar.refresh()

    def on_train_epoch_end(self, trainer, pl_module):
        if self.train_progress_bar is not None:
            self.train_progress_bar.set_postfix(self.get_metrics(trainer, pl_module))
            if self._leave:
                self.train_progress_bar.close()

    def on_train_end(self, *_):
        if self.train_progress_bar is not None:
            self.train_progress_bar.close()
            self.train_progress_bar = None

    # evaluation
    def _eval_start(self, attr, desc, total):
        if self.is_enabled:
            setattr(self, attr, self._bar(desc, total, False))

    def _eval_end(self, attr):
        bar = getattr(self, attr)
        if bar is not None:
            bar.close()
            setattr(self, attr, None)

    def on_sanity_check_start(self, trainer, *_):
        self._eval_start(
            "val_progress_bar",
            "Sanity Checking DataLoader 0",
            trainer.num_sanity_val_batches[0] if trainer.num_sanity_val_batches else None,
        )

    def on_sanity_check_end(self, *_):
        self._eval_end("val_progress_bar")

    def on_validation_start(self, trainer, *_):
        if not trainer.sanity_checking:
            self._eval_start(
                "val_progress_bar", "Validation DataLoader 0", sum(trainer.num_val_batches) or None
            )

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0):
        bar = self.val_progress_bar
        if bar is not None:
            self._update(bar, batch_idx + 1, bar.total)

    def on_validation_end(self, trainer, pl_module):
        if not trainer.sanity_checking:
            self._eval_end("val_progress_bar")
            if self.train_progress_bar is not None and trainer.state.fn == "fit":
                self.train_progress_bar.set_postfix(self.get_metrics(trainer, pl_module))

    def on_test_start(self, trainer, *_):
        self._eval_start("test_progress_bar", "Testing DataLoader 0", sum(trainer.num_test_batches) or None)

    def on_test_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0):
        bar = self.test_progress_bar
        if bar is not None:
            self._update(bar, batch_idx + 1, bar.total)

    def on_test_end(self, *_):
        self._eval_end("test_progress_bar")

    def on_predict_start(self, trainer, *_):
        self._eval_start(
            "predict_progress_bar", "Predicting DataLoader 0", sum(trainer.num_predict_batches) or None
        )

    def on_predict_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0):
        bar = self.predict_progress_bar
        if bar is not None:
            self._update(bar, batch_idx + 1, bar.total)

    def on_predict_end(self, *_):
        self._eval_end("predict_progress_bar")
