"""DistributedDataParallel: one model replica per process, gradients averaged over MPI.

At construction rank 0's parameters and buffers are broadcast, so every replica starts equal.
The parameters are split into buckets of about ``bucket_cap_mb`` (in reverse registration
order, roughly the order backward produces their gradients). A hook on each parameter's
``AccumulateGrad`` node marks it ready once its gradient is accumulated; when every parameter
of a bucket is ready, the bucket's gradients are copied into one flat buffer, divided by the
world size and handed to a non-blocking all-reduce, so communication runs while backward goes
on. Buckets are launched strictly in index order, so every rank issues its collectives in the
same order even when their graphs differ (``find_unused_parameters``). When the last bucket is
launched the hook waits for them all and writes the averaged gradients back into ``.grad``.
"""
import contextlib

import numpy as np

from ... import distributed as dist
from ..._tensor import Tensor
from ...autograd.function import accumulator_for
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]


def _xp(a):
    if isinstance(a, np.ndarray):
        return np
    import cupy
    return cupy


def _coalesced_broadcast(tensors, g, src):
    """Broadcast ``tensors`` from group rank ``src`` with one collective per dtype."""
    by_dtype = {}
    for t in tensors:
        by_dtype.setdefault((t.dtype, type(t._data)), []).append(t)
    for ts in by_dtype.values():
        xp = _xp(ts[0]._data)
        flat = Tensor._wrap(xp.concatenate([t._data.reshape(-1) for t in ts]))
        dist.broadcast(flat, group_src=src, group=g)
        off = 0
        for t in ts:
            n = t._data.size
            t._data[...] = flat._data[off:off + n].reshape(t._data.shape)
            t._vc.value += 1
            off += n


class _Bucket:
    __slots__ = ("params", "offsets", "size", "ready", "flat", "work")

    def __init__(self, params):
        self.params, self.offsets, off = params, [], 0
        for p in params:
            self.offsets.append(off)
            off += p._data.size
        self.size, self.ready, self.flat, self.work = off, 0, None, None


class _Reducer:
    """The bucketed gradient all-reduce driven by AccumulateGrad hooks."""

    def __init__(self, ddp, params, cap_bytes, group):
        self.ddp, self.params, self.group = ddp, params, group
        self.buckets, self.where = [], {}
        cur, cur_bytes, key = [], 0, None
        for p in reversed(params):
            k = (p.dtype, type(p._data))
            nbytes = p._data.nbytes
            if cur and (k != key or cur_bytes + nbytes > cap_bytes):
                self.buckets.append(_Bucket(cur))
                cur, cur_bytes = [], 0
            cur.append(p)
            cur_bytes += nbytes
            key = k
        if cur:
            self.buckets.append(_Bucket(cur))
        for b, bucket in enumerate(self.buckets):
            for j, p in enumerate(bucket.params):
                self.where[id(p)] = (b, j)
        self.active = False
        self.marked = None
        self.next_bucket = 0
        # strong references: the graph only holds the AccumulateGrad nodes while it lives
        self.accs = [accumulator_for(p) for p in params]
        self.handles = [a.register_hook(self._hook_for(i)) for i, a in enumerate(self.accs)]
        self.index = {id(p): i for i, p in enumerate(params)}

    def _hook_for(self, i):
        def hook(grad_inputs, grad_outputs):
            self.mark_ready(i)
        return hook

    def start_round(self):
        self.active = True
        self.marked = np.zeros(len(self.params), bool)
        self.locally_used = np.zeros(len(self.params), np.uint8)
        self.next_bucket = 0
        for b in self.buckets:
            b.ready, b.work = 0, None

    def mark_ready(self, i, used=True):
        if not self.ddp.require_backward_grad_sync:
            return
        if not self.active:
            self.start_round()
        if self.marked[i]:
            name = self.ddp._param_names.get(id(self.params[i]), f"#{i}")
            raise RuntimeError(
                f"Expected to mark a variable ready only once. Parameter {name} was marked ready "
                "twice in one backward pass: it may be used by several forward calls of the "
                "module (or by a reentrant backward) before one backward; the reduction of the "
                "first use had already started.")
        self.marked[i] = True
        self.locally_used[i] = used
        b, _ = self.where[id(self.params[i])]
        self.buckets[b].ready += 1
        while self.next_bucket < len(self.buckets) and \
                self.buckets[self.next_bucket].ready == len(self.buckets[self.next_bucket].params):
            self._launch(self.buckets[self.next_bucket])
            self.next_bucket += 1
        for bk in self.buckets[:self.next_bucket]:   # drive MPI's progress while backward runs
            if bk.work is not None:
                bk.work.is_completed()
        if self.next_bucket == len(self.buckets):
            self._finish()

    def _launch(self, bucket):
        p0 = bucket.params[0]
        xp = _xp(p0._data)
        flat = xp.zeros(bucket.size, p0._data.dtype) if bucket.flat is None else bucket.flat
        for p, off in zip(bucket.params, bucket.offsets):
            n = p._data.size
            if p.grad is None:
                flat[off:off + n] = 0
            else:
                flat[off:off + n] = p.grad._data.reshape(-1)
        flat /= self.group.size()
        bucket.flat = flat
        bucket.work = dist.all_reduce(Tensor._wrap(flat), group=self.group, async_op=True)

    def _finish(self):
        used = None
        if self.ddp.find_unused_parameters:
            used = Tensor._wrap(self.locally_used.copy())
            dist.all_reduce(used, op=dist.ReduceOp.MAX, group=self.group)
            used = used._data
        for bucket in self.buckets:
            bucket.work.wait()
            for p, off in zip(bucket.params, bucket.offsets):
                n = p._data.size
                avg = bucket.flat[off:off + n].reshape(p._data.shape)
                if p.grad is not None:
                    p.grad._data[...] = avg
                    p.grad._vc.value += 1
                elif used is not None and used[self.index[id(p)]]:
                    p.grad = Tensor._wrap(avg.copy())
        self.active = False

    def mark_unused(self, outputs):
        """Start a round in which the parameters ``outputs`` cannot reach are already ready."""
        reachable = _reachable_leaves(outputs)
        self.start_round()
        for i, p in enumerate(self.params):
            if id(p) not in reachable:
                self.mark_ready(i, used=False)


def _reachable_leaves(outputs):
    """ids of the leaf tensors the autograd graph of ``outputs`` reaches."""
    seen, stack, leaves = set(), [], set()
    for t in _tensors(outputs):
        if t.grad_fn is not None:
            stack.append(t.grad_fn)
        elif t.requires_grad:
            leaves.add(id(t))
    while stack:
        node = stack.pop()
        if id(node) in seen or node is None:
            continue
        seen.add(id(node))
        var = getattr(node, "variable", None)
        if var is not None:
            leaves.add(id(var))
            continue
        for nxt, _ in node.next_functions:
            if nxt is not None:
                stack.append(nxt)
    return leaves


def _tensors(obj):
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _tensors(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _tensors(v)


class DistributedDataParallel(Module):
    """Data parallelism across processes (PyTorch's ``nn.parallel.DistributedDataParallel``).

    Wrap the model after ``dist.init_process_group``; every rank then runs forward and
    backward on its own batch and ends backward with the gradients averaged over the ranks,
    so the optimizers take the same step everywhere.

    Args:
        module: the model to replicate (``.module`` afterwards; the state dict's keys gain
            the ``module.`` prefix, as PyTorch's do).
        device_ids, output_device, dim: accepted for PyTorch's signature (one device per
            process: the module's own).
        broadcast_buffers: copy rank 0's buffers (BatchNorm's running statistics) to every
            rank at the start of each training forward.
        process_group: the group to average over (default: all ranks).
        bucket_cap_mb: the size of a gradient bucket in MiB (default 25).
        find_unused_parameters: find, after each forward, the parameters its output cannot
            reach and count them as ready (needed when ranks use different parts of the model).
        init_sync: broadcast rank 0's parameters and buffers at construction (default True).
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 init_sync=True, process_group=None, bucket_cap_mb=None, find_unused_parameters=False,
                 check_reduction=False, gradient_as_bucket_view=False, static_graph=False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None,
                 mixed_precision=None, device_mesh=None):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel expects an nn.Module, got {type(module).__name__}")
        if not dist.is_initialized():
            raise ValueError("Default process group has not been initialized, please make sure "
                             "to call init_process_group.")
        self.module = module
        group = dist._state._group(process_group)
        self.process_group = group
        self.dim, self.device_ids, self.output_device = dim, device_ids, output_device
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.static_graph, self.gradient_as_bucket_view = static_graph, gradient_as_bucket_view
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have "
                               "any parameter that requires a gradient.")
        self._param_names = {id(p): n for n, p in named}
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        # the reducer's own communicator: its collectives never interleave with the user's
        self._comm_group = dist._state.ProcessGroup(group.comm.Dup(), group.ranks, group._backend,
                                                    group.timeout)
        self._verify_same_model(named)
        if init_sync:
            with no_grad():
                _coalesced_broadcast([p for p in module.parameters()] + self._buffers_to_sync(),
                                     self._comm_group, 0)
        self.__dict__["reducer"] = _Reducer(self, [p for _, p in named], self.bucket_bytes_cap,
                                            self._comm_group)

    def _verify_same_model(self, named):
        """Every rank must wrap the same architecture: compare the parameters' names, shapes and
        dtypes with rank 0's before any buffer-sized collective could mismatch."""
        mine = [(n, tuple(p.shape), str(p.dtype)) for n, p in named]
        everyone = [None] * self._comm_group.size()
        dist.all_gather_object(everyone, mine, group=self._comm_group)
        for r, theirs in enumerate(everyone):
            if theirs != everyone[0]:
                diff = next(((a, b) for a, b in zip(everyone[0], theirs) if a != b), None)
                detail = (f"rank 0 has {diff[0]} where rank {r} has {diff[1]}" if diff else
                          f"rank {r} has {len(theirs)} parameters, rank 0 has {len(everyone[0])}")
                raise RuntimeError(f"DistributedDataParallel expects the same model on every rank: "
                                   f"{detail}")

    def _buffers_to_sync(self):
        # where the buffers live is cached (walking the module tree on every forward costs more
        # than a buffer-free model's whole sync); the tensors are read afresh, since .to() or
        # load_state_dict(assign=True) may replace them
        slots = self.__dict__.get("_buffer_slots")
        if slots is None:
            slots = self.__dict__["_buffer_slots"] = [
                (m, n) for m in self.module.modules() for n, b in m._buffers.items() if b is not None]
        return [m._buffers[n] for m, n in slots if m._buffers.get(n) is not None]

    # ---- the two halves of forward, also called by the training callback -------------------
    def _pre_forward(self):
        """Check the previous reduction finished; broadcast rank 0's buffers."""
        r = self.__dict__["reducer"]
        if is_grad_enabled() and r.active and self.require_backward_grad_sync:
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new "
                "one. This error indicates that your module has parameters that were not used in "
                "producing loss. You can enable unused parameter detection by passing the keyword "
                "argument `find_unused_parameters=True` to "
                "`ember.nn.parallel.DistributedDataParallel`, and by making sure all `forward` "
                "function outputs participate in calculating loss. Parameters that were not "
                f"reduced: {self._unreduced()}")
        if self.broadcast_buffers and self.require_forward_param_sync and self.module.training:
            bufs = self._buffers_to_sync()
            if bufs and self._comm_group.size() > 1:
                with no_grad():
                    _coalesced_broadcast(bufs, self._comm_group, 0)

    def _post_forward(self, output):
        """With ``find_unused_parameters``: mark what ``output`` cannot reach as ready."""
        if self.find_unused_parameters and is_grad_enabled() and self.require_backward_grad_sync:
            self.__dict__["reducer"].mark_unused(output)
        return output

    def _unreduced(self):
        r = self.__dict__["reducer"]
        names = [self._param_names[id(p)] for i, p in enumerate(r.params)
                 if r.marked is not None and not r.marked[i]]
        return ", ".join(names) or "(none)"

    def forward(self, *inputs, **kwargs):
        self._pre_forward()
        return self._post_forward(self.module(*inputs, **kwargs))

    @contextlib.contextmanager
    def no_sync(self):
        """Inside the block, backward accumulates gradients locally without averaging them;
        the first backward after it averages everything accumulated."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def __getstate__(self):
        raise TypeError("DistributedDataParallel holds an MPI communicator and cannot be pickled; "
                        "save .module (or its state_dict) instead")
