# Stage 6: a custom nn.Module subclass, trained with optim.SGD.
import ember as torch


class TwoLayerNet(torch.nn.Module):
    def __init__(self, D_in, H, D_out):
        super().__init__()
        self.linear1 = torch.nn.Linear(D_in, H)
        self.linear2 = torch.nn.Linear(H, D_out)

    def forward(self, x):
        # any Tensor op can be mixed with the submodules
        h_relu = self.linear1(x).clamp(min=0)
        return self.linear2(h_relu)


def main(steps=500, seed=0, log_every=100):
    """Train for `steps` optimizer steps; return the final loss."""
    torch.manual_seed(seed)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)

    model = TwoLayerNet(D_in, H, D_out)
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)
    for t in range(steps):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        if t % log_every == log_every - 1:
            print(t, loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


if __name__ == "__main__":
    main()
