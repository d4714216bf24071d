"""Logging callbacks: CSVLogger (the Recorder's table, one row per epoch) and
TensorBoardCallback (event files written by ``ember.utils.tensorboard.SummaryWriter``)."""
import csv
import os
from pathlib import Path

import numpy as np

from ..engine import Callback

__all__ = ["CSVLogger", "TensorBoardCallback"]


def _cell(v):
    if isinstance(v, np.ndarray):   # per-class results on one line
        return np.array2string(v, separator=" ", max_line_width=10**6).replace("\n", "")
    return v


class CSVLogger(Callback):
    """Write the Recorder's per-epoch log (epoch, train_loss, valid_loss, metrics, time) to
    ``learn.path / fname`` as CSV, flushed each epoch; ``append`` continues an existing file.
    Switched off during ``lr_find``."""

    order = 51   # right after the Recorder

    def __init__(self, fname="history.csv", append=False):
        self.fname, self.append = fname, append
        self.file = None

    @property
    def path(self):
        return Path(getattr(self.learn, "path", ".")) / self.fname

    def before_fit(self):
        if hasattr(self.learn, "lr_finder"):
            self.run = False
            return
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True)
        had_rows = self.append and path.exists() and path.stat().st_size > 0
        self.file = open(path, "a" if self.append else "w", newline="")
        self._writer = csv.writer(self.file)
        if not had_rows:
            self._writer.writerow(self.recorder.metric_names)
            self.file.flush()

    def after_epoch(self):
        if self.file is None:
            return
        self._writer.writerow([_cell(v) for v in self.recorder.log])
        self.file.flush()

    def after_fit(self):
        if self.file is not None:
            self.file.close()
            self.file = None

    def read_log(self):
        """The logged rows as a list of dicts (column → string)."""
        with open(self.path, newline="") as f:
            return list(csv.DictReader(f))


class TensorBoardCallback(Callback):
    """Log to TensorBoard: per training batch the loss (``train_loss``, smoothed) and each
    parameter group's learning rate (``lr_{i}``, and ``mom_{i}`` where there is one); per epoch
    the validation loss and metrics and (every ``hist_freq`` epochs) histograms of the weights
    (``weights/<name>``); the model graph with
    ``trace_model`` if the writer supports ``add_graph``. Steps continue across fits.
    Switched off during ``lr_find``."""

    order = 70

    def __init__(self, log_dir=None, trace_model=False, hist_freq=1, writer=None):
        self.log_dir, self.trace_model, self.hist_freq = log_dir, trace_model, hist_freq
        self.writer, self._own_writer = writer, writer is None
        self.step = 0

    def before_fit(self):
        if hasattr(self.learn, "lr_finder"):
            self.run = False
            return
        if self.writer is None:
            from ...utils.tensorboard import SummaryWriter
            log_dir = self.log_dir
            if log_dir is None:
                log_dir = os.path.join(str(getattr(self.learn, "path", ".")), "runs")
            self.writer = SummaryWriter(log_dir=str(log_dir))
        if self.trace_model and hasattr(self.writer, "add_graph"):
            b = next(iter(self.dls.train))
            xb = tuple(b)[: self.n_inp] if isinstance(b, (list, tuple)) else (b,)
            self.writer.add_graph(self.model, xb[0] if len(xb) == 1 else xb)

    def after_batch(self):
        if not self.training or self.learn.loss is None:
            return
        self.step += 1
        rec = getattr(self.learn, "recorder", None)
        loss = rec.losses[-1] if rec is not None and rec.losses else float(self.learn.loss)
        self.writer.add_scalar("train_loss", loss, self.step)
        for i, g in enumerate(self.opt.param_groups):
            self.writer.add_scalar(f"lr_{i}", g["lr"], self.step)
            mom = g["betas"][0] if "betas" in g else g.get("momentum")
            if mom is not None:
                self.writer.add_scalar(f"mom_{i}", mom, self.step)

    def after_epoch(self):
        rec = self.recorder
        for name, value in zip(rec.metric_names[1:], rec.log[1:]):
            if name not in ("train_loss", "time") and isinstance(value, float):
                self.writer.add_scalar(name, value, self.step)
        if self.hist_freq and self.epoch % self.hist_freq == 0:
            for name, p in self.model.named_parameters():
                self.writer.add_histogram(f"weights/{name}", p.detach(), self.step)
        self.writer.flush()

    def after_fit(self):
        if self.writer is None:
            return
        self.writer.flush()
        if self._own_writer:   # a new event file per fit; TensorBoard reads them all
            self.writer.close()
            self.writer = None
