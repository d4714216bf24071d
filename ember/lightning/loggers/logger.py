"""Logger: the interface a Trainer logs through; versioned run directories."""

import os

from ..utilities.rank_zero import rank_zero_only


class DummyExperiment:
    """What ``logger.experiment`` is on ranks other than 0: every call does nothing."""

    def nop(self, *args, **kwargs):
        pass

    def __getattr__(self, _):
        return self.nop

    def __getitem__(self, idx):
        return self


def rank_zero_experiment(fn):
    """``experiment`` properties: the real one on rank 0, a DummyExperiment elsewhere."""
    import functools

    @functools.wraps(fn)
    def experiment(self):
        if rank_zero_only.rank != 0:
            return DummyExperiment()
        return fn(self)

    return experiment


def _next_version(root):
    """One more than the largest ``version_N`` under ``root`` (0 when none)."""
    if not os.path.isdir(root):
        return 0
    found = []
    for d in os.listdir(root):
        if os.path.isdir(os.path.join(root, d)) and d.startswith("version_"):
            tail = d[len("version_") :].split(".")[0]
            if tail.isdigit():
                found.append(int(tail))
    return max(found) + 1 if found else 0


def _scalars(metrics):
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in metrics.items()}


def _plain(v):
    """hparams as YAML-able values."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if hasattr(v, "item") and getattr(v, "numel", lambda: 2)() == 1:
        return v.item()
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return repr(v)


def save_hparams_to_yaml(path, hparams):
    import yaml

    with open(path, "w") as f:
        yaml.dump(_plain(dict(hparams)), f)


def load_hparams_from_yaml(path):
    import yaml

    with open(path) as f:
        return yaml.full_load(f) or {}


class Logger:
    """Base class: ``log_metrics(metrics, step)``, ``log_hyperparams(params)``, ``save()``,
    ``finalize(status)``; ``name``, ``version``, ``save_dir``, ``log_dir``."""

    @property
    def name(self):
        return None

    @property
    def version(self):
        return None

    @property
    def root_dir(self):
        return None

    @property
    def log_dir(self):
        return None

    @property
    def save_dir(self):
        return None

    @property
    def group_separator(self):
        return "/"

    def log_metrics(self, metrics, step=None):
        raise NotImplementedError

    def log_hyperparams(self, params, *args, **kwargs):
        raise NotImplementedError

    def log_graph(self, model, input_array=None):
        pass

    def save(self):
        pass

    def finalize(self, status):
        self.save()

    def after_save_checkpoint(self, checkpoint_callback):
        pass


class _FolderLogger(Logger):
    """A logger writing under ``save_dir/name/version_N`` (N the next free number, found on
    first use): what CSVLogger and TensorBoardLogger share."""

    @property
    def name(self):
        return self._name

    @property
    def root_dir(self):
        return os.path.join(self.save_dir, self.name)

    @property
    def save_dir(self):
        return self._save_dir

    @property
    def version(self):
        if self._version is None:
            self._version = _next_version(self.root_dir)
        return self._version
