"""The Learner's callbacks: core (TrainEvalCallback, Recorder), progress, schedule (ParamScheduler,
one-cycle, LRFinder), tracker (early stopping, checkpoints, plateau, NaN), logging (CSV,
TensorBoard) and hooks (activation statistics, gradient clipping and accumulation)."""
from .core import *  # noqa: F403
from .core import __all__ as _core
from .distributed import *  # noqa: F403
from .distributed import __all__ as _distributed
from .hooks import *  # noqa: F403
from .hooks import __all__ as _hooks
from .logging import *  # noqa: F403
from .logging import __all__ as _logging
from .progress import *  # noqa: F403
from .progress import __all__ as _progress
from .schedule import *  # noqa: F403
from .schedule import __all__ as _schedule
from .tracker import *  # noqa: F403
from .tracker import __all__ as _tracker

__all__ = _core + _distributed + _hooks + _logging + _progress + _schedule + _tracker
