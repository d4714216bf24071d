"""Modules and parameters from scratch (steps 5-6 of the course): Parameter, Module, ConvLayer,
Linear, Sequential, AdaptivePool and the simple CNN, with one forward hook per module.

Only ember's tensors, autograd, nn.init and functional conv2d/relu are used; everything that
nn.Module does for us elsewhere (registering parameters and children, the training flag,
hooks) is written here.
"""
import ember as torch
import ember.nn.functional as F
from ember import nn


class Parameter(torch.Tensor):
    """A Tensor marked as learnable: Module.__setattr__ registers it. (The chapter builds it
    with Tensor._make_subclass(Parameter, x, True); ember's Tensor(x) constructor copies x.)"""

    def __init__(self, x):
        super().__init__(x)
        self.requires_grad_()


class Module:
    def __init__(self):
        self.hook, self.params, self.children, self._training = None, [], [], False

    def register_parameters(self, *ps):
        self.params += ps

    def register_modules(self, *ms):
        self.children += ms

    @property
    def training(self):
        return self._training

    @training.setter
    def training(self, v):
        self._training = v
        for m in self.children:
            m.training = v

    def parameters(self):
        return self.params + sum([m.parameters() for m in self.children], [])

    def __setattr__(self, k, v):
        super().__setattr__(k, v)
        if isinstance(v, Parameter):
            self.register_parameters(v)
        if isinstance(v, Module):
            self.register_modules(v)

    def __call__(self, *args, **kwargs):
        res = self.forward(*args, **kwargs)
        if self.hook is not None:
            self.hook(res, args)
        return res

    def to(self, device):
        for p in self.parameters():
            p.data = p.data.to(device)
        return self

    def cuda(self):
        return self.to("cuda")


class ConvLayer(Module):
    """3x3 convolution (padding 1) with an optional ReLU after it."""

    def __init__(self, ni, nf, stride=1, bias=True, act=True):
        super().__init__()
        self.w = Parameter(torch.zeros(nf, ni, 3, 3))
        self.b = Parameter(torch.zeros(nf)) if bias else None
        self.act, self.stride = act, stride
        init = nn.init.kaiming_normal_ if act else nn.init.xavier_normal_
        init(self.w)

    def forward(self, x):
        x = F.conv2d(x, self.w, self.b, stride=self.stride, padding=1)
        if self.act:
            x = F.relu(x)
        return x


class Linear(Module):
    def __init__(self, ni, nf):
        super().__init__()
        self.w = Parameter(torch.zeros(nf, ni))
        self.b = Parameter(torch.zeros(nf))
        nn.init.xavier_normal_(self.w)

    def forward(self, x):
        return x @ self.w.t() + self.b


class Sequential(Module):
    def __init__(self, *layers):
        super().__init__()
        self.layers = layers
        self.register_modules(*layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class AdaptivePool(Module):
    """Average over height and width: (N, C, H, W) -> (N, C)."""

    def forward(self, x):
        return x.mean((2, 3))


def simple_cnn(n_out=10):
    return Sequential(
        ConvLayer(3, 16, stride=2),    # 32
        ConvLayer(16, 32, stride=2),   # 16
        ConvLayer(32, 64, stride=2),   # 8
        ConvLayer(64, 128, stride=2),  # 4
        AdaptivePool(),
        Linear(128, n_out),
    )


def print_stats(outp, inp):
    """A forward hook: the mean and std of a layer's output."""
    print(outp.mean().item(), outp.std().item())
