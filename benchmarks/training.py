"""Training workloads of the training issue, ember against PyTorch.

    python -m benchmarks.training [mnist1d_cnn_fit] [xor_tiny_batches] [--one-thread]

``mnist1d_cnn_fit``: the demo's model, data, augmentation and one-cycle schedule (no LR finder:
both use the demo's fixed peak rate). ember trains with its Learner, as the demo does; PyTorch
with a plain loop and ``OneCycleLR`` set to the same curve. Returns ``(ember_s, torch_s)`` with
the test accuracies as ``.ember_acc`` / ``.torch_acc``, and prints all four.

``xor_tiny_batches``: seed 000's XOR program (2-4-4-1 MLP, BCELoss, SGD, batch 2, 200 epochs,
validation each epoch) written once and run with each library: a measure of per-step overhead.
"""
import os
import sys
import tempfile
import time

import numpy as np

BENCH_LR = 1e-2   # the demo's usual pick; fixed so both libraries train the same schedule


class FitResult(tuple):
    """``(ember_s, torch_s)`` (what ``benchmarks.run`` unpacks) carrying the test accuracies."""

    def __new__(cls, ember_s, torch_s, ember_acc, torch_acc):
        self = super().__new__(cls, (ember_s, torch_s))
        self.ember_acc, self.torch_acc = ember_acc, torch_acc
        return self


def _mnist1d(quick=False):
    from ember.demo import load_mnist1d
    root = os.path.join(tempfile.gettempdir(), "ember-bench-data")
    return load_mnist1d(root, quick=quick)


def _split(train, n_valid, seed):
    (x, y) = train
    perm = np.random.default_rng(seed).permutation(len(x))
    return (x[perm[n_valid:]], y[perm[n_valid:]]), (x[perm[:n_valid]], y[perm[:n_valid]])


def _ember_fit(ember, train, test, epochs, lr, seed):
    from ember import demo
    from ember.metrics import accuracy
    from ember.train import Learner

    ember.manual_seed(seed)
    dls = demo.make_loaders(train, test, demo.N_VALID, demo.BATCH_SIZE, seed)
    learn = Learner(dls, demo.build_model(ember.nn), ember.nn.CrossEntropyLoss(),
                    opt_func=ember.optim.AdamW, metrics=accuracy, wd=demo.WD,
                    cbs=demo.RandomShift(demo.MAX_SHIFT, seed=seed))
    t0 = time.perf_counter()
    with learn.no_bar():
        learn.fit_one_cycle(epochs, lr, pct_start=demo.PCT_START)
    seconds = time.perf_counter() - t0
    preds, targs = learn.get_preds(ds_idx=2)
    return seconds, float((preds.argmax(dim=1) == targs).float().mean())


def _torch_fit(torch, train, test, epochs, lr, seed):
    """The same recipe as a plain PyTorch loop (what a PyTorch user writes)."""
    from ember import demo

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    (x, y), (xv, yv) = _split(train, demo.N_VALID, seed)
    x, y, xv, yv = (torch.from_numpy(np.ascontiguousarray(a)) for a in (x, y, xv, yv))
    xt, yt = (torch.from_numpy(a) for a in test)
    model = demo.build_model(torch.nn)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=demo.WD)
    bs = demo.BATCH_SIZE
    n_batches = -(-len(x) // bs)
    # fastai's one-cycle: from lr/25 up to lr, cosine down to lr/1e5; momentum 0.95 → 0.85 → 0.95
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * n_batches,
                                                pct_start=demo.PCT_START, div_factor=25.0,
                                                final_div_factor=1e5 / 25.0, base_momentum=0.85,
                                                max_momentum=0.95)
    loss_fn = torch.nn.CrossEntropyLoss()

    def evaluate(xs, ys):
        model.eval()
        with torch.no_grad():
            correct = sum(int((model(xs[i:i + 2 * bs]).argmax(1) == ys[i:i + 2 * bs]).sum())
                          for i in range(0, len(xs), 2 * bs))
        return correct / len(xs)

    t0 = time.perf_counter()
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(x))
        for i in range(0, len(x), bs):
            idx = perm[i:i + bs]
            xb = torch.from_numpy(np.ascontiguousarray(demo.random_shift(x[idx].numpy(), rng)))
            loss = loss_fn(model(xb), y[idx])
            loss.backward()
            opt.step()
            opt.zero_grad()
            sched.step()
        evaluate(xv, yv)   # the Learner validates after each epoch too
    seconds = time.perf_counter() - t0
    return seconds, evaluate(xt, yt)


def mnist1d_cnn_fit(ember, torch, epochs=None, quick=False, seed=0):
    """The demo's training (20 epochs of one-cycle on MNIST-1D), ember's Learner against a
    plain PyTorch loop; prints and returns both times and test accuracies."""
    from ember import demo
    epochs = epochs or demo.EPOCHS
    train, test = _mnist1d(quick)
    e_s, e_acc = _ember_fit(ember, train, test, epochs, BENCH_LR, seed)
    t_s, t_acc = _torch_fit(torch, train, test, epochs, BENCH_LR, seed)
    print(f"mnist1d_cnn_fit: ember {e_s:.2f} s, test accuracy {e_acc:.2%}; "
          f"torch {t_s:.2f} s, test accuracy {t_acc:.2%}; time ratio {e_s / t_s:.2f}")
    return FitResult(e_s, t_s, e_acc, t_acc)


# ---- seed 000's XOR program ----------------------------------------------------------------

def _xor(lib, num_epochs=200):
    nn = lib.nn
    np.random.seed(1)
    lib.manual_seed(1)
    x = np.random.uniform(low=-1, high=1, size=(200, 2))
    y = np.ones(len(x))
    y[x[:, 0] * x[:, 1] < 0] = 0
    n_train = 100
    x_train = lib.tensor(x[:n_train, :], dtype=lib.float32)
    y_train = lib.tensor(y[:n_train], dtype=lib.float32)
    x_valid = lib.tensor(x[n_train:, :], dtype=lib.float32)
    y_valid = lib.tensor(y[n_train:], dtype=lib.float32)
    batch_size = 2
    train_dl = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(x_train, y_train), batch_size,
                                         shuffle=True)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1),
                          nn.Sigmoid())
    loss_fn = nn.BCELoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.015)

    def run():
        loss_hist, acc_hist = [0.0] * num_epochs, [0.0] * num_epochs
        valid_acc = [0.0] * num_epochs
        for epoch in range(num_epochs):
            for x_batch, y_batch in train_dl:
                pred = model(x_batch)[:, 0]
                loss = loss_fn(pred, y_batch)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                loss_hist[epoch] += loss.item()
                is_correct = ((pred >= 0.5).float() == y_batch).float()
                acc_hist[epoch] += is_correct.mean().item()
            with lib.no_grad():
                pred = model(x_valid)[:, 0]
                valid_acc[epoch] = ((pred >= 0.5).float() == y_valid).float().mean().item()
        return valid_acc[-1]

    return run


def xor_tiny_batches(ember, torch, num_epochs=200):
    """Seed 000's XOR training: 100 samples, batch 2, 200 epochs (10,000 tiny steps)."""
    times, accs = [], []
    for lib in (ember, torch):
        run = _xor(lib, num_epochs)
        t0 = time.perf_counter()
        accs.append(run())
        times.append(time.perf_counter() - t0)
    print(f"xor_tiny_batches: ember {times[0]:.2f} s ({times[0] / (50 * num_epochs) * 1e6:.0f} us/step), "
          f"torch {times[1]:.2f} s ({times[1] / (50 * num_epochs) * 1e6:.0f} us/step); "
          f"ratio {times[0] / times[1]:.2f}; valid accuracy ember {accs[0]:.2f}, torch {accs[1]:.2f}")
    return times[0], times[1]


WORKLOADS = {"mnist1d_cnn_fit": mnist1d_cnn_fit, "xor_tiny_batches": xor_tiny_batches}


def main(names):
    import torch

    import ember
    if "--one-thread" in names:   # one BLAS / intra-op thread each: fair on a shared machine
        torch.set_num_threads(1)
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
    for name in [n for n in names if not n.startswith("--")] or list(WORKLOADS):
        WORKLOADS[name](ember, torch)


if __name__ == "__main__":
    main(sys.argv[1:])
