"""The XOR classification problem: python -m examples.xor

Two features drawn uniformly from [-1, 1); the label is 1 where both have the same sign. A model
without a hidden layer can only draw a linear boundary and stays near the majority-class rate;
the same training with two hidden layers, written with nn.Sequential or as a Module over an
nn.ModuleList, solves it.
"""
import argparse

import numpy as np

import ember as torch
from ember import nn
from ember.train.plots import pyplot
from ember.utils.data import DataLoader, TensorDataset


def make_xor_data(n=200, n_train=100, seed=1):
    """200 points in [-1, 1)^2, label 1 where x0 * x1 >= 0; first half train, second valid."""
    np.random.seed(seed)
    x = np.random.uniform(low=-1, high=1, size=(n, 2))
    y = np.ones(len(x))
    y[x[:, 0] * x[:, 1] < 0] = 0
    x_train = torch.tensor(x[:n_train, :], dtype=torch.float32)
    y_train = torch.tensor(y[:n_train], dtype=torch.float32)
    x_valid = torch.tensor(x[n_train:, :], dtype=torch.float32)
    y_valid = torch.tensor(y[n_train:], dtype=torch.float32)
    return x_train, y_train, x_valid, y_valid


class MyModule(nn.Module):
    """The hidden-layer model as a Module that applies an nn.ModuleList in order."""

    def __init__(self):
        super().__init__()
        l1 = nn.Linear(2, 4)
        a1 = nn.ReLU()
        l2 = nn.Linear(4, 4)
        a2 = nn.ReLU()
        l3 = nn.Linear(4, 1)
        a3 = nn.Sigmoid()
        # a ModuleList registers its layers, so model.parameters() sees them
        self.module_list = nn.ModuleList([l1, a1, l2, a2, l3, a3])

    def forward(self, x):
        for f in self.module_list:
            x = f(x)
        return x

    def predict(self, x):
        """Class 0 or 1 for a NumPy array of points (used by decision-region plots)."""
        x = torch.tensor(x, dtype=torch.float32)
        pred = self.forward(x)[:, 0]
        return (pred >= 0.5).float()


def train(model, num_epochs, train_dl, x_valid, y_valid, loss_fn, optimizer):
    """Train; return per-epoch (train loss, valid loss, train accuracy, valid accuracy) lists."""
    loss_hist_train = [0.0] * num_epochs
    accuracy_hist_train = [0.0] * num_epochs
    loss_hist_valid = [0.0] * num_epochs
    accuracy_hist_valid = [0.0] * num_epochs
    n_batches = len(train_dl)
    for epoch in range(num_epochs):
        model.train()
        for x_batch, y_batch in train_dl:
            pred = model(x_batch)[:, 0]
            loss = loss_fn(pred, y_batch)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            loss_hist_train[epoch] += loss.item()
            is_correct = ((pred >= 0.5).float() == y_batch).float()
            accuracy_hist_train[epoch] += is_correct.mean().item()
        loss_hist_train[epoch] /= n_batches
        accuracy_hist_train[epoch] /= n_batches

        model.eval()
        with torch.no_grad():
            pred = model(x_valid)[:, 0]
            loss = loss_fn(pred, y_valid)
        loss_hist_valid[epoch] = loss.item()
        is_correct = ((pred >= 0.5).float() == y_valid).float()
        accuracy_hist_valid[epoch] = is_correct.mean().item()
    return loss_hist_train, loss_hist_valid, accuracy_hist_train, accuracy_hist_valid


def plot_history(history, title, ax_loss, ax_acc):
    ax_loss.plot(history[0], lw=2)
    ax_loss.plot(history[1], lw=2)
    ax_loss.legend(["Train loss", "Validation loss"])
    ax_loss.set_xlabel("Epochs")
    ax_loss.set_title(title)
    ax_acc.plot(history[2], lw=2)
    ax_acc.plot(history[3], lw=2)
    ax_acc.legend(["Train acc.", "Validation acc."])
    ax_acc.set_xlabel("Epochs")


MODELS = {
    # no hidden layer: a linear decision boundary, which cannot separate XOR
    "no hidden layer": lambda: nn.Sequential(nn.Linear(2, 1), nn.Sigmoid()),
    "Sequential": lambda: nn.Sequential(
        nn.Linear(2, 4), nn.ReLU(),
        nn.Linear(4, 4), nn.ReLU(),
        nn.Linear(4, 1), nn.Sigmoid(),
    ),
    "ModuleList": MyModule,
}


def main(epochs=200, batch_size=2, lr=0.015, seed=0, models=tuple(MODELS), out=None):
    """Train the named models of MODELS; return {name: history} where history is the tuple
    of per-epoch lists (train loss, valid loss, train accuracy, valid accuracy).

    With `out`, save the loss and accuracy curves of each model to that PNG file.

    The notes seed everything with 1. A net of 4 hidden units depends on its initial weights:
    seeds 0, 1, 2 end at 0.95, 0.80 and 0.61 validation accuracy, in PyTorch and in ember alike
    (ember draws PyTorch's random numbers), so this uses seed 0, which solves XOR (0.9 after 50
    epochs). The Sequential and the ModuleList model build the same layers in the same order,
    so with one seed they train identically.
    """
    x_train, y_train, x_valid, y_valid = make_xor_data()
    train_ds = TensorDataset(x_train, y_train)
    torch.manual_seed(1)
    train_dl = DataLoader(train_ds, batch_size, shuffle=True)

    histories = {}
    for name in models:
        torch.manual_seed(seed)
        model = MODELS[name]()
        loss_fn = nn.BCELoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        history = train(model, epochs, train_dl, x_valid, y_valid, loss_fn, optimizer)
        histories[name] = history
        print(f"{name:16s} train loss {history[0][-1]:.4f}  valid loss {history[1][-1]:.4f}  "
              f"valid acc {history[3][-1]:.3f}")

    if out is not None:
        plt = pyplot()  # matplotlib.pyplot, on the Agg backend when there is no display
        fig, axes = plt.subplots(len(histories), 2, figsize=(12, 3.5 * len(histories)), squeeze=False)
        for (name, history), (ax_loss, ax_acc) in zip(histories.items(), axes):
            plot_history(history, name, ax_loss, ax_acc)
        fig.tight_layout()
        fig.savefig(out, dpi=100)
        plt.close(fig)
        print(f"saved {out}")
    return histories


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--out", default="xor_curves.png", help="PNG file for the curves")
    args = parser.parse_args()
    main(epochs=args.epochs, out=args.out)
