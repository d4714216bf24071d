# Stage 5: the optim package does the update; here Adam.
import ember as torch


def main(steps=500, seed=0, log_every=100):
    """Train for `steps` optimizer steps; return the final loss."""
    torch.manual_seed(seed)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)

    model = torch.nn.Sequential(
        torch.nn.Linear(D_in, H),
        torch.nn.ReLU(),
        torch.nn.Linear(H, D_out),
    )
    loss_fn = torch.nn.MSELoss(reduction="sum")
    learning_rate = 1e-4
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)

    for t in range(steps):
        y_pred = model(x)
        loss = loss_fn(y_pred, y)
        if t % log_every == log_every - 1:
            print(t, loss.item())
        # gradients accumulate across backward() calls, so clear them before each one
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


if __name__ == "__main__":
    main()
