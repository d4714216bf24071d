"""Lightning's Callback: typed hooks ``on_<event>(trainer, pl_module, ...)``. The Trainer calls them
from the one training engine's events (see trainer/_engine.py for the mapping)."""

HOOKS = (
    "setup",
    "teardown",
    "on_fit_start",
    "on_fit_end",
    "on_sanity_check_start",
    "on_sanity_check_end",
    "on_train_batch_start",
    "on_train_batch_end",
    "on_train_epoch_start",
    "on_train_epoch_end",
    "on_validation_epoch_start",
    "on_validation_epoch_end",
    "on_test_epoch_start",
    "on_test_epoch_end",
    "on_predict_epoch_start",
    "on_predict_epoch_end",
    "on_validation_batch_start",
    "on_validation_batch_end",
    "on_test_batch_start",
    "on_test_batch_end",
    "on_predict_batch_start",
    "on_predict_batch_end",
    "on_train_start",
    "on_train_end",
    "on_validation_start",
    "on_validation_end",
    "on_test_start",
    "on_test_end",
    "on_predict_start",
    "on_predict_end",
    "on_exception",
    "on_save_checkpoint",
    "on_load_checkpoint",
    "on_before_backward",
    "on_after_backward",
    "on_before_optimizer_step",
    "on_before_zero_grad",
)


class Callback:
    """Base class of Lightning callbacks: override the hooks you need; ``state_dict`` /
    ``load_state_dict`` make a callback's state part of checkpoints (under ``state_key``)."""

    @property
    def state_key(self):
        return type(self).__qualname__

    @property
    def _legacy_state_key(self):
        return type(self)

    def _generate_state_key(self, **kwargs):
        return f"{self.__class__.__qualname__}{repr(kwargs)}"

    def state_dict(self):
        return {}

    def load_state_dict(self, state_dict):
        pass


def _noop(self, *args, **kwargs):
    return None


for _h in HOOKS:
    if _h not in ("state_dict", "load_state_dict"):
        setattr(Callback, _h, _noop)
del _h
