"""A custom layer: NoisyLinear: python -m examples.noisy_linear

NoisyLinear is a linear layer that adds Gaussian noise to its input while training (a
regulariser). It is the first hidden layer of a small MLP trained on the XOR data of
examples.xor; the loss and accuracy curves and the decision regions on the validation set are
saved to a PNG.
"""
import argparse

import numpy as np

import ember as torch
from ember import nn
from ember.train.plots import plot_decision_regions, pyplot
from ember.utils.data import DataLoader, TensorDataset

from .xor import make_xor_data


class NoisyLinear(nn.Module):
    def __init__(self, input_size, output_size, noise_stddev=0.1):
        super().__init__()
        w = torch.Tensor(input_size, output_size)
        self.w = nn.Parameter(w)
        nn.init.xavier_uniform_(self.w)  # torch.Tensor(...) is uninitialised memory
        b = torch.Tensor(output_size).fill_(0)
        self.b = nn.Parameter(b)
        self.noise_stddev = noise_stddev

    def forward(self, x, training=False):
        # `training` says whether the layer is used for training (add noise) or inference
        if training:
            noise = torch.normal(0.0, self.noise_stddev, x.shape)
            x_new = torch.add(x, noise)
        else:
            x_new = x
        return torch.add(torch.mm(x_new, self.w), self.b)


class MyNoisyModule(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = NoisyLinear(2, 4, 0.07)  # the noisy layer as the first hidden layer
        self.a1 = nn.ReLU()
        self.l2 = nn.Linear(4, 4)
        self.a2 = nn.ReLU()
        self.l3 = nn.Linear(4, 1)
        self.a3 = nn.Sigmoid()

    def forward(self, x, training=False):
        x = self.l1(x, training)
        x = self.a1(x)
        x = self.l2(x)
        x = self.a2(x)
        x = self.l3(x)
        x = self.a3(x)
        return x

    def predict(self, x):
        """Class 0 or 1 for a NumPy array of points."""
        x = torch.tensor(x, dtype=torch.float32)
        pred = self.forward(x)[:, 0]
        return (pred >= 0.5).float()


def save_figure(out, history, x_valid, y_valid, model):
    plt = pyplot()  # matplotlib.pyplot, on the Agg backend when there is no display
    loss_train, loss_valid, acc_train, acc_valid = history
    fig = plt.figure(figsize=(16, 4))
    ax = fig.add_subplot(1, 3, 1)
    ax.plot(loss_train, lw=4)
    ax.plot(loss_valid, lw=4)
    ax.legend(["Train loss", "Validation loss"], fontsize=15)
    ax.set_xlabel("Epochs", size=15)
    ax = fig.add_subplot(1, 3, 2)
    ax.plot(acc_train, lw=4)
    ax.plot(acc_valid, lw=4)
    ax.legend(["Train acc.", "Validation acc."], fontsize=15)
    ax.set_xlabel("Epochs", size=15)
    ax = fig.add_subplot(1, 3, 3)
    # what mlxtend's plot_decision_regions draws in the notes; it calls model.predict
    plot_decision_regions(x_valid.numpy(), y_valid.numpy().astype(np.int64), model, ax=ax)
    ax.set_xlabel(r"$x_1$", size=15)
    ax.xaxis.set_label_coords(1, -0.025)
    ax.set_ylabel(r"$x_2$", size=15)
    ax.yaxis.set_label_coords(-0.025, 1)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main(epochs=200, batch_size=2, lr=0.015, seed=1, out="noisy_linear.png"):
    """Train MyNoisyModule; save the figure to `out` (None: no figure).

    Returns a dict with the final train/valid loss and accuracy and the per-epoch history.
    """
    torch.manual_seed(seed)
    x_train, y_train, x_valid, y_valid = make_xor_data()
    n_train = len(x_train)
    train_ds = TensorDataset(x_train, y_train)
    train_dl = DataLoader(train_ds, batch_size, shuffle=True)

    torch.manual_seed(seed)
    model = MyNoisyModule()
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)

    loss_hist_train = [0.0] * epochs
    accuracy_hist_train = [0.0] * epochs
    loss_hist_valid = [0.0] * epochs
    accuracy_hist_valid = [0.0] * epochs
    for epoch in range(epochs):
        for x_batch, y_batch in train_dl:
            pred = model(x_batch, True)[:, 0]  # noise on while training
            loss = loss_fn(pred, y_batch)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            loss_hist_train[epoch] += loss.item()
            is_correct = ((pred >= 0.5).float() == y_batch).float()
            accuracy_hist_train[epoch] += is_correct.mean().item()
        loss_hist_train[epoch] /= n_train / batch_size
        accuracy_hist_train[epoch] /= n_train / batch_size

        with torch.no_grad():
            pred = model(x_valid)[:, 0]  # no noise for validation
            loss = loss_fn(pred, y_valid)
        loss_hist_valid[epoch] = loss.item()
        is_correct = ((pred >= 0.5).float() == y_valid).float()
        accuracy_hist_valid[epoch] = is_correct.mean().item()
        if epoch % 20 == 19:
            print(f"epoch {epoch + 1:3d}  train loss {loss_hist_train[epoch]:.4f}  "
                  f"valid loss {loss_hist_valid[epoch]:.4f}  valid acc {accuracy_hist_valid[epoch]:.3f}")

    history = (loss_hist_train, loss_hist_valid, accuracy_hist_train, accuracy_hist_valid)
    if out is not None:
        save_figure(out, history, x_valid, y_valid, model)
        print(f"saved {out}")
    return {"train_loss": loss_hist_train[-1], "valid_loss": loss_hist_valid[-1],
            "train_acc": accuracy_hist_train[-1], "valid_acc": accuracy_hist_valid[-1],
            "history": history}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--out", default="noisy_linear.png", help="PNG file for the figure")
    args = parser.parse_args()
    main(epochs=args.epochs, out=args.out)
