"""Programs of pytorch/examples and the PyTorch tutorials, run with `import ember as torch` and with
PyTorch itself (test_programs.py's method: each program is written once as a function of
(torch, nn, F), weights copied from the PyTorch run so both start alike).

Each program follows its upstream script — the same model, the same training loop, the same
idioms (PyTorch >= 2.6's ``torch.accelerator`` device choice, ``'{:+.2f}'.format(tensor)``,
``x[range(n), y] = v``, a ``Module`` overriding ``train``) — with the data made offline and small
(NumPy-generated, fixed seeds) and the step counts cut so that each runs in about a second.
Where the upstream draws random numbers inside the loop (``torch.randn`` batches, ``randperm``),
the draw is made by NumPy, as the two libraries' random streams differ."""
import math
from itertools import count

import numpy as np
import torch as real_torch
from test_programs import LIBS, both, close, twin


def _device(torch):
    # pytorch/examples' idiom since PyTorch 2.6
    return torch.accelerator.current_accelerator() if torch.accelerator.is_available() \
        else torch.device("cpu")


# -- time_sequence_prediction: LSTMCells on sine waves, fitted with L-BFGS in float64 ----------

def _sine_waves(T=20, L=30, N=6):
    rng = np.random.RandomState(2)
    x = np.empty((N, L), "int64")
    x[:] = np.array(range(L)) + rng.randint(-4 * T, 4 * T, N).reshape(N, 1)
    return np.sin(x / 1.0 / T).astype("float64")


def test_time_sequence_prediction_lstmcell_lbfgs():
    data = _sine_waves()

    def build(torch, nn, F):
        class Sequence(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm1 = nn.LSTMCell(1, 51)
                self.lstm2 = nn.LSTMCell(51, 51)
                self.linear = nn.Linear(51, 1)

            def forward(self, input, future=0):
                outputs = []
                h_t = torch.zeros(input.size(0), 51, dtype=torch.double)
                c_t = torch.zeros(input.size(0), 51, dtype=torch.double)
                h_t2 = torch.zeros(input.size(0), 51, dtype=torch.double)
                c_t2 = torch.zeros(input.size(0), 51, dtype=torch.double)
                for input_t in input.split(1, dim=1):
                    h_t, c_t = self.lstm1(input_t, (h_t, c_t))
                    h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
                    output = self.linear(h_t2)
                    outputs += [output]
                for i in range(future):     # if we should predict the future
                    h_t, c_t = self.lstm1(output, (h_t, c_t))
                    h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
                    output = self.linear(h_t2)
                    outputs += [output]
                return torch.cat(outputs, dim=1)
        return Sequence().double()

    def prog(torch, nn, F, seq):
        input = torch.from_numpy(data[3:, :-1])
        target = torch.from_numpy(data[3:, 1:])
        test_input = torch.from_numpy(data[:3, :-1])
        test_target = torch.from_numpy(data[:3, 1:])
        criterion = nn.MSELoss()
        optimizer = torch.optim.LBFGS(seq.parameters(), lr=0.8)
        losses = []
        for i in range(1):      # upstream: opt.steps = 15
            def closure():
                optimizer.zero_grad()
                out = seq(input)
                loss = criterion(out, target)
                losses.append(loss.item())
                loss.backward()
                return loss
            optimizer.step(closure)
            with torch.no_grad():
                future = 10
                pred = seq(test_input, future=future)
                loss = criterion(pred[:, :-future], test_target)
                losses.append(loss.item())
                y = pred.detach().numpy()
        return losses, y[:, -future:]

    e_model, t_model = twin(build)
    (e_losses, e_pred), (t_losses, t_pred) = prog(*LIBS["ember"], e_model), \
        prog(*LIBS["torch"], t_model)
    assert len(e_losses) == len(t_losses) > 10        # L-BFGS evaluated the closure alike
    close(e_losses, t_losses, rtol=1e-6, atol=1e-9)
    close(e_pred, t_pred, rtol=1e-6, atol=1e-8)


# -- super_resolution: ESPCN (sub-pixel convolution, orthogonal init), Adam, PSNR ----------------

def test_super_resolution_espcn_pixel_shuffle():
    rng = np.random.default_rng(3)
    hr = rng.random((4, 1, 24, 24)).astype(np.float32)
    lr_ = hr.reshape(4, 1, 8, 3, 8, 3).mean((3, 5))      # offline stand-in for BSDS300 crops

    def build(torch, nn, F):
        init = nn.init

        class Net(nn.Module):
            def __init__(self, upscale_factor):
                super().__init__()
                self.relu = nn.ReLU()
                self.conv1 = nn.Conv2d(1, 64, (5, 5), (1, 1), (2, 2))
                self.conv2 = nn.Conv2d(64, 64, (3, 3), (1, 1), (1, 1))
                self.conv3 = nn.Conv2d(64, 32, (3, 3), (1, 1), (1, 1))
                self.conv4 = nn.Conv2d(32, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
                self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
                self._initialize_weights()

            def forward(self, x):
                x = self.relu(self.conv1(x))
                x = self.relu(self.conv2(x))
                x = self.relu(self.conv3(x))
                return self.pixel_shuffle(self.conv4(x))

            def _initialize_weights(self):
                init.orthogonal_(self.conv1.weight, init.calculate_gain('relu'))
                init.orthogonal_(self.conv2.weight, init.calculate_gain('relu'))
                init.orthogonal_(self.conv3.weight, init.calculate_gain('relu'))
                init.orthogonal_(self.conv4.weight)
        return Net(upscale_factor=3)

    def prog(torch, nn, F, model):
        device = _device(torch)
        model = model.to(device)
        criterion = nn.MSELoss()
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        data = torch.utils.data.TensorDataset(torch.from_numpy(lr_), torch.from_numpy(hr))
        loader = torch.utils.data.DataLoader(data, batch_size=2, shuffle=False)
        epoch_loss, psnrs = [], []
        for epoch in range(1, 3):
            total = 0
            for iteration, batch in enumerate(loader, 1):
                input, target = batch[0].to(device), batch[1].to(device)
                optimizer.zero_grad()
                loss = criterion(model(input), target)
                total += loss.item()
                loss.backward()
                optimizer.step()
            epoch_loss.append(total / len(loader))
            avg_psnr = 0
            with torch.no_grad():
                for batch in loader:
                    input, target = batch[0].to(device), batch[1].to(device)
                    mse = criterion(model(input), target)
                    avg_psnr += 10 * math.log10(1 / mse.item())
            psnrs.append(avg_psnr / len(loader))
        return epoch_loss, psnrs

    e_model, t_model = twin(build)
    # the orthogonal init itself: W Wᵀ = gain² I on each layer's flattened rows
    w = e_model.conv4.weight.detach().reshape(9, -1).numpy()
    np.testing.assert_allclose(w @ w.T, np.eye(9), atol=1e-5)
    e, t = prog(*LIBS["ember"], e_model), prog(*LIBS["torch"], t_model)
    close(e, t, rtol=2e-4, atol=1e-6)


# -- fast_neural_style: TransformerNet (reflection pad, instance norm, nearest upsampling) and the
#    Gram-matrix style loss --------------------------------------------------------------------

def _transformer_net(torch, nn, F):
    class ConvLayer(nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size, stride):
            super().__init__()
            self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
            self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

        def forward(self, x):
            return self.conv2d(self.reflection_pad(x))

    class ResidualBlock(nn.Module):
        def __init__(self, channels):
            super().__init__()
            self.conv1 = ConvLayer(channels, channels, kernel_size=3, stride=1)
            self.in1 = nn.InstanceNorm2d(channels, affine=True)
            self.conv2 = ConvLayer(channels, channels, kernel_size=3, stride=1)
            self.in2 = nn.InstanceNorm2d(channels, affine=True)
            self.relu = nn.ReLU()

        def forward(self, x):
            residual = x
            out = self.relu(self.in1(self.conv1(x)))
            out = self.in2(self.conv2(out))
            return out + residual

    class UpsampleConvLayer(nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size, stride, upsample=None):
            super().__init__()
            self.upsample = upsample
            self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
            self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

        def forward(self, x):
            x_in = x
            if self.upsample:
                x_in = F.interpolate(x_in, mode='nearest', scale_factor=self.upsample)
            return self.conv2d(self.reflection_pad(x_in))

    class TransformerNet(nn.Module):   # channel counts quartered to keep the test fast
        def __init__(self):
            super().__init__()
            self.conv1 = ConvLayer(3, 8, kernel_size=9, stride=1)
            self.in1 = nn.InstanceNorm2d(8, affine=True)
            self.conv2 = ConvLayer(8, 16, kernel_size=3, stride=2)
            self.in2 = nn.InstanceNorm2d(16, affine=True)
            self.conv3 = ConvLayer(16, 32, kernel_size=3, stride=2)
            self.in3 = nn.InstanceNorm2d(32, affine=True)
            self.res1 = ResidualBlock(32)
            self.res2 = ResidualBlock(32)
            self.deconv1 = UpsampleConvLayer(32, 16, kernel_size=3, stride=1, upsample=2)
            self.in4 = nn.InstanceNorm2d(16, affine=True)
            self.deconv2 = UpsampleConvLayer(16, 8, kernel_size=3, stride=1, upsample=2)
            self.in5 = nn.InstanceNorm2d(8, affine=True)
            self.deconv3 = ConvLayer(8, 3, kernel_size=9, stride=1)
            self.relu = nn.ReLU()

        def forward(self, X):
            y = self.relu(self.in1(self.conv1(X)))
            y = self.relu(self.in2(self.conv2(y)))
            y = self.relu(self.in3(self.conv3(y)))
            y = self.res2(self.res1(y))
            y = self.relu(self.in4(self.deconv1(y)))
            y = self.relu(self.in5(self.deconv2(y)))
            return self.deconv3(y)

    class Features(nn.Module):     # stands in for the pretrained VGG16 slices (relu1_2, relu2_2)
        def __init__(self):
            super().__init__()
            self.slice1 = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(inplace=True))
            self.slice2 = nn.Sequential(nn.MaxPool2d(2, 2), nn.Conv2d(8, 16, 3, padding=1),
                                        nn.ReLU(inplace=True))

            for param in self.parameters():     # upstream: Vgg16(requires_grad=False)
                param.requires_grad = False

        def forward(self, X):
            h1 = self.slice1(X)
            return h1, self.slice2(h1)

    return nn.ModuleDict({"transformer": TransformerNet(), "vgg": Features()})


def test_fast_neural_style_transformer_net():
    rng = np.random.default_rng(4)
    content = (rng.random((2, 3, 32, 32)) * 255).astype(np.float32)
    style = (rng.random((1, 3, 32, 32)) * 255).astype(np.float32)

    def prog(torch, nn, F, nets):
        def gram_matrix(y):
            (b, ch, h, w) = y.size()
            features = y.view(b, ch, w * h)
            features_t = features.transpose(1, 2)
            return features.bmm(features_t) / (ch * h * w)

        def normalize_batch(batch):
            # normalize using imagenet mean and std
            mean = batch.new_tensor([0.485, 0.456, 0.406]).view(-1, 1, 1)
            std = batch.new_tensor([0.229, 0.224, 0.225]).view(-1, 1, 1)
            batch = batch.div_(255.0)
            return (batch - mean) / std

        transformer, vgg = nets["transformer"], nets["vgg"]
        optimizer = torch.optim.Adam(transformer.parameters(), 1e-3)
        mse_loss = torch.nn.MSELoss()
        style_t = torch.from_numpy(style).repeat(2, 1, 1, 1)
        features_style = vgg(normalize_batch(style_t))
        gram_style = [gram_matrix(y) for y in features_style]
        history = []
        for batch_id in range(3):
            x = torch.from_numpy(content.copy())
            n_batch = len(x)
            optimizer.zero_grad()
            y = transformer(x)
            y = normalize_batch(y)
            x = normalize_batch(x)
            features_y = vgg(y)
            features_x = vgg(x)
            content_loss = 1e5 * mse_loss(features_y[1], features_x[1])
            style_loss = 0.
            for ft_y, gm_s in zip(features_y, gram_style):
                gm_y = gram_matrix(ft_y)
                style_loss += mse_loss(gm_y, gm_s[:n_batch, :, :])
            style_loss *= 1e10
            total_loss = content_loss + style_loss
            total_loss.backward()
            optimizer.step()
            history.append((content_loss.item(), style_loss.item()))
        return history

    e_nets, t_nets = twin(lambda torch, nn, F: _transformer_net(torch, nn, F))
    close(prog(*LIBS["ember"], e_nets), prog(*LIBS["torch"], t_nets), rtol=2e-3)


# -- mnist_forward_forward: Hinton's forward-forward, layer-local losses, Module.train overridden -

def test_mnist_forward_forward():
    rng = np.random.default_rng(5)
    x_np = rng.random((64, 40)).astype(np.float32)       # offline stand-in for flattened MNIST
    y_np = (x_np[:, 10:20].argmax(1)).astype(np.int64)    # a learnable labelling
    perm = rng.permutation(64)                              # upstream: torch.randperm

    def build(torch, nn, F):
        class Layer(nn.Linear):
            def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
                super().__init__(in_features, out_features, bias, device, dtype)
                self.relu = torch.nn.ReLU()
                self.opt = torch.optim.Adam(self.parameters(), lr=0.03)
                self.threshold = 2.0
                self.num_epochs = 25

            def forward(self, x):
                x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
                return self.relu(torch.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))

            def train(self, x_pos, x_neg):
                for i in range(self.num_epochs):
                    g_pos = self.forward(x_pos).pow(2).mean(1)
                    g_neg = self.forward(x_neg).pow(2).mean(1)
                    # The following loss pushes pos (neg) samples to values larger (smaller)
                    # than the self.threshold.
                    loss = torch.log(1 + torch.exp(torch.cat([
                        -g_pos + self.threshold,
                        g_neg - self.threshold]))).mean()
                    self.opt.zero_grad()
                    # this backward just compute the derivative and hence is not considered
                    # backpropagation.
                    loss.backward()
                    self.opt.step()
                return self.forward(x_pos).detach(), self.forward(x_neg).detach()

        class Net(torch.nn.Module):
            def __init__(self, dims):
                super().__init__()
                self.layers = []
                for d in range(len(dims) - 1):
                    self.layers += [Layer(dims[d], dims[d + 1])]

            def predict(self, x):
                goodness_per_label = []
                for label in range(10):
                    h = overlay_y_on_x(x, label)
                    goodness = []
                    for layer in self.layers:
                        h = layer(h)
                        goodness += [h.pow(2).mean(1)]
                    goodness_per_label += [sum(goodness).unsqueeze(1)]
                goodness_per_label = torch.cat(goodness_per_label, 1)
                return goodness_per_label.argmax(1)

            def train(self, x_pos, x_neg):
                h_pos, h_neg = x_pos, x_neg
                for i, layer in enumerate(self.layers):
                    h_pos, h_neg = layer.train(h_pos, h_neg)

        def overlay_y_on_x(x, y):
            """Replace the first 10 pixels of data [x] with one-hot-encoded label [y]"""
            x_ = x.clone()
            x_[:, :10] *= 0.0
            x_[range(x.shape[0]), y] = x.max()
            return x_

        net = Net([40, 32, 32])
        net.overlay_y_on_x = overlay_y_on_x
        return net

    def prog(torch, nn, F, net):
        x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
        x_pos = net.overlay_y_on_x(x, y)
        x_neg = net.overlay_y_on_x(x, y[torch.from_numpy(perm)])
        net.train(x_pos, x_neg)
        pred = net.predict(x)
        return 1.0 - pred.eq(y).float().mean().item(), [lay.weight.detach() for lay in net.layers]

    def build_twins():
        real_torch.manual_seed(0)
        t = build(*LIBS["torch"])
        e = build(*LIBS["ember"])
        for le, lt in zip(e.layers, t.layers):   # the layers are in a plain list, as upstream
            le.weight.data.copy_(real_torch_to(lt.weight))
            le.bias.data.copy_(real_torch_to(lt.bias))
        return e, t

    e_net, t_net = build_twins()
    (e_err, e_w), (t_err, t_w) = prog(*LIBS["ember"], e_net), prog(*LIBS["torch"], t_net)
    close(e_w, t_w, rtol=1e-3, atol=1e-4)
    assert abs(e_err - t_err) <= 1 / 64 + 1e-9       # at most one argmax flip


def real_torch_to(t):
    import ember
    return ember.from_numpy(t.detach().numpy().copy())


# -- the "What is torch.nn really?" tutorial: from scratch, then nn.Module, DataLoader, a CNN ----

def test_what_is_torch_nn_really():
    rng = np.random.default_rng(6)
    # MNIST-like: mostly-zero pixels in [0, 1], a label the pixels determine
    x_train = ((rng.random((96, 784)) < 0.2) * rng.random((96, 784))).astype(np.float32)
    y_train = (x_train[:, :10].argmax(1)).astype(np.int64)
    x_valid, y_valid = x_train[:32].copy(), y_train[:32].copy()
    w0 = (rng.standard_normal((784, 10)) / math.sqrt(784)).astype(np.float32)  # torch.randn upstream

    def prog(torch, nn, F):
        optim = torch.optim      # upstream: from torch import optim (here torch is an argument)
        DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset
        xt, yt, xv, yv = map(torch.tensor, (x_train, y_train, x_valid, y_valid))
        n, c = xt.shape
        out = {"shape": (n, c), "min_max": (yt.min().item(), yt.max().item())}

        # neural net from scratch
        weights = torch.from_numpy(w0.copy())
        weights.requires_grad_()
        bias = torch.zeros(10, requires_grad=True)

        def log_softmax(x):
            return x - x.exp().sum(-1).log().unsqueeze(-1)

        def model(xb):
            return log_softmax(xb @ weights + bias)

        def nll(input, target):
            return -input[range(target.shape[0]), target].mean()

        def accuracy(out, yb):
            preds = torch.argmax(out, dim=1)
            return (preds == yb).float().mean()

        bs, lr, epochs = 32, 0.5, 2
        loss_func = nll
        for epoch in range(epochs):
            for i in range((n - 1) // bs + 1):
                start_i = i * bs
                end_i = start_i + bs
                xb, yb = xt[start_i:end_i], yt[start_i:end_i]
                loss = loss_func(model(xb), yb)
                loss.backward()
                with torch.no_grad():
                    weights -= weights.grad * lr
                    bias -= bias.grad * lr
                    weights.grad.zero_()
                    bias.grad.zero_()
        out["scratch"] = (loss_func(model(xt[:bs]), yt[:bs]).item(),
                          accuracy(model(xt[:bs]), yt[:bs]).item())

        # refactored: nn.Module, optim, Dataset, DataLoader, fit()
        class Mnist_Logistic(nn.Module):
            def __init__(self):
                super().__init__()
                self.weights = nn.Parameter(torch.from_numpy(w0.copy()))
                self.bias = nn.Parameter(torch.zeros(10))

            def forward(self, xb):
                return xb @ self.weights + self.bias

        def loss_batch(model, loss_func, xb, yb, opt=None):
            loss = loss_func(model(xb), yb)
            if opt is not None:
                loss.backward()
                opt.step()
                opt.zero_grad()
            return loss.item(), len(xb)

        def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
            hist = []
            for epoch in range(epochs):
                model.train()
                for xb, yb in train_dl:
                    loss_batch(model, loss_func, xb, yb, opt)
                model.eval()
                with torch.no_grad():
                    losses, nums = zip(*[loss_batch(model, loss_func, xb, yb)
                                         for xb, yb in valid_dl])
                hist.append(np.sum(np.multiply(losses, nums)) / np.sum(nums))
            return hist

        def get_data(train_ds, valid_ds, bs):
            # upstream shuffles the training set; the two libraries' shuffles differ
            return (DataLoader(train_ds, batch_size=bs, shuffle=False),
                    DataLoader(valid_ds, batch_size=bs * 2))

        train_dl, valid_dl = get_data(TensorDataset(xt, yt), TensorDataset(xv, yv), bs)
        model = Mnist_Logistic()
        opt = optim.SGD(model.parameters(), lr=lr)
        out["logistic"] = fit(epochs, model, F.cross_entropy, opt, train_dl, valid_dl)

        # CNN with Lambda layers and a WrappedDataLoader, on the accelerator if any
        class Lambda(nn.Module):
            def __init__(self, func):
                super().__init__()
                self.func = func

            def forward(self, x):
                return self.func(x)

        def preprocess(x, y):
            return x.view(-1, 1, 28, 28).to(dev), y.to(dev)

        class WrappedDataLoader:
            def __init__(self, dl, func):
                self.dl = dl
                self.func = func

            def __len__(self):
                return len(self.dl)

            def __iter__(self):
                for b in self.dl:
                    yield (self.func(*b))

        dev = _device(torch)
        train_dl = WrappedDataLoader(train_dl, preprocess)
        valid_dl = WrappedDataLoader(valid_dl, preprocess)
        torch.manual_seed(0)
        model = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            Lambda(lambda x: x.view(x.size(0), -1)),
        )
        return out, model, (lambda m: fit(epochs, m.to(dev), F.cross_entropy,
                                          optim.SGD(m.parameters(), lr=0.1, momentum=0.9),
                                          train_dl, valid_dl))

    (e_out, e_cnn, e_fit), (t_out, t_cnn, t_fit) = both(prog)
    close(e_out, t_out, rtol=1e-4, atol=1e-6)
    e_cnn.load_state_dict({k: real_torch_to(v) for k, v in t_cnn.state_dict().items()})
    close(e_fit(e_cnn), t_fit(t_cnn), rtol=1e-4, atol=1e-6)


# -- regression: fit a degree-4 polynomial with a Linear layer and manual SGD ------------------

def test_regression_polynomial_features():
    POLY_DEGREE = 4
    rng = np.random.default_rng(7)
    w_np = (rng.standard_normal((POLY_DEGREE, 1)) * 1).astype(np.float32)   # upstream: randn * 5
    b_np = (rng.standard_normal(1) * 1).astype(np.float32)
    batches = rng.uniform(-1, 1, (400, 32)).astype(np.float32)                 # upstream: randn

    def prog(torch, nn, F, fc):
        W_target = torch.from_numpy(w_np)
        b_target = torch.from_numpy(b_np)

        def make_features(x):
            """Builds features i.e. a matrix with columns [x, x^2, x^3, x^4]."""
            x = x.unsqueeze(1)
            return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)

        def f(x):
            """Approximated function."""
            return x.mm(W_target) + b_target.item()

        def poly_desc(W, b):
            """Creates a string description of a polynomial."""
            result = 'y = '
            for i, w in enumerate(W):
                result += '{:+.2f} x^{} '.format(w, i + 1)
            result += '{:+.2f}'.format(b[0])
            return result

        def get_batch(i):
            """Builds a batch i.e. (x, f(x)) pair."""
            x = make_features(torch.from_numpy(batches[i]))
            y = f(x)
            return x, y

        for batch_idx in count(1):
            batch_x, batch_y = get_batch(batch_idx - 1)
            fc.zero_grad()
            output = F.smooth_l1_loss(fc(batch_x), batch_y)
            loss = output.item()
            output.backward()
            for param in fc.parameters():
                param.data.add_(-0.1 * param.grad)
            if loss < 1e-3 or batch_idx == len(batches):
                break
        return ('Loss: {:.6f} after {} batches'.format(loss, batch_idx),
                '==> Learned function:\t' + poly_desc(fc.weight.view(-1), fc.bias),
                '==> Actual function:\t' + poly_desc(W_target.view(-1), b_target))

    e_fc, t_fc = twin(lambda torch, nn, F: torch.nn.Linear(POLY_DEGREE, 1))
    e, t = prog(*LIBS["ember"], e_fc), prog(*LIBS["torch"], t_fc)
    assert e[1:] == t[1:]
    e_loss, e_n = e[0].split()[1], e[0].split()[3]
    t_loss, t_n = t[0].split()[1], t[0].split()[3]
    assert e_n == t_n and abs(float(e_loss) - float(t_loss)) < 1e-5, (e[0], t[0])


# -- the same kind of program as a script file, run by `python` (PyTorch) and by `ember run` -----

SCRIPT = '''
import argparse
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser(description="PyTorch polynomial regression")
parser.add_argument("--steps", type=int, default=60)
args = parser.parse_args()
device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else "cpu"
rng = np.random.default_rng(0)
W_target = torch.from_numpy(rng.standard_normal((3, 1)).astype(np.float32))
xs = torch.from_numpy(rng.uniform(-1, 1, (args.steps, 16)).astype(np.float32))
torch.manual_seed(0)
fc = nn.Linear(3, 1)
with torch.no_grad():
    fc.weight.fill_(0.1)
    fc.bias.zero_()
fc = fc.to(device)
opt = torch.optim.SGD(fc.parameters(), lr=0.2, momentum=0.5)
for step in range(args.steps):
    x = torch.stack([xs[step] ** i for i in range(1, 4)], 1)
    loss = F.mse_loss(fc(x), x @ W_target)
    opt.zero_grad()
    loss.backward()
    opt.step()
print(f"device={device} loss={loss.item():.6f}", "w=" + " ".join(f"{w:+.3f}" for w in fc.weight.view(-1)))
'''


def test_unmodified_script_under_python_and_ember_run(tmp_path):
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    script = tmp_path / "regression.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": root}
    theirs = subprocess.run([sys.executable, str(script), "--steps", "40"], capture_output=True,
                            text=True, timeout=300, env=env)
    ours = subprocess.run([sys.executable, "-m", "ember", "run", str(script), "--steps", "40"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert theirs.returncode == 0, theirs.stderr
    assert ours.returncode == 0, ours.stderr
    assert theirs.stdout.startswith("device=cpu loss=")
    assert ours.stdout == theirs.stdout
