"""LambdaCallback: a callback from functions, one keyword per hook."""

from .callback import HOOKS, Callback


class LambdaCallback(Callback):
    """``LambdaCallback(on_train_epoch_end=lambda trainer, pl_module: ...)``."""

    def __init__(self, **hooks):
        for name, fn in hooks.items():
            if name not in HOOKS:
                raise TypeError(f"LambdaCallback.__init__() got an unexpected keyword argument '{name}'")
            if fn is not None:
                setattr(self, name, fn)
