"""CSVLogger: ``metrics.csv`` (one row per log call; columns sorted, ``step`` and ``epoch``
included) and ``hparams.yaml`` under ``save_dir/name/version_N``."""

import csv
import os

from ..utilities.rank_zero import rank_zero_only
from .logger import _FolderLogger, _scalars, save_hparams_to_yaml


class CSVLogger(_FolderLogger):
    NAME_METRICS_FILE = "metrics.csv"
    NAME_HPARAMS_FILE = "hparams.yaml"

    def __init__(
        self, save_dir, name="lightning_logs", version=None, prefix="", flush_logs_every_n_steps=100
    ):
        self._save_dir, self._name, self._version = os.fspath(save_dir), name or "", version
        self._prefix, self._flush_every = prefix, flush_logs_every_n_steps
        self.metrics, self.metrics_keys, self.hparams = [], [], {}

    @property
    def log_dir(self):
        version = self.version if isinstance(self.version, str) else f"version_{self.version}"
        return os.path.join(self.root_dir, version)

    @property
    def experiment(self):
        return self

    @rank_zero_only
    def log_metrics(self, metrics, step=None):
        row = {(f"{self._prefix}-{k}" if self._prefix else k): v for k, v in _scalars(metrics).items()}
        row["step"] = len(self.metrics) if step is None else step
        self.metrics.append(row)
        if (row["step"] + 1) % self._flush_every == 0:
            self.save()

    @rank_zero_only
    def log_hyperparams(self, params=None, *args, **kwargs):
        self.hparams.update(dict(params or {}))

    @rank_zero_only
    def save(self):
        os.makedirs(self.log_dir, exist_ok=True)
        save_hparams_to_yaml(os.path.join(self.log_dir, self.NAME_HPARAMS_FILE), self.hparams)
        if not self.metrics:
            return
        keys = set().union(*self.metrics)
        new = keys - set(self.metrics_keys)
        path = os.path.join(self.log_dir, self.NAME_METRICS_FILE)
        if new or not os.path.exists(path):
            self.metrics_keys = sorted(set(self.metrics_keys) | keys)
            rows = self._read(path) + self.metrics
            with open(path, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=self.metrics_keys)
                w.writeheader()
                w.writerows(rows)
        else:
            with open(path, "a", newline="") as f:
                csv.DictWriter(f, fieldnames=self.metrics_keys).writerows(self.metrics)
        self.metrics = []

    @staticmethod
    def _read(path):
        if not os.path.exists(path):
            return []
        with open(path, newline="") as f:
            return list(csv.DictReader(f))
