"""TrainerFn / TrainerStatus: str enums (``TrainerFn.FITTING == "fit"``), as Lightning passes
them to ``setup(stage)`` / ``teardown(stage)`` and keeps them in ``trainer.state``."""

from enum import Enum


class _StrEnum(str, Enum):
    def __eq__(self, other):
        other = other.value if isinstance(other, Enum) else other
        return self.value.lower() == str(other).lower()

    def __hash__(self):
        return hash(self.value.lower())


class TrainerFn(_StrEnum):
    FITTING = "fit"
    VALIDATING = "validate"
    TESTING = "test"
    PREDICTING = "predict"


class TrainerStatus(_StrEnum):
    INITIALIZING = "initializing"
    RUNNING = "running"
    FINISHED = "finished"
    INTERRUPTED = "interrupted"


STAGE = {
    "fit": TrainerFn.FITTING,
    "validate": TrainerFn.VALIDATING,
    "test": TrainerFn.TESTING,
    "predict": TrainerFn.PREDICTING,
}
