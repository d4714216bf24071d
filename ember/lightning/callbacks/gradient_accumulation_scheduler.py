"""GradientAccumulationScheduler: change ``accumulate_grad_batches`` by epoch."""

from ..utilities.exceptions import MisconfigurationException
from .callback import Callback


class GradientAccumulationScheduler(Callback):
    """``scheduling={epoch: n}``: from that (0-based) epoch on, accumulate ``n`` batches."""

    def __init__(self, scheduling):
        if not scheduling:
            raise TypeError("Empty dict cannot be interpreted correct")
        if any(not isinstance(k, int) or k < 0 for k in scheduling):
            raise MisconfigurationException(
                f"Epoch should be an int greater than or equal to 0. Got {list(scheduling)}."
            )
        if any(not isinstance(v, int) or v < 1 for v in scheduling.values()):
            raise MisconfigurationException(
                f"Accumulation factor should be an int greater than 0. Got {list(scheduling.values())}."
            )
        minimal_epoch = min(scheduling)
        if minimal_epoch != 0:
            scheduling = {0: 1, **scheduling}
        self.scheduling = dict(sorted(scheduling.items()))
        self.epochs = sorted(self.scheduling)

    def going_to_accumulate_grad_batches(self):
        return any(v > 1 for v in self.scheduling.values())

    def get_accumulate_grad_batches(self, epoch):
        acc = 1
        for e in self.epochs:
            if epoch >= e:
                acc = self.scheduling[e]
        return acc

    def on_train_start(self, trainer, pl_module):
        if not pl_module.automatic_optimization:
            raise RuntimeError(
                "Automatic gradient accumulation and the `GradientAccumulationScheduler` is not "
                "supported for manual optimization. Please remove the callback or switch to "
                "automatic optimization."
            )
        if trainer.accumulate_grad_batches != 1:
            raise ValueError(
                "You have set `accumulate_grad_batches` and are using the "
                "`GradientAccumulationScheduler` callback. Either remove `accumulate_grad_batches` "
                "from the Trainer or remove the callback."
            )

    def on_train_epoch_start(self, trainer, *_):
        trainer.accumulate_grad_batches = self.get_accumulate_grad_batches(trainer.current_epoch)
