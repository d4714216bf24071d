"""TensorBoardLogger: event files under ``save_dir/name/version_N`` (ember's SummaryWriter), and
``hparams.yaml`` beside them."""

import os

from ..utilities.rank_zero import rank_zero_only
from .logger import _FolderLogger, _scalars, rank_zero_experiment, save_hparams_to_yaml


class TensorBoardLogger(_FolderLogger):
    """Lightning's default logger. Scalars are written with the step the Trainer passes (the
    number of optimizer steps so far); ``hp_metric`` is -1 at step 0 unless
    ``default_hp_metric=False``."""

    NAME_HPARAMS_FILE = "hparams.yaml"

    def __init__(
        self,
        save_dir,
        name="lightning_logs",
        version=None,
        log_graph=False,
        default_hp_metric=True,
        prefix="",
        sub_dir=None,
        **kwargs,
    ):
        self._save_dir, self._name = os.fspath(save_dir), name or ""
        self._version, self._log_graph, self._default_hp_metric = version, log_graph, default_hp_metric
        self._prefix, self._sub_dir, self._kwargs = prefix, sub_dir, kwargs
        self._experiment, self.hparams = None, {}

    @property
    def sub_dir(self):
        return self._sub_dir

    @property
    def log_dir(self):
        version = self.version if isinstance(self.version, str) else f"version_{self.version}"
        path = os.path.join(self.root_dir, version)
        if self._sub_dir:
            path = os.path.join(path, self._sub_dir)
        return os.path.expandvars(os.path.expanduser(path))

    @property
    @rank_zero_experiment
    def experiment(self):
        """The SummaryWriter (created on first use)."""
        if self._experiment is None:
            from ...utils.tensorboard import SummaryWriter

            os.makedirs(self.log_dir, exist_ok=True)
            self._experiment = SummaryWriter(log_dir=self.log_dir, **self._kwargs)
        return self._experiment

    @rank_zero_only
    def log_metrics(self, metrics, step=None):
        for k, v in _scalars(metrics).items():
            tag = f"{self._prefix}-{k}" if self._prefix else k
            if isinstance(v, dict):
                self.experiment.add_scalars(tag, v, step)
            else:
                self.experiment.add_scalar(tag, v, step)

    @rank_zero_only
    def log_hyperparams(self, params, metrics=None):
        params = dict(params or {})
        self.hparams.update(params)
        if metrics is None and self._default_hp_metric:
            metrics = {"hp_metric": -1}
        if metrics:
            self.log_metrics(metrics, 0)

    @rank_zero_only
    def log_graph(self, model, input_array=None):
        if not self._log_graph:
            return
        x = model.example_input_array if input_array is None else input_array
        if x is not None and hasattr(self.experiment, "add_graph"):
            self.experiment.add_graph(model, x)

    @rank_zero_only
    def save(self):
        if self._experiment is not None:
            self._experiment.flush()
        d = self.log_dir
        if os.path.isdir(d) and not os.path.isfile(os.path.join(d, self.NAME_HPARAMS_FILE)):
            save_hparams_to_yaml(os.path.join(d, self.NAME_HPARAMS_FILE), self.hparams)

    @rank_zero_only
    def finalize(self, status):
        if self._experiment is not None:
            self._experiment.flush()
            self._experiment.close()
            self._experiment = None
        self.save()
