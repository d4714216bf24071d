"""SyncBatchNorm: batch norm whose statistics are computed over the whole global batch.

In training each rank sums its inputs (and counts them); one all-reduce gives the global mean,
a second one the global sum of squared deviations, so the variance is exact (no E[x²] - E[x]²
cancellation). ``_AllReduceSum`` is differentiable: the gradient of a sum over ranks is the
sum over ranks of the gradients, so backward all-reduces too, and every rank's input gradient
is the one full-batch BatchNorm would give. Outside training, or without a process group of
more than one rank, it is plain BatchNorm.
"""
from ... import _creation
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad
from ...ops.join import cat
from .batchnorm import _BatchNorm

__all__ = ["SyncBatchNorm"]


class _AllReduceSum(Function):
    """y = Σ_ranks x;  dL/dx = Σ_ranks dL/dy (each rank's loss depends on every rank's x)."""

    @staticmethod
    def forward(ctx, x, group):
        from ... import distributed as dist
        ctx.group = group
        out = x.detach().clone()
        dist.all_reduce(out, group=group)
        return out

    @staticmethod
    def backward(ctx, g):
        return _AllReduceSum.apply(g, ctx.group), None


class SyncBatchNorm(_BatchNorm):
    """Batch normalization over the batch of every rank of ``process_group`` (PyTorch's
    ``nn.SyncBatchNorm``); input ``(N, C, *)``. Convert a model's BatchNorm layers with
    ``SyncBatchNorm.convert_sync_batchnorm(model)`` before wrapping it in
    DistributedDataParallel."""

    __module__ = "ember.nn.modules.batchnorm"   # PyTorch's path (torch.nn.modules.batchnorm)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def _check_non_zero_input_channels(self, input):
        if input.size(1) == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    def forward(self, input):
        from ... import distributed as dist
        self._check_input_dim(input)
        self._check_non_zero_input_channels(input)
        need_sync = self.training and dist.is_initialized()
        if need_sync:
            group = dist._state._group(self.process_group)
            need_sync = group.size() > 1
        if not need_sync:
            return super().forward(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)
        C = input.size(1)
        dims = [0] + list(range(2, input.dim()))
        shape = [1, C] + [1] * (input.dim() - 2)
        local_n = input.numel() // C
        count = _creation.full((1,), float(local_n), dtype=input.dtype, device=input.device)
        stats = _AllReduceSum.apply(cat([input.sum(dims), count]), group)
        n = float(stats[C].item())
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {list(input.shape)} on this rank and {int(n)} values in all")
        mean = stats[:C] / n
        centered = input - mean.reshape(shape)
        var = _AllReduceSum.apply((centered * centered).sum(dims), group) / n
        out = centered * (var + self.eps).rsqrt().reshape(shape)
        if self.weight is not None:
            out = out * self.weight.reshape(shape)
        if self.bias is not None:
            out = out + self.bias.reshape(shape)
        if self.track_running_stats and self.running_mean is not None:
            with no_grad():
                self.running_mean.mul_(1 - factor).add_(mean.detach() * factor)
                self.running_var.mul_(1 - factor).add_(var.detach() * (factor * n / (n - 1)))
        return out

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm*D layer replaced by a SyncBatchNorm sharing its
        parameters and buffers (the module itself when it is such a layer)."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = SyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                                module.track_running_stats, process_group)
            if module.affine:
                with no_grad():
                    out.weight = module.weight
                    out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
            if hasattr(module, "qconfig"):
                out.qconfig = module.qconfig
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out

