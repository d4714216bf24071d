# Stage 4: the model as nn.Sequential, MSELoss(reduction='sum'), and a hand-written
# gradient-descent update over model.parameters().
import ember as torch


def main(steps=500, seed=0, log_every=100):
    """Train for `steps` gradient steps; return the final loss."""
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
    for t in range(steps):
        y_pred = model(x)
        loss = loss_fn(y_pred, y)
        if t % log_every == log_every - 1:
            print(t, loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    return loss.item()


if __name__ == "__main__":
    main()
