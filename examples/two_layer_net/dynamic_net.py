# Stage 7: control flow + weight sharing. Each forward pass picks 0-3 at random and
# applies the same middle Linear that many times: the graph is rebuilt on every call.
import random

import ember as torch


class DynamicNet(torch.nn.Module):
    def __init__(self, D_in, H, D_out):
        super().__init__()
        self.input_linear = torch.nn.Linear(D_in, H)
        self.middle_linear = torch.nn.Linear(H, H)
        self.output_linear = torch.nn.Linear(H, D_out)

    def forward(self, x):
        h_relu = self.input_linear(x).clamp(min=0)
        # reusing one module several times shares its weights; their gradients add up
        for _ in range(random.randint(0, 3)):
            h_relu = self.middle_linear(h_relu).clamp(min=0)
        return self.output_linear(h_relu)


def main(steps=500, seed=0, log_every=100):
    """Train for `steps` optimizer steps; return the final loss (noisy: the depth is random)."""
    random.seed(seed)
    torch.manual_seed(seed)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)

    model = DynamicNet(D_in, H, D_out)
    criterion = torch.nn.MSELoss(reduction="sum")
    # plain SGD struggles with this model; momentum helps
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
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
