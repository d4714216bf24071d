"""Loss, optimizer and the Learner from scratch (steps 7, 8 and 10 of the course).

The Learner runs the training loop and calls its callbacks by event name ('before_fit',
'before_epoch', 'before_batch', 'after_batch', 'after_epoch', 'after_fit'); each callback
sees the learner's attributes (model, opt, batch, preds, loss, epoch, num, ...) as its own.
"""
import ember as torch


def nll(input, target):
    # the chapter indexes with range(n); ember wants an index tensor for advanced indexing
    return -input[torch.arange(target.shape[0]), target].mean()


def log_softmax(x):
    # x - log(sum(exp(x))), with the max subtracted inside logsumexp so exp cannot overflow
    return x - x.logsumexp(-1, keepdim=True)


def logsumexp(x):
    """logsumexp written out, as the chapter does before it uses Tensor.logsumexp."""
    m = x.max(-1)[0]
    return m + (x - m[:, None]).exp().sum(-1).log()


def cross_entropy(preds, yb):
    return nll(log_softmax(preds), yb).mean()


class SGD:
    """Plain SGD with weight decay; the gradients are zeroed after each step."""

    def __init__(self, params, lr, wd=0.0):
        self.params, self.lr, self.wd = params, lr, wd

    def step(self):
        for p in self.params:
            p.data -= (p.grad.data + p.data * self.wd) * self.lr
            p.grad.data.zero_()


class CancelFitException(Exception):
    """Raised by a callback to end fit early (after_fit still runs)."""


def noop(*args, **kwargs):
    return None


class Learner:
    def __init__(self, model, dls, loss_func, lr, cbs, opt_func=SGD, progress=False):
        self.model, self.dls, self.loss_func, self.lr = model, dls, loss_func, lr
        self.cbs, self.opt_func, self.progress = cbs, opt_func, progress
        for cb in cbs:
            cb.learner = self

    def one_batch(self):
        self("before_batch")
        xb, yb = self.batch
        self.preds = self.model(xb)
        self.loss = self.loss_func(self.preds, yb)
        if self.model.training:
            self.loss.backward()
            self.opt.step()
        self("after_batch")

    def one_epoch(self, train):
        self.model.training = train
        self("before_epoch")
        dl = self.dls.train if train else self.dls.valid
        if self.progress:
            from tqdm import tqdm
            dl = tqdm(dl, leave=False, desc="train" if train else "valid")
        # no graph for validation: nothing is backpropagated there
        with torch.set_grad_enabled(train):
            for self.num, self.batch in enumerate(dl):
                self.one_batch()
        self("after_epoch")

    def fit(self, n_epochs):
        self("before_fit")
        self.opt = self.opt_func(self.model.parameters(), self.lr)
        self.n_epochs = n_epochs
        try:
            for self.epoch in range(n_epochs):
                self.one_epoch(True)
                self.one_epoch(False)
        except CancelFitException:
            pass
        self("after_fit")

    def __call__(self, name):
        for cb in self.cbs:
            getattr(cb, name, noop)()
