"""Image classification with a ResNet9 and a run_model train/valid/test loop: python -m examples.resnet9

run_model does one pass over a loader in one of three modes: training (parameters updated),
validation (loss and accuracy, no update) and test (predictions only: the loader has no
labels, as in a competition). The images are synthetic 32x32 RGB pictures of 10 classes made
here (see make_images): colour and stripe direction make the class, with random stripe
frequency, phase, brightness and pixel noise on every image.
"""
import argparse
import time

import numpy as np
from tqdm import tqdm

import ember as torch
from ember import nn
from ember.utils.data import DataLoader, Dataset, TensorDataset

NUM_CLASSES = 10


def make_images(n, size=32, seed=0, noise=0.5):
    """n images (float32, N x 3 x size x size, roughly zero-mean) and their int64 labels.

    Class k has colour k % 5 (five hues around the colour wheel) and stripes that run
    horizontally (k < 5) or vertically (k >= 5): colour alone only narrows a class down to two.
    Each image gets its own stripe frequency, phase, tilt, brightness and pixel noise.
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, NUM_CLASSES, n)
    hue = np.arange(5) / 5 * 2 * np.pi
    colours = 0.6 * np.stack([np.cos(hue), np.cos(hue - 2.1), np.cos(hue + 2.1)], 1)
    yy, xx = np.mgrid[0:size, 0:size] / size
    theta = (labels // 5 * np.pi / 2 + rng.uniform(-0.25, 0.25, n))[:, None, None]
    freq = rng.uniform(3, 5, (n, 1, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1, 1))
    stripes = np.sin(2 * np.pi * freq * (xx * np.cos(theta) + yy * np.sin(theta)) + phase)
    brightness = rng.uniform(0.7, 1.3, (n, 1, 1, 1))
    images = brightness * colours[labels % 5][:, :, None, None] * (1 + 0.6 * stripes[:, None])
    images += noise * rng.standard_normal(images.shape)
    return images.astype(np.float32), labels.astype(np.int64)


class UnlabeledDataset(Dataset):
    """Test images without their labels: items are images, not (image, label) pairs."""

    def __init__(self, images):
        self.images = images

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.images[i]


def conv_block(in_channels, out_channels, pool=False):
    layers = [nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1),
              nn.BatchNorm2d(out_channels),
              nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class ResNet9(nn.Module):
    """The usual ResNet9 (4 conv stages, 2 residual blocks); `width` is 64 in the original."""

    def __init__(self, in_channels, num_classes, width=64):
        super().__init__()
        w = width
        self.conv1 = conv_block(in_channels, w)
        self.conv2 = conv_block(w, 2 * w, pool=True)
        self.res1 = nn.Sequential(conv_block(2 * w, 2 * w), conv_block(2 * w, 2 * w))
        self.conv3 = conv_block(2 * w, 4 * w, pool=True)
        self.conv4 = conv_block(4 * w, 8 * w, pool=True)
        self.res2 = nn.Sequential(conv_block(8 * w, 8 * w), conv_block(8 * w, 8 * w))
        self.classifier = nn.Sequential(nn.AdaptiveMaxPool2d(1),  # 4x4 -> 1x1 on 32x32 inputs
                                        nn.Flatten(),
                                        nn.Dropout(0.2),
                                        nn.Linear(8 * w, num_classes))

    def forward(self, xb):
        out = self.conv1(xb)
        out = self.conv2(out)
        out = self.res1(out) + out  # skip connection
        out = self.conv3(out)
        out = self.conv4(out)
        out = self.res2(out) + out
        return self.classifier(out)


def run_model(model, loader, loss_fn=None, optimizer=None, is_training=False, is_test=False,
              device="cpu", progress=True):
    """One pass over `loader`.

    Training / validation: returns (mean batch loss, accuracy). Test (`is_test`, the loader
    yields images only): returns the list of predicted classes.
    """
    preds = []
    # train(): dropout on, batch norm uses and updates batch statistics;
    # eval(): dropout off, batch norm uses its running statistics
    if is_training:
        model.train()
    else:
        model.eval()

    if is_test:
        with torch.no_grad():
            for data in tqdm(loader, disable=not progress):
                data = data.to(device)
                outputs = model(data)
                preds.extend(torch.argmax(outputs, dim=1).detach().cpu().tolist())
        return preds

    running_loss = 0.0
    targets = []
    # validation needs no graph: grad mode follows is_training
    with torch.set_grad_enabled(is_training):
        for data, target in tqdm(loader, disable=not progress):
            data = data.to(device)
            target = target.to(device)
            if is_training:
                optimizer.zero_grad()  # gradients accumulate otherwise
            outputs = model(data)
            total_loss = loss_fn(outputs, target)
            preds.extend(torch.argmax(outputs, dim=1).detach().cpu().tolist())
            targets.extend(target.cpu().tolist())
            if is_training:
                total_loss.backward()
                optimizer.step()
            running_loss += total_loss.item()
    # (the notes score only the last batch; this is the accuracy over the whole pass)
    acc_score = float(np.mean(np.array(preds) == np.array(targets)))
    return running_loss / len(loader), acc_score


def main(epochs=4, n_train=2000, n_valid=500, n_test=500, width=16, batch_size=64, lr=3e-3,
         seed=0, progress=True):
    """Train a ResNet9 on the synthetic images; return the final metrics as a dict
    (train_loss, train_acc, valid_loss, valid_acc, test_acc)."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(seed)
    x_train, y_train = make_images(n_train, seed=seed)
    x_valid, y_valid = make_images(n_valid, seed=seed + 1)
    x_test, y_test = make_images(n_test, seed=seed + 2)
    train_loader = DataLoader(TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train)),
                              batch_size=batch_size, shuffle=True)
    valid_loader = DataLoader(TensorDataset(torch.from_numpy(x_valid), torch.from_numpy(y_valid)),
                              batch_size=batch_size)
    test_loader = DataLoader(UnlabeledDataset(torch.from_numpy(x_test)), batch_size=batch_size)

    model = ResNet9(3, NUM_CLASSES, width=width).to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    # the learning rate decays along a half cosine, one step per epoch: calmer last epochs
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    start = time.perf_counter()
    for epoch in range(epochs):
        train_loss, train_acc = run_model(model, train_loader, loss_fn, optimizer, is_training=True,
                                          device=device, progress=progress)
        valid_loss, valid_acc = run_model(model, valid_loader, loss_fn, device=device,
                                          progress=progress)
        scheduler.step()
        print(f"epoch {epoch + 1}/{epochs}  train loss {train_loss:.4f} acc {train_acc:.3f}  "
              f"valid loss {valid_loss:.4f} acc {valid_acc:.3f}")
    preds = run_model(model, test_loader, is_test=True, device=device, progress=progress)
    test_acc = float(np.mean(np.array(preds) == y_test))
    print(f"test accuracy {test_acc:.3f}  ({time.perf_counter() - start:.1f} s)")
    return {"train_loss": train_loss, "train_acc": train_acc, "valid_loss": valid_loss,
            "valid_acc": valid_acc, "test_acc": test_acc}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--width", type=int, default=16, help="channels of the first stage (64 in the original)")
    parser.add_argument("--n-train", type=int, default=2000)
    args = parser.parse_args()
    main(epochs=args.epochs, width=args.width, n_train=args.n_train)
