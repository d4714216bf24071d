# Stage 1 of "Learning PyTorch with Examples": a two-layer ReLU net fitting random
# data in plain NumPy, forward and backward written by hand.
import numpy as np


def main(steps=500, seed=0, log_every=100):
    """Train for `steps` gradient steps; return the final loss (sum of squared errors)."""
    # N: batch size, D_in: input dim, H: hidden dim, D_out: output dim
    N, D_in, H, D_out = 64, 1000, 100, 10
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D_in))
    y = rng.standard_normal((N, D_out))
    w1 = rng.standard_normal((D_in, H))
    w2 = rng.standard_normal((H, D_out))

    learning_rate = 1e-6
    for t in range(steps):
        h = x.dot(w1)
        h_relu = np.maximum(h, 0)
        y_pred = h_relu.dot(w2)
        loss = np.square(y_pred - y).sum()
        if t % log_every == log_every - 1:
            print(t, loss)
        # backward by hand: d loss / d y_pred = 2 (y_pred - y), then the chain rule
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.T.dot(grad_y_pred)
        grad_h_relu = grad_y_pred.dot(w2.T)
        grad_h = grad_h_relu.copy()
        grad_h[h < 0] = 0
        grad_w1 = x.T.dot(grad_h)
        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2
    return float(loss)


if __name__ == "__main__":
    main()
