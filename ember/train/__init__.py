"""ember.train: the training engine (one event-driven loop), fastai's Learner over it, its
callbacks and plots.

    learn = Learner(DataLoaders(train_dl, valid_dl), model, nn.CrossEntropyLoss(), metrics=accuracy)
    learn.lr_find()
    learn.fit_one_cycle(5, 1e-2)
"""
from . import callbacks, engine, plots
from .callbacks import *  # noqa: F403
from .callbacks import __all__ as _callbacks
from .engine import (
    EVENTS,
    Callback,
    CancelBackwardException,
    CancelBatchException,
    CancelEpochException,
    CancelFitException,
    CancelStepException,
    CancelTrainException,
    CancelValidException,
    Engine,
    event,
)
from .learner import DataLoaders, GatherPreds, Learner, defaults, trainable_params
from .plots import plot_decision_regions

__all__ = ["Callback", "Engine", "EVENTS", "event", "CancelFitException", "CancelEpochException",
           "CancelTrainException", "CancelValidException", "CancelBatchException", "CancelStepException",
           "CancelBackwardException", "Learner", "DataLoaders", "GatherPreds", "defaults",
           "trainable_params", "plot_decision_regions", "callbacks", "engine", "plots"] + list(_callbacks)
