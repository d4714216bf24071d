"""One LightningModule program, written once and run on either stack: real PyTorch Lightning on
torch, or ember.lightning on ember (tests compare what a user of each sees)."""

import importlib

import numpy as np

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
    "on_before_backward",
    "on_after_backward",
    "on_before_optimizer_step",
    "on_before_zero_grad",
    "on_save_checkpoint",
    "on_load_checkpoint",
)
MODULE_EXTRA = (
    "on_validation_model_eval",
    "on_validation_model_train",
    "on_validation_model_zero_grad",
    "on_before_batch_transfer",
    "on_after_batch_transfer",
    "optimizer_zero_grad",
    "backward",
    "configure_gradient_clipping",
    "on_test_model_eval",
    "on_predict_model_eval",
)


class Stack:
    """The names a program imports: ``torch``, ``pl``, ``DataLoader``, ``TensorDataset``, metrics."""

    def __init__(self, name):
        self.name = name
        if name == "torch":
            self.torch = importlib.import_module("torch")
            self.pl = importlib.import_module("pytorch_lightning")
            self.callbacks = importlib.import_module("pytorch_lightning.callbacks")
            self.loggers = importlib.import_module("pytorch_lightning.loggers")
            self.metrics = importlib.import_module("torchmetrics")
        else:
            self.torch = importlib.import_module("ember")
            self.pl = importlib.import_module("ember.lightning")
            self.callbacks = importlib.import_module("ember.lightning.callbacks")
            self.loggers = importlib.import_module("ember.lightning.loggers")
            self.metrics = importlib.import_module("ember.metrics")
        data = importlib.import_module(f"{self.torch.__name__}.utils.data")
        self.DataLoader, self.TensorDataset = data.DataLoader, data.TensorDataset

    def loader(self, n=24, bs=8, seed=0, n_feat=4, n_cls=3):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((n, n_feat)).astype(np.float32)
        y = rng.integers(0, n_cls, n).astype(np.int64)
        t = self.torch
        return self.DataLoader(self.TensorDataset(t.tensor(x), t.tensor(y)), batch_size=bs, shuffle=False)

    def module_class(self, log=None, **opts):
        return make_module(self, log, **opts)

    def trainer(self, tmp_path, **kw):
        kw.setdefault("logger", False)
        kw.setdefault("enable_checkpointing", False)
        kw.setdefault("enable_progress_bar", False)
        kw.setdefault("enable_model_summary", False)
        kw.setdefault("default_root_dir", str(tmp_path))
        kw.setdefault("accelerator", "cpu")
        return self.pl.Trainer(**kw)


def _init_weights(lin, seed):
    rng = np.random.default_rng(seed)
    w = rng.uniform(-0.5, 0.5, tuple(lin.weight.shape)).astype(np.float32)
    b = rng.uniform(-0.5, 0.5, tuple(lin.bias.shape)).astype(np.float32)
    lin.weight.data.copy_(_tensor_like(lin.weight, w))
    lin.bias.data.copy_(_tensor_like(lin.bias, b))


def _tensor_like(p, arr):
    mod = importlib.import_module(type(p).__module__.split(".")[0])
    return mod.tensor(arr)


def make_module(
    stack, log=None, lr=0.1, opt="sgd", sched=None, manual=False, metric=False, log_both=False, hparams=False
):
    torch, pl = stack.torch, stack.pl
    F = torch.nn.functional
    metrics = stack.metrics

    class Net(pl.LightningModule):
        def __init__(self, hidden=5, lr=lr):
            super().__init__()
            if hparams:
                self.save_hyperparameters()
            self.l1, self.l2 = torch.nn.Linear(4, hidden), torch.nn.Linear(hidden, 3)
            _init_weights(self.l1, 1)
            _init_weights(self.l2, 2)
            self.lr = lr
            if manual:
                self.automatic_optimization = False
            if metric:
                self.val_acc = metrics.Accuracy(task="multiclass", num_classes=3)
                self.train_acc = metrics.Accuracy(task="multiclass", num_classes=3)

        def forward(self, x):
            return self.l2(torch.relu(self.l1(x)))

        def training_step(self, batch, batch_idx):
            if log is not None:
                log.append(f"training_step {batch_idx}")
            x, y = batch
            logits = self(x)
            loss = F.cross_entropy(logits, y)
            if log_both:
                self.log("both", loss, on_step=True, on_epoch=True, prog_bar=True)
            self.log("train_loss", loss, prog_bar=True)
            if metric:
                self.train_acc(logits.argmax(1), y)
                self.log("train_acc_step", self.train_acc)
            if manual:
                o = self.optimizers()
                o.zero_grad()
                self.manual_backward(loss)
                o.step()
                return None
            return loss

        def validation_step(self, batch, batch_idx, dataloader_idx=0):
            if log is not None:
                log.append(f"validation_step {batch_idx}")
            x, y = batch
            logits = self(x)
            loss = F.cross_entropy(logits, y)
            self.log("val_loss", loss, prog_bar=True)
            if metric:
                self.val_acc.update(logits.argmax(1), y)
            return loss

        def on_validation_epoch_end(self):
            if log is not None:
                log.append("m.on_validation_epoch_end")
            if metric:
                self.log("val_acc", self.val_acc.compute(), prog_bar=True)
                self.val_acc.reset()

        def test_step(self, batch, batch_idx, dataloader_idx=0):
            x, y = batch
            logits = self(x)
            self.log("test_loss", F.cross_entropy(logits, y))
            self.log("test_acc", (logits.argmax(1) == y).float().mean())

        def predict_step(self, batch, batch_idx, dataloader_idx=0):
            return self(batch[0]).argmax(1)

        def configure_optimizers(self):
            o = (
                torch.optim.SGD(self.parameters(), lr=self.lr, momentum=0.9)
                if opt == "sgd"
                else torch.optim.Adam(self.parameters(), lr=self.lr)
            )
            if sched == "step":
                return {
                    "optimizer": o,
                    "lr_scheduler": {
                        "scheduler": torch.optim.lr_scheduler.StepLR(o, 2, 0.5),
                        "interval": "step",
                    },
                }
            if sched == "epoch":
                return [o], [torch.optim.lr_scheduler.StepLR(o, 1, 0.5)]
            if sched == "plateau":
                return {
                    "optimizer": o,
                    "lr_scheduler": torch.optim.lr_scheduler.ReduceLROnPlateau(o, patience=0),
                    "monitor": "val_loss",
                }
            return o

    if log is not None:
        for name in HOOKS + MODULE_EXTRA:
            if name in ("on_validation_epoch_end",):
                continue
            base = getattr(pl.LightningModule, name, None)
            if base is None:
                continue

            def wrap(name, base):
                def f(self, *a, **k):
                    log.append(f"m.{name}")
                    return base(self, *a, **k)

                return f

            setattr(Net, name, wrap(name, base))
    return Net


def recorder(stack, log):
    """A callback recording every hook it receives."""
    cls = type("Recorder", (stack.pl.Callback,), {})
    for name in HOOKS:

        def wrap(name):
            def f(self, *a, **k):
                log.append(f"cb.{name}")

            return f

        setattr(cls, name, wrap(name))
    return cls()


def weights(module):
    return {k: np.array(v.detach().cpu().numpy()) for k, v in module.state_dict().items()}
