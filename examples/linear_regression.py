"""Linear regression written as nn.Module classes: python -m examples.linear_regression

LinearRegressionModel fits y = 2x on three points; MultivariateLinearRegressionModel fits a
score from three quiz scores on five students. Both train with plain SGD on the MSE loss.
"""
import ember as torch
import ember.nn.functional as F
from ember import nn


class LinearRegressionModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)  # simple regression: input_dim=1, output_dim=1

    def forward(self, x):
        return self.linear(x)


class MultivariateLinearRegressionModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 1)  # multiple regression: input_dim=3, output_dim=1

    def forward(self, x):
        return self.linear(x)


def fit(model, x_train, y_train, lr, epochs, log_every=100):
    """Full-batch SGD on the mean squared error; return the final cost."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for epoch in range(epochs + 1):
        prediction = model(x_train)  # calling the model runs forward()
        cost = F.mse_loss(prediction, y_train)
        optimizer.zero_grad()
        cost.backward()
        optimizer.step()
        if epoch % log_every == 0:
            print(f"Epoch {epoch:4d}/{epochs} Cost: {cost.item():.6f}")
    return cost.item()


def main(epochs=2000, seed=1):
    """Train both models; return {'simple': cost, 'multivariate': cost} after the last epoch."""
    torch.manual_seed(seed)
    # (the notes write torch.FloatTensor(...); torch.tensor(..., dtype=float32) is the same)
    x_train = torch.tensor([[1.0], [2.0], [3.0]])
    y_train = torch.tensor([[2.0], [4.0], [6.0]])
    model = LinearRegressionModel()
    simple = fit(model, x_train, y_train, lr=0.01, epochs=epochs)
    with torch.no_grad():
        print("prediction for x = 4:", model(torch.tensor([[4.0]])).item())
    print(list(model.parameters()))

    x_train = torch.tensor([[73, 80, 75], [93, 88, 93], [89, 91, 90], [96, 98, 100], [73, 66, 70]],
                           dtype=torch.float32)
    y_train = torch.tensor([[152], [185], [180], [196], [142]], dtype=torch.float32)
    model = MultivariateLinearRegressionModel()
    # inputs near 100 give large gradients: the step size must be tiny
    multivariate = fit(model, x_train, y_train, lr=1e-5, epochs=epochs)
    with torch.no_grad():
        print("prediction for [73, 80, 75]:", model(torch.tensor([[73.0, 80.0, 75.0]])).item())
    return {"simple": simple, "multivariate": multivariate}


if __name__ == "__main__":
    main()
