# ruff: noqa: I001  (the imports keep the order of the notes)
"""Seed 000, section 8: an MNIST MLP trained with PyTorch Lightning, on ember.

The program of the notes, unchanged but for its imports (``pytorch_lightning`` → ``ember.lightning``,
``torch`` → ``ember``, ``torchmetrics`` → ``ember.metrics``, ``torchvision`` → ``ember.vision``).
MNIST is read from its IDX files in ``./MNIST/raw``; when the real files are absent the example
writes a synthetic MNIST there first (60,000 + 10,000 28×28 digits-like images of 10 learnable
classes), so it runs without a download. Afterwards: ``tensorboard --logdir lightning_logs/``.

    python -m examples.lightning_mnist            # 15 epochs, as the notes
    python -m examples.lightning_mnist --epochs 1 --limit 50
    python -m examples.lightning_mnist --ddp 2    # data-parallel: Trainer(strategy="ddp", devices=2),
                                                  # started again under mpiexec -n 2 (ember[distributed])
"""
import ember as torch
import ember.lightning as pl
import ember.nn as nn
from ember.metrics import Accuracy
from ember.utils.data import DataLoader
from ember.utils.data import random_split
from ember.vision.datasets import MNIST
from ember.vision import transforms
from ember.lightning.callbacks import ModelCheckpoint


class MultiLayerPerceptron(pl.LightningModule):
    def __init__(self, image_shape=(1, 28, 28), hidden_units=(31, 26)):
        super().__init__()
        self.train_acc = Accuracy(task="multiclass", num_classes=10)  # 정확도 속성 -> 훈련 중에 정확도를 추적할 수 있음
        self.valid_acc = Accuracy(task="multiclass", num_classes=10)  # torchmetrics에 속함
        self.test_acc = Accuracy(task="multiclass", num_classes=10)
        input_size = image_shape[0] * image_shape[1] * image_shape[2]
        all_layers = [nn.Flatten()]
        for hidden_unit in hidden_units:
            layer = nn.Linear(input_size, hidden_unit)
            all_layers.append(layer)
            all_layers.append(nn.ReLU())
            input_size = hidden_unit
        all_layers.append(nn.Linear(hidden_units[-1], 10))
        self.model = nn.Sequential(*all_layers)

    def forward(self, x):  # 입력 데이터로 모델을 호출할 때 마지막 완전 연결층의 출력을 반환하는 계산 수행
        x = self.model(x)
        return x

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = nn.functional.cross_entropy(self(x), y)
        preds = torch.argmax(logits, dim=1)  # 줄일 차원 1
        self.train_acc.update(preds, y)
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def on_train_epoch_end(self):
        self.log("train_acc", self.train_acc.compute())
        self.train_acc.reset()

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = nn.functional.cross_entropy(self(x), y)
        preds = torch.argmax(logits, dim=1)
        self.valid_acc.update(preds, y)
        self.log("valid_loss", loss, prog_bar=True)
        return loss

    def on_validation_epoch_end(self):
        self.log("valid_acc", self.valid_acc.compute(), prog_bar=True)
        self.valid_acc.reset()

    def test_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = nn.functional.cross_entropy(self(x), y)
        preds = torch.argmax(logits, dim=1)
        self.test_acc.update(preds, y)
        self.log("test_loss", loss, prog_bar=True)
        self.log("test_acc", self.test_acc.compute(), prog_bar=True)
        return loss

    def configure_optimizers(self):
        optimizer = torch.optim.Adam(self.parameters(), lr=0.001)
        return optimizer


class MnistDataModule(pl.LightningDataModule):
    def __init__(self, data_path='./'):
        super().__init__()
        self.data_path = data_path
        self.transform = transforms.Compose([transforms.ToTensor()])

    def prepare_data(self):
        MNIST(root=self.data_path, download=True)

    def setup(self, stage=None):
        mnist_all = MNIST(
            root=self.data_path,
            train=True,
            transform=self.transform,
            download=False
        )

        self.train, self.val = random_split(
            mnist_all, [55000, 5000], generator=torch.Generator().manual_seed(1)
        )

        self.test = MNIST(
            root=self.data_path,
            train=False,
            transform=self.transform,
            download=False
        )

    def train_dataloader(self):
        return DataLoader(self.train, batch_size=64, num_workers=4)

    def val_dataloader(self):
        return DataLoader(self.val, batch_size=64, num_workers=4)

    def test_dataloader(self):
        return DataLoader(self.test, batch_size=64, num_workers=4)


import ember.multiprocessing  # noqa: E402  (the notes import torch.multiprocessing here)


def write_synthetic_mnist(root="./", seed=0):
    """Write MNIST's four IDX files into ``root/MNIST/raw`` unless real ones are there: each class
    is a fixed random stroke pattern, each image that pattern shifted by up to 2 pixels each way,
    with noise, so an MLP learns it as it learns MNIST. Returns whether it wrote them."""
    import os

    import numpy as np

    raw = os.path.join(root, "MNIST", "raw")
    names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
             "t10k-labels-idx1-ubyte"]
    if all(os.path.exists(os.path.join(raw, n)) or os.path.exists(os.path.join(raw, n + ".gz")) for n in names):
        return False
    os.makedirs(raw, exist_ok=True)
    rng = np.random.default_rng(seed)
    templates = (rng.random((10, 28, 28)) < 0.18).astype(np.float32)
    templates[:, :4], templates[:, -4:], templates[:, :, :4], templates[:, :, -4:] = 0, 0, 0, 0

    rows, cols = np.arange(28)[:, None], np.arange(28)[None, :]

    def images(n):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        out = np.empty((n, 28, 28), np.uint8)
        for s in range(0, n, 10000):   # in chunks: the float noise of 60,000 images is large
            lab = labels[s:s + 10000]
            sy, sx = (rng.integers(-2, 3, (2, len(lab)))[..., None, None])
            x = templates[lab[:, None, None], (rows - sy) % 28, (cols - sx) % 28] * 200
            x = x + rng.normal(0, 60, x.shape).astype(np.float32)
            out[s:s + 10000] = np.clip(x, 0, 255)
        return out, labels

    def idx(path, arr):
        header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
        with open(path, "wb") as f:
            f.write(header + arr.tobytes())

    for prefix, n in (("train", 60000), ("t10k", 10000)):
        x, y = images(n)
        idx(os.path.join(raw, f"{prefix}-images-idx3-ubyte"), x)
        idx(os.path.join(raw, f"{prefix}-labels-idx1-ubyte"), y)
    return True


def main(max_epochs=15, **trainer_kwargs):
    """The notes' ``__main__`` block; ``trainer_kwargs`` (e.g. ``limit_train_batches``) shorten
    it for tests. Returns the trainer."""
    import os
    log_dir = './lightning_logs'
    if os.path.exists(log_dir) and not os.path.isdir(log_dir):
        os.remove(log_dir)  # 기존 파일 삭제
    os.makedirs(log_dir, exist_ok=True)  # 디렉토리 생성
    write_synthetic_mnist("./")
    torch.multiprocessing.freeze_support()
    torch.manual_seed(1)
    mnist_dm = MnistDataModule()
    mnistclassifier = MultiLayerPerceptron()
    callbacks = [ModelCheckpoint(save_top_k=1, mode='max', monitor="valid_acc")]
    if torch.cuda.is_available():  # if you have GPUs
        trainer = pl.Trainer(max_epochs=max_epochs, callbacks=callbacks, gpus=1, **trainer_kwargs)
    else:
        trainer = pl.Trainer(max_epochs=max_epochs, callbacks=callbacks, **trainer_kwargs)
    trainer.fit(model=mnistclassifier, datamodule=mnist_dm)
    return trainer


if __name__ == '__main__':
    import argparse
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--limit", type=int, default=None, help="batches per epoch (train and valid)")
    p.add_argument("--ddp", type=int, default=None, metavar="N", help="train on N processes (MPI)")
    a = p.parse_args()
    extra = {} if a.limit is None else dict(limit_train_batches=a.limit, limit_val_batches=a.limit)
    if a.ddp:
        extra.update(strategy="ddp", devices=a.ddp, accelerator="cpu")
    main(a.epochs, **extra)
