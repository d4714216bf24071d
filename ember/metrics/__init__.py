"""Metrics: fastai-style functions and accumulating metrics for a Learner, and torchmetrics-style
stateful metrics.

* ``ember.metrics.functional``: ``accuracy``, ``error_rate``, ``top_k_accuracy``, ``mse``, ``mae``,
  ``rmse``, ``r2_score`` …, and fastai's accumulating ``F1Score``, ``Precision``, ``Recall``,
  ``RocAuc``, ``R2Score`` (arguments as scikit-learn's). Its docstring describes the protocol a
  Learner uses to call metrics: per-batch functions ``f(pred, targ)`` averaged over batches, and
  objects with ``reset()``, ``accumulate(pred, targ)``, ``value`` and ``name``.
* ``ember.metrics`` itself: torchmetrics' classes ``Metric``, ``Accuracy(task=..., num_classes=...)``,
  ``Precision``, ``Recall``, ``F1Score``, ``FBetaScore``, ``ConfusionMatrix``, ``AUROC``,
  ``MeanSquaredError``, ``MeanAbsoluteError``, ``R2Score`` with ``update``, ``compute``, ``reset``,
  ``forward``; they follow the Learner protocol as well. The fastai-only names (``AccumMetric``,
  ``F1``, ``RocAuc``, ``RocAucBinary``, ``R2``) and the functions are re-exported here too.
"""
from . import functional
from .classes import (
    AUROC,
    Accuracy,
    ConfusionMatrix,
    F1Score,
    FBetaScore,
    MeanAbsoluteError,
    MeanSquaredError,
    Metric,
    Precision,
    R2Score,
    Recall,
)
from .functional import (
    R2,
    AccumMetric,
    RocAuc,
    RocAucBinary,
    accuracy,
    accuracy_multi,
    error_rate,
    mae,
    mse,
    msle,
    r2_score,
    rmse,
    top_k_accuracy,
)
from .functional import F1Score as F1

__all__ = ["functional", "Metric", "Accuracy", "Precision", "Recall", "F1Score", "FBetaScore",
           "ConfusionMatrix", "AUROC", "MeanSquaredError", "MeanAbsoluteError", "R2Score", "AccumMetric",
           "F1", "RocAuc", "RocAucBinary", "R2", "accuracy", "accuracy_multi", "error_rate", "top_k_accuracy",
           "mse", "mae", "msle", "rmse", "r2_score"]
