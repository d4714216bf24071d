"""DataParallel: one process, a batch split across several CuPy devices (PyTorch's
``nn.DataParallel`` and ``nn.parallel.data_parallel``).

Each forward replicates the module onto the devices (the replicas' parameters are
differentiable copies of the originals, so gradients flow back to them), scatters the inputs
in chunks along ``dim``, runs the replicas one device after another and gathers the outputs
on ``output_device``. With no GPU, or one, it is transparent: the module runs as it is. The
functions ``replicate``, ``scatter`` and ``gather`` take any devices (CPU included), which is
how the multi-replica path is tested on machines without GPUs.
"""
import copy

from ... import _device
from ..._tensor import Tensor
from ...ops.join import cat
from ..modules.module import Module

__all__ = ["DataParallel", "data_parallel", "replicate", "scatter", "gather", "parallel_apply"]


def _cuda_ids(device_ids):
    from ... import cuda
    if not cuda.is_available():
        return []
    if device_ids is None:
        return list(range(cuda.device_count()))
    return [_index(d) for d in device_ids]


def _index(d):
    if isinstance(d, int):
        return d
    d = _device.to_device(d)
    if d.type != "cuda":
        raise ValueError(f"DataParallel device_ids must be CUDA devices, got {d}")
    return d.index or 0


def _dev(d):
    return _device.to_device(f"cuda:{d}" if isinstance(d, int) else d)


def replicate(network, devices, detach=False):
    """Copies of ``network`` on ``devices`` whose parameters are differentiable copies of the
    original's (``detach=True``: plain copies)."""
    devices = [_dev(d) for d in devices]
    return [_replica(network, d, detach, {}) for d in devices]


def _replica(m, device, detach, memo):
    if id(m) in memo:
        return memo[id(m)]
    r = copy.copy(m)   # shares everything but the three registries, replaced below
    memo[id(m)] = r
    d = r.__dict__
    d["_parameters"] = {k: None if p is None else (p.detach() if detach else p).to(device)
                        for k, p in m._parameters.items()}
    d["_buffers"] = {k: None if b is None else b.to(device) for k, b in m._buffers.items()}
    d["_modules"] = {k: None if c is None else _replica(c, device, detach, memo)
                     for k, c in m._modules.items()}
    return r


def scatter(inputs, target_gpus, dim=0):
    """Split every tensor in ``inputs`` (nested in tuples, lists, dicts) into chunks along
    ``dim``, one per device; other objects are repeated. Returns one tuple per device."""
    devices = [_dev(d) for d in target_gpus]

    def split(obj):
        if isinstance(obj, Tensor):
            return [c.to(d) for c, d in zip(obj.chunk(len(devices), dim), devices)]
        if isinstance(obj, (tuple, list)) and obj:
            parts = list(zip(*[split(o) for o in obj]))
            return [type(obj)(p) if type(obj) in (tuple, list) else type(obj)(*p) for p in parts]
        if isinstance(obj, dict) and obj:
            keys = list(obj)
            parts = list(zip(*[split(obj[k]) for k in keys]))
            return [type(obj)(zip(keys, p)) for p in parts]
        return [obj] * len(devices)
    out = split(inputs)
    return out


def _scatter_kwargs(inputs, kwargs, devices, dim):
    ins = scatter(inputs, devices, dim) if inputs else []
    kws = scatter(kwargs, devices, dim) if kwargs else []
    n = max(len(ins), len(kws))
    ins = list(ins) + [()] * (n - len(ins))
    kws = list(kws) + [{}] * (n - len(kws))
    return tuple(ins), tuple(kws)


def gather(outputs, target_device, dim=0):
    """Concatenate the per-device ``outputs`` along ``dim`` on ``target_device`` (recursing
    into tuples, lists and dicts)."""
    target = _dev(target_device)
    first = outputs[0]
    if isinstance(first, Tensor):
        return cat([o.to(target) if o.dim() else o.to(target).reshape(1) for o in outputs], dim)
    if first is None:
        return None
    if isinstance(first, dict):
        return type(first)((k, gather([o[k] for o in outputs], target, dim)) for k in first)
    if isinstance(first, (tuple, list)):
        parts = [gather(list(p), target, dim) for p in zip(*outputs)]
        return type(first)(parts) if type(first) in (tuple, list) else type(first)(*parts)
    return outputs


def parallel_apply(modules, inputs, kwargs_tup=None, devices=None):
    """Run ``modules[i](*inputs[i], **kwargs_tup[i])`` for each device (one after another:
    NumPy and CuPy release the GIL in their kernels, and CuPy launches asynchronously)."""
    kwargs_tup = kwargs_tup or ({},) * len(modules)
    outs = []
    for m, a, k in zip(modules, inputs, kwargs_tup):
        outs.append(m(*(a if isinstance(a, (tuple, list)) else (a,)), **k))
    return outs


def _forward_on(module, inputs, kwargs, devices, output_device, dim):
    ins, kws = _scatter_kwargs(inputs, kwargs, devices, dim)
    if not ins:   # no inputs at all: run on the first device only
        ins, kws = ((),), ({},)
    used = devices[:len(ins)]
    if len(used) == 1:
        return module(*ins[0], **kws[0])
    replicas = replicate(module, used)
    return gather(parallel_apply(replicas, ins, kws, used), output_device, dim)


class DataParallel(Module):
    """Split each batch across the GPUs of one process (PyTorch's ``nn.DataParallel``).

    Args:
        module: the model (kept as ``.module``; state dict keys gain ``module.``).
        device_ids: the CUDA devices to use (default: all of them).
        output_device: where outputs are gathered (default ``device_ids[0]``).
        dim: the batch dimension (default 0).

    Without a GPU it is transparent: ``forward`` calls the module directly."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.dim = dim
        ids = _cuda_ids(device_ids)
        self.device_ids = ids
        if not ids:
            self.output_device = None
            self.src_device_obj = None
            return
        self.output_device = _index(ids[0] if output_device is None else output_device)
        self.src_device_obj = _dev(ids[0])
        for t in list(module.parameters()) + list(module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError(f"module must have its parameters and buffers on device "
                                   f"{self.src_device_obj} (device_ids[0]) but found one of them "
                                   f"on device: {t.device}")

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        return _forward_on(self.module, inputs, kwargs, self.device_ids, self.output_device, self.dim)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """The functional form of DataParallel: evaluate ``module(inputs)`` split across
    ``device_ids`` (transparent without a GPU)."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    ids = _cuda_ids(device_ids)
    if not ids:
        return module(*inputs, **(module_kwargs or {}))
    out = _index(ids[0] if output_device is None else output_device)
    return _forward_on(module, inputs, module_kwargs or {}, ids, out, dim)
