"""Lightning's checkpoint dictionary, written and read with ``ember.save`` / ``ember.load``."""

import os

LIGHTNING_API_VERSION = "2.6.6"  # the pytorch_lightning API this package mirrors


def dump_checkpoint(trainer, weights_only=False):
    m = trainer.lightning_module
    epoch_done = trainer._epoch_train_done
    ckpt = {
        "epoch": trainer.current_epoch,
        "global_step": trainer.global_step,
        "pytorch-lightning_version": LIGHTNING_API_VERSION,
        "state_dict": m.state_dict(),
        "loops": {
            "fit_loop": {
                "epoch_progress": {
                    "current": {"completed": trainer.current_epoch + (1 if epoch_done else 0)}
                },
                "epoch_loop.state_dict": {"_batches_that_stepped": trainer._batches_that_stepped},
                "epoch_loop.batch_progress": {"is_last_batch": bool(epoch_done)},
            },
            "validate_loop": {},
            "test_loop": {},
            "predict_loop": {},
        },
    }
    if not weights_only:
        ckpt["callbacks"] = {cb.state_key: cb.state_dict() for cb in trainer.callbacks if cb.state_dict()}
        ckpt["optimizer_states"] = [o.state_dict() for o in trainer.optimizers]
        ckpt["lr_schedulers"] = [c.scheduler.state_dict() for c in trainer.lr_scheduler_configs]
        if trainer._scaler is not None:
            ckpt["MixedPrecision"] = trainer._scaler.state_dict()
    hp = m.__dict__.get("_hparams")
    if hp:
        ckpt["hparams_name"] = m.__dict__.get("_hparams_name") or "kwargs"
        ckpt["hyper_parameters"] = dict(hp)
    dm = trainer.datamodule
    if dm is not None and dm.__dict__.get("_hparams"):
        ckpt["datamodule_hparams_name"] = "kwargs"
        ckpt["datamodule_hyper_parameters"] = dict(dm.__dict__["_hparams"])
    if not weights_only:
        for cb in trainer.callbacks:
            cb.on_save_checkpoint(trainer, m, ckpt)
    m.on_save_checkpoint(ckpt)
    if dm is not None and hasattr(dm, "state_dict"):
        state = dm.state_dict()
        if state:
            ckpt[type(dm).__qualname__] = state
    return ckpt


def save(ckpt, filepath):
    from ...serialization import save as ember_save

    d = os.path.dirname(os.fspath(filepath))
    if d:
        os.makedirs(d, exist_ok=True)
    ember_save(ckpt, os.fspath(filepath))


def load(path, device):
    from ...serialization import load as ember_load

    return ember_load(os.fspath(path), map_location=device)


def restore(trainer, ckpt):
    """Put model, optimizers, schedulers, counters and callback states back."""
    m = trainer.lightning_module
    m.on_load_checkpoint(ckpt)
    m.load_state_dict(ckpt["state_dict"])
    for cb in trainer.callbacks:
        cb.on_load_checkpoint(trainer, m, ckpt)
        state = ckpt.get("callbacks", {}).get(cb.state_key)
        if state is not None:
            cb.load_state_dict(state)
    if "optimizer_states" not in ckpt:
        raise KeyError(
            "Trying to restore optimizer state but checkpoint contains only the model. This is probably "
            "due to `ModelCheckpoint.save_weights_only` being set to `True`."
        )
    for opt, state in zip(trainer.optimizers, ckpt["optimizer_states"]):
        opt.load_state_dict(state)
    for cfg, state in zip(trainer.lr_scheduler_configs, ckpt.get("lr_schedulers", [])):
        cfg.scheduler.load_state_dict(state)
    if trainer._scaler is not None and "MixedPrecision" in ckpt:
        trainer._scaler.load_state_dict(ckpt["MixedPrecision"])
    fit = ckpt.get("loops", {}).get("fit_loop", {})
    completed = fit.get("epoch_progress", {}).get("current", {}).get("completed", ckpt["epoch"])
    trainer._epochs_completed = completed
    trainer.global_step = ckpt["global_step"]
    trainer._batches_that_stepped = fit.get("epoch_loop.state_dict", {}).get(
        "_batches_that_stepped", ckpt["global_step"]
    )
