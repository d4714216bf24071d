"""Ordinary PyTorch programs, run once with `import ember as torch` and once with PyTorch itself.

Each program is written once, as a function of the library modules (torch, nn, F), in the style of
the official tutorials and common training scripts; the test runs it under both libraries and
compares values (weights are copied from the PyTorch model so both start alike) or checks that the
loss falls. A failure here is a gap between ember and PyTorch for real programs."""
import math

import numpy as np
import torch as real_torch

import ember
import ember.nn
import ember.nn.functional

LIBS = {"ember": (ember, ember.nn, ember.nn.functional),
        "torch": (real_torch, real_torch.nn, real_torch.nn.functional)}


def both(prog, *args, **kwargs):
    """Runs prog(torch, nn, F, *args) under PyTorch first, then under ember: (ember_out, torch_out)."""
    t = prog(*LIBS["torch"], *args, **kwargs)
    e = prog(*LIBS["ember"], *args, **kwargs)
    return e, t


def to_np(x):
    if isinstance(x, (ember.Tensor, real_torch.Tensor)):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def close(e, t, rtol=1e-4, atol=1e-5):
    """Compares nested results (tensors with their dtypes, numbers, strings, lists, dicts) of the two runs."""
    if t is None or isinstance(t, (str, bool, real_torch.dtype)):
        assert str(e).replace("ember.", "torch.") == str(t), f"{e!r} != {t!r}"
    elif isinstance(t, dict):
        assert e.keys() == t.keys()
        for k in t:
            close(e[k], t[k], rtol, atol)
    elif isinstance(t, (list, tuple)):
        assert len(e) == len(t), f"{e!r} != {t!r}"
        for a, b in zip(e, t):
            close(a, b, rtol, atol)
    else:
        if isinstance(t, real_torch.Tensor):
            assert isinstance(e, ember.Tensor), f"{type(e)} is not a Tensor"
            close(e.dtype, t.dtype)
        np.testing.assert_allclose(to_np(e), to_np(t), rtol=rtol, atol=atol)


def check_idioms(items, **tol):
    """Runs each one-line idiom under both libraries; reports every one that fails or differs."""
    bad = []
    for name, fn in items.items():
        try:
            close(fn(*LIBS["ember"]), fn(*LIBS["torch"]), **tol)
        except Exception as ex:  # noqa: BLE001 - every failure is reported, with its idiom
            bad.append(f"{name}: {type(ex).__name__}: {str(ex).strip().splitlines()[0][:150]}")
    assert not bad, "\n" + "\n".join(bad)


def copy_weights(torch_model, ember_model):
    ember_model.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                                 for k, v in torch_model.state_dict().items()})


def twin(build):
    """The same architecture under both libraries, with the PyTorch model's initial weights."""
    real_torch.manual_seed(0)
    t = build(*LIBS["torch"])
    e = build(*LIBS["ember"])
    copy_weights(t, e)
    return e, t


def blitz_net(torch, nn, F):
    class Net(nn.Module):  # "Deep Learning with PyTorch: A 60 Minute Blitz", training a classifier
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)
    return Net()


CIFAR_X = np.random.default_rng(0).standard_normal((16, 3, 32, 32)).astype(np.float32)
CIFAR_Y = np.random.default_rng(1).integers(0, 10, 16)


def test_blitz_cifar_classifier():
    def prog(torch, nn, F, net):
        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
        net.to(device)
        data = torch.utils.data.TensorDataset(torch.from_numpy(CIFAR_X), torch.from_numpy(CIFAR_Y))
        trainloader = torch.utils.data.DataLoader(data, batch_size=4, shuffle=False, num_workers=0)
        criterion = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
        losses = []
        for epoch in range(2):
            running_loss = 0.0
            for i, data in enumerate(trainloader, 0):
                inputs, labels = data[0].to(device), data[1].to(device)
                optimizer.zero_grad()
                outputs = net(inputs)
                loss = criterion(outputs, labels)
                loss.backward()
                optimizer.step()
                running_loss += loss.item()
            losses.append(running_loss / len(trainloader))
        correct = total = 0
        with torch.no_grad():
            for images, labels in trainloader:
                outputs = net(images)
                _, predicted = torch.max(outputs.data, 1)
                total += labels.size(0)
                correct += (predicted == labels).sum().item()
        return losses, 100 * correct // total, outputs

    e_net, t_net = twin(blitz_net)
    e, t = prog(*LIBS["ember"], e_net), prog(*LIBS["torch"], t_net)
    close(e[0], t[0], rtol=1e-3)
    assert e[1] == t[1]
    close(e[2], t[2], rtol=1e-3, atol=1e-4)


def test_polynomial_module_fit():
    def prog(torch, nn, F):  # "Learning PyTorch with Examples": nn.Module with scalar Parameters
        class Polynomial3(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = torch.nn.Parameter(torch.tensor(0.1))
                self.b = torch.nn.Parameter(torch.tensor(-0.2))
                self.c = torch.nn.Parameter(torch.tensor(0.3))
                self.d = torch.nn.Parameter(torch.tensor(0.05))

            def forward(self, x):
                return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

            def string(self):
                return f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3'

        x = torch.linspace(-math.pi, math.pi, 2000)
        y = torch.sin(x)
        model = Polynomial3()
        criterion = torch.nn.MSELoss(reduction='sum')
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
        losses = []
        for t in range(300):
            loss = criterion(model(x), y)
            losses.append(loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return losses[::50], [p.detach() for p in model.parameters()], model.string().count('x')

    e, t = both(prog)
    close(e[:2], t[:2], rtol=1e-3)
    assert e[0][-1] < e[0][0] / 10 and e[2] == t[2]


def test_custom_autograd_function_legendre():
    def prog(torch, nn, F):  # "Learning PyTorch with Examples": defining new autograd functions
        class LegendrePolynomial3(torch.autograd.Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return 0.5 * (5 * input ** 3 - 3 * input)

            @staticmethod
            def backward(ctx, grad_output):
                input, = ctx.saved_tensors
                return grad_output * 1.5 * (5 * input ** 2 - 1)

        dtype = torch.float
        device = torch.device("cpu")
        x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
        y = torch.sin(x)
        a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
        b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
        c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
        d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)
        learning_rate = 5e-6
        losses = []
        for t in range(200):
            P3 = LegendrePolynomial3.apply
            y_pred = a + b * P3(c + d * x)
            loss = (y_pred - y).pow(2).sum()
            losses.append(loss.item())
            loss.backward()
            with torch.no_grad():
                a -= learning_rate * a.grad
                b -= learning_rate * b.grad
                c -= learning_rate * c.grad
                d -= learning_rate * d.grad
                a.grad = None
                b.grad = None
                c.grad = None
                d.grad = None
        return losses[::40], [a, b, c, d]

    e, t = both(prog)
    close(e, t, rtol=1e-3, atol=1e-4)
    assert e[0][-1] < e[0][0]


def test_device_idiom_and_cudnn_flags():
    def prog(torch, nn, F):  # the opening lines of most training scripts
        torch.manual_seed(42)
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        torch.backends.cudnn.benchmark = True       # harmless on CPU in PyTorch
        torch.backends.cudnn.deterministic = True
        use_mps = torch.backends.mps.is_available()
        model = nn.Linear(4, 2).to(device)
        x = torch.randn(3, 4, device=device)
        return str(device), use_mps, model(x).shape, x.is_cuda

    e, t = both(prog)
    assert e == t


def test_cifar_script_kuangliu_style(tmp_path):
    def prog(torch, nn, F, net, ckpt):  # kuangliu/pytorch-cifar main.py + imagenet's accuracy(), shortened
        def init_weights(m):
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

        def accuracy(output, target, topk=(1,)):
            with torch.no_grad():
                maxk = max(topk)
                batch_size = target.size(0)
                _, pred = output.topk(maxk, 1, True, True)
                pred = pred.t()
                correct = pred.eq(target.view(1, -1).expand_as(pred))
                res = []
                for k in topk:
                    correct_k = correct[:k].reshape(-1).float().sum(0, keepdim=True)
                    res.append(correct_k.mul_(100.0 / batch_size))
                return res
        torch.manual_seed(0)
        net.apply(init_weights)
        stds = [m.weight.data.std().item() for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
        net = net.to(device)
        criterion = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=200)
        inputs, targets = torch.from_numpy(CIFAR_X).to(device), torch.from_numpy(CIFAR_Y).to(device)
        losses = []
        for epoch in range(15):
            net.train()
            inputs, targets = inputs.to(device, non_blocking=True), targets.to(device, non_blocking=True)
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, targets)
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
        net.eval()
        with torch.no_grad():
            outputs = net(inputs)
            _, predicted = outputs.max(1)
            correct = predicted.eq(targets).sum().item()
        acc = 100. * correct / targets.size(0)
        acc1, acc5 = accuracy(outputs, targets, topk=(1, 5))
        state = {'net': net.state_dict(), 'acc': acc, 'epoch': 15}
        torch.save(state, ckpt)
        checkpoint = torch.load(ckpt)
        net.load_state_dict(checkpoint['net'])
        return losses, acc, acc1.item(), acc5.item(), checkpoint['epoch'], stds, scheduler.get_last_lr()

    e = prog(*LIBS["ember"], blitz_net(*LIBS["ember"]), str(tmp_path / "ckpt.pth"))
    t = prog(*LIBS["torch"], blitz_net(*LIBS["torch"]), str(tmp_path / "ckpt_t.pth"))
    assert e[0][-1] < e[0][0] and e[1] == e[2] and e[2] <= e[3] and e[4] == 15
    close(e[5], t[5], rtol=0.35)       # kaiming fan_out / normal(0, 0.01): the scale, not the values
    close(e[6], t[6], rtol=1e-6)


def test_save_load_state_dict_and_torch_checkpoint(tmp_path):
    e_net, t_net = twin(blitz_net)
    x = np.random.default_rng(2).standard_normal((2, 3, 32, 32)).astype(np.float32)
    # a checkpoint written by PyTorch itself, read by ember (and ember's own round trip)
    real_torch.save(t_net.state_dict(), tmp_path / "torch_model.pth")
    e_model = blitz_net(*LIBS["ember"])
    e_model.load_state_dict(ember.load(str(tmp_path / "torch_model.pth")))
    e_model.eval()
    close(e_model(ember.from_numpy(x)), t_net(real_torch.from_numpy(x)), atol=1e-5)
    # the tutorial's full checkpoint: model, optimizer, epoch and loss in one dict
    optimizer = ember.optim.Adam(e_net.parameters(), lr=1e-3)
    e_net(ember.from_numpy(x)).sum().backward()
    optimizer.step()
    path = str(tmp_path / "checkpoint.tar")
    ember.save({'epoch': 5, 'model_state_dict': e_net.state_dict(),
                'optimizer_state_dict': optimizer.state_dict(), 'loss': 0.25}, path)
    model2 = blitz_net(*LIBS["ember"])
    optimizer2 = ember.optim.Adam(model2.parameters(), lr=1e-3)
    checkpoint = ember.load(path, map_location=ember.device('cpu'))
    model2.load_state_dict(checkpoint['model_state_dict'])
    optimizer2.load_state_dict(checkpoint['optimizer_state_dict'])
    assert checkpoint['epoch'] == 5 and checkpoint['loss'] == 0.25
    assert optimizer2.state_dict()['state'][0]['step'] == 1
    close(model2(ember.from_numpy(x)), e_net(ember.from_numpy(x)))


def test_finetune_frozen_backbone_param_groups():
    def build(torch, nn, F):
        return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))

    def prog(torch, nn, F, model):  # transfer-learning tutorial: freeze, new head, per-group lr
        for name, p in model.named_parameters():
            if name.startswith('0.'):
                p.requires_grad = False
        frozen = model[0].weight.detach().clone()
        optimizer = torch.optim.SGD([{'params': model[2].parameters()},
                                     {'params': model[4].parameters(), 'lr': 1e-2}], lr=1e-3, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.1)
        n_trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        x = torch.from_numpy(np.linspace(-1, 1, 64, dtype=np.float32).reshape(8, 8))
        y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1], dtype=torch.long)
        norms = []
        for step in range(6):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            norms.append(nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5))
            optimizer.step()
            scheduler.step()
        return (n_trainable, torch.equal(frozen, model[0].weight), model[0].weight.grad is None,
                [g['lr'] for g in optimizer.param_groups], norms, model(x))

    e_net, t_net = twin(build)
    e, t = prog(*LIBS["ember"], e_net), prog(*LIBS["torch"], t_net)
    assert e[:3] == t[:3]
    close(e[3:], t[3:], rtol=1e-4)


def test_autograd_grad_gradient_penalty():
    def build(torch, nn, F):
        return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))

    def prog(torch, nn, F, critic):  # WGAN-GP gradient penalty
        real = torch.from_numpy(np.linspace(-1, 1, 24, dtype=np.float32).reshape(6, 4))
        fake = torch.from_numpy(np.cos(np.arange(24, dtype=np.float32)).reshape(6, 4))
        alpha = torch.from_numpy(np.linspace(0, 1, 6, dtype=np.float32)).view(-1, 1)
        interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        d_interpolates = critic(interpolates)
        gradients = torch.autograd.grad(outputs=d_interpolates, inputs=interpolates,
                                        grad_outputs=torch.ones_like(d_interpolates),
                                        create_graph=True, retain_graph=True, only_inputs=True)[0]
        gradients = gradients.view(gradients.size(0), -1)
        gradient_penalty = ((gradients.norm(2, dim=1) - 1) ** 2).mean() * 10
        gradient_penalty.backward()
        return gradient_penalty, [p.grad for p in critic.parameters()]

    e_net, t_net = twin(build)
    close(prog(*LIBS["ember"], e_net), prog(*LIBS["torch"], t_net))


def test_embedding_lstm_packed_sequences():
    def build(torch, nn, F):
        class LSTMClassifier(nn.Module):
            def __init__(self, vocab_size=20, embed_dim=6, hidden_dim=5, n_classes=3):
                super().__init__()
                self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
                self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=2, batch_first=True, bidirectional=True)
                self.fc = nn.Linear(2 * hidden_dim, n_classes)

            def forward(self, text, lengths):
                embedded = self.embedding(text)
                packed = nn.utils.rnn.pack_padded_sequence(embedded, lengths.cpu(), batch_first=True,
                                                           enforce_sorted=False)
                packed_out, (hidden, cell) = self.lstm(packed)
                out, out_lengths = nn.utils.rnn.pad_packed_sequence(packed_out, batch_first=True)
                hidden = torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)
                return self.fc(hidden), out, out_lengths
        return LSTMClassifier()

    def prog(torch, nn, F, model):
        seqs = [torch.tensor([3, 4, 5, 6]), torch.tensor([7, 8]), torch.tensor([9, 10, 11])]
        lengths = torch.tensor([len(s) for s in seqs])
        text = nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=0)
        logits, out, out_lengths = model(text, lengths)
        loss = F.cross_entropy(logits, torch.tensor([0, 1, 2]))
        loss.backward()
        return logits, out, out_lengths, model.embedding.weight.grad, model.lstm.weight_hh_l0.grad

    e_net, t_net = twin(build)
    close(prog(*LIBS["ember"], e_net), prog(*LIBS["torch"], t_net), atol=1e-5)


def test_transformer_encoder_language_model():
    def build(torch, nn, F):
        class PositionalEncoding(nn.Module):  # the "Language Modeling with nn.Transformer" tutorial
            def __init__(self, d_model, dropout=0.1, max_len=50):
                super().__init__()
                self.dropout = nn.Dropout(p=dropout)
                position = torch.arange(max_len).unsqueeze(1)
                div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
                pe = torch.zeros(max_len, 1, d_model)
                pe[:, 0, 0::2] = torch.sin(position * div_term)
                pe[:, 0, 1::2] = torch.cos(position * div_term)
                self.register_buffer('pe', pe)

            def forward(self, x):
                return self.dropout(x + self.pe[:x.size(0)])

        class TransformerModel(nn.Module):
            def __init__(self, ntoken=30, d_model=16, nhead=2, d_hid=32, nlayers=2, dropout=0.1):
                super().__init__()
                self.pos_encoder = PositionalEncoding(d_model, dropout)
                layers = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
                self.transformer_encoder = nn.TransformerEncoder(layers, nlayers, enable_nested_tensor=False)
                self.embedding = nn.Embedding(ntoken, d_model)
                self.d_model = d_model
                self.linear = nn.Linear(d_model, ntoken)

            def forward(self, src, src_mask=None):
                src = self.embedding(src) * math.sqrt(self.d_model)
                src = self.pos_encoder(src)
                output = self.transformer_encoder(src, src_mask)
                return self.linear(output)
        return TransformerModel()

    def prog(torch, nn, F, model):
        src = torch.from_numpy(np.arange(24).reshape(8, 3) % 30)       # (seq, batch)
        src_mask = nn.Transformer.generate_square_subsequent_mask(src.size(0))
        model.eval()
        with torch.no_grad():
            out = model(src, src_mask)
        model.train()
        optimizer = torch.optim.SGD(model.parameters(), lr=5.0)
        losses = []
        for _ in range(5):
            output = model(src, src_mask)
            loss = F.cross_entropy(output.view(-1, 30), src.roll(-1, 0).reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optimizer.step()
            losses.append(loss.item())
        return out, losses

    e_net, t_net = twin(build)
    e, t = prog(*LIBS["ember"], e_net), prog(*LIBS["torch"], t_net)
    close(e[0], t[0], atol=1e-4)
    assert e[1][-1] < e[1][0]


def test_custom_dataset_random_split_dataloader():
    def prog(torch, nn, F):
        from_data = torch.utils.data

        class CSVLikeDataset(from_data.Dataset):
            def __init__(self, n=50, transform=None):
                self.x = np.arange(n * 3, dtype=np.float64).reshape(n, 3)
                self.y = np.arange(n) % 4
                self.transform = transform

            def __len__(self):
                return len(self.x)

            def __getitem__(self, idx):
                if torch.is_tensor(idx):
                    idx = idx.tolist()
                sample = {'features': torch.from_numpy(self.x[idx]).float(), 'label': int(self.y[idx])}
                return self.transform(sample) if self.transform else sample

        dataset = CSVLikeDataset()
        train_size = int(0.8 * len(dataset))
        train_ds, val_ds = from_data.random_split(dataset, [train_size, len(dataset) - train_size],
                                                  generator=torch.Generator().manual_seed(42))
        train_loader = from_data.DataLoader(train_ds, batch_size=16, shuffle=True, drop_last=False)
        val_loader = from_data.DataLoader(val_ds, batch_size=16)
        batches = [(b['features'].shape, b['features'].dtype == torch.float32,
                    b['label'].dtype == torch.int64) for b in train_loader]
        seen = sorted(i for b in val_loader for i in (b['features'][:, 0] / 3).long().tolist())
        return len(train_ds), len(val_ds), len(train_loader), len(val_loader), batches, len(seen)

    e, t = both(prog)
    assert e == t


def test_mnist_example_log_softmax_nll():
    def build(torch, nn, F):
        class Net(nn.Module):  # pytorch/examples mnist/main.py, on 12x12 inputs
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 8, 3, 1)
                self.conv2 = nn.Conv2d(8, 16, 3, 1)
                self.dropout1 = nn.Dropout(0.25)
                self.dropout2 = nn.Dropout(0.5)
                self.fc1 = nn.Linear(16 * 4 * 4, 32)
                self.fc2 = nn.Linear(32, 10)

            def forward(self, x):
                x = F.relu(self.conv1(x))
                x = F.relu(self.conv2(x))
                x = F.max_pool2d(x, 2)
                x = self.dropout1(x)
                x = torch.flatten(x, 1)
                x = F.relu(self.fc1(x))
                x = self.dropout2(x)
                return F.log_softmax(self.fc2(x), dim=1)
        return Net()

    def prog(torch, nn, F, model):
        rng = np.random.default_rng(3)
        data = torch.from_numpy(rng.random((32, 1, 12, 12), dtype=np.float32))
        target = torch.from_numpy(rng.integers(0, 10, 32))
        model.eval()
        test_loss, correct = 0, 0
        with torch.no_grad():
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
        optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
        model.train()
        losses = []
        for epoch in range(8):
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
        return test_loss / len(target), correct, losses

    e_net, t_net = twin(build)
    e, t = prog(*LIBS["ember"], e_net), prog(*LIBS["torch"], t_net)
    close(e[0], t[0])
    assert e[1] == t[1] and e[2][-1] < e[2][0]


def test_dcgan_style_training_step():
    def prog(torch, nn, F):  # DCGAN tutorial, 16x16 images
        nz, ngf, ndf = 8, 4, 4

        def weights_init(m):
            classname = m.__class__.__name__
            if classname.find('Conv') != -1:
                nn.init.normal_(m.weight.data, 0.0, 0.02)
            elif classname.find('BatchNorm') != -1:
                nn.init.normal_(m.weight.data, 1.0, 0.02)
                nn.init.constant_(m.bias.data, 0)

        netG = nn.Sequential(nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 2),
                             nn.ReLU(True), nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
                             nn.BatchNorm2d(ngf), nn.ReLU(True),
                             nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False), nn.Tanh())
        netD = nn.Sequential(nn.Conv2d(3, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
                             nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2),
                             nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
                             nn.Sigmoid())
        netG.apply(weights_init)
        netD.apply(weights_init)
        criterion = nn.BCELoss()
        device = torch.device("cpu")
        fixed_noise = torch.randn(4, nz, 1, 1, device=device)
        real_label, fake_label = 1., 0.
        optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
        optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
        real_cpu = torch.rand(4, 3, 16, 16) * 2 - 1
        for i in range(2):
            netD.zero_grad()
            b_size = real_cpu.size(0)
            label = torch.full((b_size,), real_label, dtype=torch.float, device=device)
            output = netD(real_cpu).view(-1)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()
            noise = torch.randn(b_size, nz, 1, 1, device=device)
            fake = netG(noise)
            label.fill_(fake_label)
            output = netD(fake.detach()).view(-1)
            errD_fake = criterion(output, label)
            errD_fake.backward()
            errD = errD_real + errD_fake
            optimizerD.step()
            netG.zero_grad()
            label.fill_(real_label)
            output = netD(fake).view(-1)
            errG = criterion(output, label)
            errG.backward()
            optimizerG.step()
        with torch.no_grad():
            fake = netG(fixed_noise).detach().cpu()
        return fake.shape, math.isfinite(errD.item() + errG.item() + D_x), float(fake.abs().max()) <= 1

    e, t = both(prog)
    assert tuple(e[0]) == tuple(t[0]) and e[1:] == t[1:]


def _x(torch):
    return torch.from_numpy(np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4))


def _qkm(torch):
    rng = np.random.default_rng(4)
    return (torch.from_numpy(rng.standard_normal((2, 3, 4), dtype=np.float32)),
            torch.from_numpy(rng.standard_normal((2, 5, 4), dtype=np.float32)),
            torch.from_numpy(rng.standard_normal((3, 4), dtype=np.float32)))


def test_tensor_creation_and_conversion_idioms():
    def shares_memory(torch, nn, F):
        a = np.arange(6, dtype=np.float32).reshape(2, 3)
        x = torch.from_numpy(a)
        a[0, 0] = 10.0
        return x[0, 0].item(), x.numpy().dtype.name, x.detach().cpu().numpy().tolist()

    check_idioms({
        "from_numpy shares memory": shares_memory,
        "torch.Tensor(3, 4)": lambda torch, nn, F: (torch.Tensor(3, 4).shape, torch.Tensor(3, 4).dtype),
        "torch.FloatTensor([1, 2])": lambda torch, nn, F: torch.FloatTensor([1, 2]),
        "torch.LongTensor([1, 2])": lambda torch, nn, F: torch.LongTensor([1, 2]),
        "tensor(dtype=long)": lambda torch, nn, F: torch.tensor([1, 2], dtype=torch.long),
        "x.to(float16)": lambda torch, nn, F: _x(torch).to(torch.float16),
        "x.half().float()": lambda torch, nn, F: _x(torch).half().float(),
        "x.new_zeros(2, 2)": lambda torch, nn, F: _x(torch).new_zeros(2, 2),
        "x.new_ones((1, 2))": lambda torch, nn, F: _x(torch).new_ones((1, 2)),
        "x.new_tensor([1, 2])": lambda torch, nn, F: _x(torch).new_tensor([1, 2]),
        "x.new_full((2,), 7)": lambda torch, nn, F: _x(torch).new_full((2,), 7),
        "arange(4).float()": lambda torch, nn, F: torch.arange(4).float(),
        "y.type_as(x)": lambda torch, nn, F: torch.tensor([1, 2]).type_as(_x(torch)),
        "x.size(-1), x.size()": lambda torch, nn, F: (_x(torch).size(-1), _x(torch).size()),
        "is_tensor": lambda torch, nn, F: (torch.is_tensor(_x(torch)), torch.is_tensor(np.ones(2))),
        "numel": lambda torch, nn, F: (torch.numel(_x(torch)), _x(torch).nelement()),
        "zeros(x.size())": lambda torch, nn, F: torch.zeros(_x(torch).size()),
        "x.type()": lambda torch, nn, F: (_x(torch).type(), _x(torch).long().type()),
        "item / tolist": lambda torch, nn, F: (torch.tensor(3.5).item(),
                                               torch.tensor([[1, 2], [3, 4]]).tolist()),
        "int() float() format": lambda torch, nn, F: (int(torch.tensor(7)), float(torch.tensor(2.5)),
                                                      f"{torch.tensor(0.123456):.3f}"),
        "as_tensor(np, dtype)": lambda torch, nn, F: torch.as_tensor(np.ones(2), dtype=torch.float32),
        "tensor(list of 0-d)": lambda torch, nn, F: torch.tensor([torch.tensor(1.0), torch.tensor(2.0)]),
        "finfo / iinfo": lambda torch, nn, F: (torch.finfo(torch.float32).eps, torch.iinfo(torch.int64).max),
        "torch.pi / inf / nan": lambda torch, nn, F: (torch.pi, torch.inf, math.isnan(torch.nan)),
        # no bfloat16: NumPy has none (ember says so clearly: tests/test_misc_api.py)
    })


def test_tensor_math_idioms():
    def clamp_(torch, nn, F):
        y = _x(torch).clone()
        y.clamp_(0, 1)
        return y

    check_idioms({
        "clamp_(0, 1)": clamp_,
        "masked_fill_(-inf)": lambda torch, nn, F: _x(torch).masked_fill_(_x(torch) < 0, float('-inf')),
        "where(c, x, zeros_like)": lambda torch, nn, F: torch.where(_x(torch) > 0, _x(torch),
                                                                    torch.zeros_like(_x(torch))),
        "where(c, 1.0, 0.0)": lambda torch, nn, F: torch.where(_x(torch) > 0, 1.0, 0.0),
        "chunk": lambda torch, nn, F: torch.chunk(_x(torch), 2, dim=1),
        "sort descending": lambda torch, nn, F: torch.sort(_x(torch)[:, 1], descending=True),
        "topk": lambda torch, nn, F: tuple(torch.topk(_x(torch), 2, dim=1)),
        "argmax(dim=1)": lambda torch, nn, F: (torch.argmax(_x(torch), dim=1), _x(torch).argmax(1)),
        "cumsum": lambda torch, nn, F: torch.cumsum(_x(torch), dim=0),
        "expand(3, -1)": lambda torch, nn, F: _x(torch)[:1].expand(3, -1),
        "repeat": lambda torch, nn, F: (_x(torch).repeat(2, 1), _x(torch).repeat(1, 1, 2)),
        "cat / stack of lists": lambda torch, nn, F: (torch.cat([_x(torch)] * 2, dim=0),
                                                      torch.stack([_x(torch)] * 2, dim=1),
                                                      torch.stack(list(_x(torch)))),
        "view(x.size(0), -1)": lambda torch, nn, F: _x(torch).view(_x(torch).size(0), -1),
        "reductions": lambda torch, nn, F: (_x(torch).mean(dim=1, keepdim=True), _x(torch).std(dim=0),
                                            _x(torch).max(), _x(torch).min(dim=0)[0]),
        "isnan(x).any().item()": lambda torch, nn, F: torch.isnan(_x(torch).log()).any().item(),
        "allclose / equal": lambda torch, nn, F: (torch.allclose(_x(torch), _x(torch) + 1e-9),
                                                  torch.equal(_x(torch), _x(torch).clone())),
        "(x > 0).float().mean()": lambda torch, nn, F: ((_x(torch) > 0).float().mean(),
                                                        (_x(torch) > 0).sum(1)),
        "// and %": lambda torch, nn, F: (_x(torch) // 0.7, _x(torch) % 0.7),
        "bmm / sqrt(d)": lambda torch, nn, F: (lambda q, k, m: torch.bmm(q, k.transpose(1, 2))
                                               / math.sqrt(q.size(-1)))(*_qkm(torch)),
        "baddbmm": lambda torch, nn, F: (lambda q, k, m: torch.baddbmm(
            torch.zeros(2, 3, 5), q, k.transpose(1, 2), beta=0.5, alpha=0.25))(*_qkm(torch)),
        "addmm": lambda torch, nn, F: (lambda q, k, m: torch.addmm(torch.ones(5), m, k[0].t()))(*_qkm(torch)),
        "einsum": lambda torch, nn, F: (lambda q, k, m: (torch.einsum('bik,bjk->bij', q, k),
                                                         torch.einsum('ij,jk', m, m.t())))(*_qkm(torch)),
        "norm": lambda torch, nn, F: (lambda q, k, m: (
            torch.norm(m), torch.norm(m, dim=1), torch.norm(m, p='fro'),
            m.norm(p=2, dim=1, keepdim=True)))(*_qkm(torch)),
        "torch.dist": lambda torch, nn, F: torch.dist(_x(torch), _x(torch) * 0.5),
        "torch.cdist": lambda torch, nn, F: (lambda q, k, m: torch.cdist(q, k))(*_qkm(torch)),
        "torch.unique": lambda torch, nn, F: torch.unique(torch.tensor([2, 0, 2, 1]), return_counts=True),
        "torch.bincount": lambda torch, nn, F: torch.bincount(torch.tensor([2, 0, 2, 1])),
        "repeat_interleave": lambda torch, nn, F: torch.tensor([1, 2]).repeat_interleave(2),
        "addcmul_": lambda torch, nn, F: _x(torch).addcmul_(_x(torch), _x(torch), value=0.5),
        "meshgrid": lambda torch, nn, F: torch.meshgrid(torch.arange(2), torch.arange(3), indexing='ij'),
        "searchsorted": lambda torch, nn, F: torch.searchsorted(torch.tensor([1, 3, 5]),
                                                                torch.tensor([2, 6])),
    })


def test_inference_mode_no_grad_and_printoptions():
    def prog(torch, nn, F):
        model = nn.Linear(3, 2)
        x = torch.ones(2, 3)
        with torch.inference_mode():
            a = model(x)
        with torch.no_grad():
            b = model(x)

        @torch.no_grad()
        def predict(inp):
            return model(inp)
        c = predict(x)
        d = model(x)
        v = torch.tensor([[1.123456, 2.5, -3.0], [1e-4, 0.0, 100.0]])
        torch.set_printoptions(precision=2)
        short = str(v)
        torch.set_printoptions(profile="default")
        torch.set_printoptions(sci_mode=False)
        nosci = repr(v)
        torch.set_printoptions(profile="default")
        return (a.requires_grad, b.requires_grad, c.requires_grad, d.requires_grad, a.is_inference(),
                short, nosci, str(v), repr(torch.arange(3)), repr(torch.tensor([1.5], requires_grad=True)),
                str(torch.zeros(2, dtype=torch.int32)), str(torch.tensor(True)))

    e, t = both(prog)
    close(e, t)      # ember prints its dtypes as ember.int32: close() reads them as torch.int32


def test_manual_seed_reproducibility_and_lr_schedulers():
    def prog(torch, nn, F):
        torch.manual_seed(123)
        a = torch.randn(5)
        m1 = nn.Linear(4, 4)
        torch.manual_seed(123)
        b = torch.randn(5)
        m2 = nn.Linear(4, 4)
        same = torch.equal(a, b) and torch.equal(m1.weight, m2.weight)
        opt = torch.optim.SGD(m1.parameters(), lr=0.1, momentum=0.9)
        lam = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=lambda epoch: 0.95 ** epoch)
        opt2 = torch.optim.SGD(m2.parameters(), lr=0.1)
        plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt2, mode='min', factor=0.5, patience=1)
        opt3 = torch.optim.AdamW(m2.parameters(), lr=1e-3)
        onecycle = torch.optim.lr_scheduler.OneCycleLR(opt3, max_lr=0.01, total_steps=10)
        lrs = []
        for epoch in range(8):
            opt.step()
            opt3.step()
            lam.step()
            onecycle.step()
            plateau.step(1.0)
            lrs.append((lam.get_last_lr()[0], opt2.param_groups[0]['lr'], onecycle.get_last_lr()[0]))
        return same, lrs

    e, t = both(prog)
    assert e[0] and t[0]
    close(e[1], t[1], rtol=1e-6)


def test_model_summary_idioms():
    def prog(torch, nn, F):
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                              nn.Flatten(), nn.Linear(4 * 8 * 8, 10))
        total = sum(p.numel() for p in model.parameters())
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        names = [n for n, _ in model.named_parameters()]
        buffers = [n for n, _ in model.named_buffers()]
        shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        feats = []
        handle = model[2].register_forward_hook(lambda mod, inp, out: feats.append(tuple(out.shape)))
        model(torch.zeros(2, 1, 8, 8))
        handle.remove()
        model(torch.zeros(2, 1, 8, 8))
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(model[0].weight)
        return total, trainable, names, buffers, shapes, feats, repr(model), fan_in, fan_out

    e, t = both(prog)
    close(e, t)


def test_amp_recipe_disabled_on_cpu():
    def prog(torch, nn, F):  # the "Automatic Mixed Precision" recipe, as scripts run it on a CPU machine
        device = "cuda" if torch.cuda.is_available() else "cpu"
        use_amp = device == "cuda"
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4)).to(device)
        opt = torch.optim.SGD(net.parameters(), lr=0.01)
        scaler = torch.amp.GradScaler(device, enabled=use_amp)
        x, y = torch.randn(16, 8, device=device), torch.randn(16, 4, device=device)
        losses = []
        for epoch in range(3):
            with torch.autocast(device_type=device, dtype=torch.float16, enabled=use_amp):
                output = net(x)
                loss = F.mse_loss(output, y)
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            scaler.step(opt)
            scaler.update()
            opt.zero_grad(set_to_none=True)
            losses.append(loss.item())
        return output.dtype, losses[-1] < losses[0], scaler.state_dict()

    e, t = both(prog)
    close(e, t)


def test_word_language_model_tied_weights_and_sampling():
    def build(torch, nn, F):
        class RNNModel(nn.Module):  # pytorch/examples word_language_model/model.py, tied weights
            def __init__(self, ntoken=25, ninp=8, nhid=8, nlayers=2, dropout=0.2):
                super().__init__()
                self.drop = nn.Dropout(dropout)
                self.encoder = nn.Embedding(ntoken, ninp)
                self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
                self.decoder = nn.Linear(nhid, ntoken)
                self.decoder.weight = self.encoder.weight
                self.nhid, self.nlayers, self.ntoken = nhid, nlayers, ntoken
                initrange = 0.1
                nn.init.uniform_(self.encoder.weight, -initrange, initrange)
                nn.init.zeros_(self.decoder.bias)

            def forward(self, input, hidden):
                emb = self.drop(self.encoder(input))
                output, hidden = self.rnn(emb, hidden)
                output = self.drop(output)
                decoded = self.decoder(output).view(-1, self.ntoken)
                return F.log_softmax(decoded, dim=1), hidden

            def init_hidden(self, bsz):
                weight = next(self.parameters())
                return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                        weight.new_zeros(self.nlayers, bsz, self.nhid))
        return RNNModel()

    def prog(torch, nn, F, model):
        def batchify(data, bsz):
            nbatch = data.size(0) // bsz
            data = data.narrow(0, 0, nbatch * bsz)
            return data.view(bsz, -1).t().contiguous()

        def repackage_hidden(h):
            if isinstance(h, torch.Tensor):
                return h.detach()
            return tuple(repackage_hidden(v) for v in h)

        train_data = batchify(torch.from_numpy(np.arange(83) * 7 % 25), 4)       # (20, 4)
        n_params = len(list(model.parameters()))
        model.eval()
        with torch.no_grad():
            out0, _ = model(train_data[:5], model.init_hidden(4))
        model.train()
        criterion = nn.NLLLoss()
        lr, bptt, losses = 5.0, 5, []
        hidden = model.init_hidden(4)
        for epoch in range(3):
            for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
                seq_len = min(bptt, len(train_data) - 1 - i)
                data, targets = train_data[i:i + seq_len], train_data[i + 1:i + 1 + seq_len].view(-1)
                model.zero_grad()
                hidden = repackage_hidden(hidden)
                output, hidden = model(data, hidden)
                loss = criterion(output, targets)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
                for p in model.parameters():
                    p.data.add_(p.grad, alpha=-lr)
                losses.append(loss.item())
        # generate.py: sample words one at a time
        model.eval()
        input = torch.randint(25, (1, 1), dtype=torch.long)
        hidden, words = model.init_hidden(1), []
        with torch.no_grad():
            for i in range(5):
                output, hidden = model(input, hidden)
                word_weights = output.squeeze().div(1.0).exp().cpu()
                word_idx = torch.multinomial(word_weights, 1)[0]
                input.fill_(word_idx)
                words.append(int(word_idx))
        return (n_params, model.decoder.weight is model.encoder.weight, out0,
                math.exp(losses[-1]) < math.exp(losses[0]), len(words), all(0 <= w < 25 for w in words))

    e_net, t_net = twin(build)
    close(prog(*LIBS["ember"], e_net), prog(*LIBS["torch"], t_net), atol=1e-5)
