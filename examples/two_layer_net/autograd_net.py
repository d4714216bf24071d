# Stage 3: autograd computes the backward pass; the update runs under no_grad.
import ember as torch


def main(steps=500, seed=0, log_every=100):
    """Train for `steps` gradient steps; return the final loss."""
    dtype = torch.float
    device = torch.device("cpu")
    torch.manual_seed(seed)

    N, D_in, H, D_out = 64, 1000, 100, 10
    x = torch.randn(N, D_in, device=device, dtype=dtype)
    y = torch.randn(N, D_out, device=device, dtype=dtype)
    # requires_grad=True: backward() fills w1.grad and w2.grad
    w1 = torch.randn(D_in, H, device=device, dtype=dtype, requires_grad=True)
    w2 = torch.randn(H, D_out, device=device, dtype=dtype, requires_grad=True)

    learning_rate = 1e-6
    for t in range(steps):
        y_pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        if t % log_every == log_every - 1:
            print(t, loss.item())
        loss.backward()
        # the update itself must not be recorded in the graph
        with torch.no_grad():
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
    return loss.item()


if __name__ == "__main__":
    main()
