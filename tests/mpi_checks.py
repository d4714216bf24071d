"""Checks that run inside ``mpiexec -n N`` (launched by tests/test_distributed.py).

``python tests/mpi_checks.py SECTION...`` runs the named sections on every rank; each check
prints ``OK <name>`` on rank 0 when it passes, and a failing assertion aborts the whole job
(ember.distributed's excepthook), so the launching test sees a non-zero exit and the traceback.
"""
import contextlib
import datetime
import io
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ember  # noqa: E402
import ember.distributed as dist  # noqa: E402
from ember import nn  # noqa: E402
from ember.nn.parallel import DistributedDataParallel as DDP  # noqa: E402
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset  # noqa: E402

R = N = None


def ok(name):
    dist.barrier()
    if R == 0:
        print("OK", name, flush=True)


def data(rank, shape, dtype=np.float64, seed=0):
    """Rank ``rank``'s input: reproducible on every rank, so each can build the reference."""
    rs = np.random.RandomState(1000 * seed + rank)
    if np.dtype(dtype).kind == "i":
        return rs.randint(-5, 6, size=shape).astype(dtype)
    if np.dtype(dtype).kind == "b":
        return rs.rand(*shape) > 0.5
    return rs.randn(*shape).astype(dtype)


def T(a):
    return ember.tensor(a)


def close(a, b, tol=1e-12):
    a = a.detach().numpy() if isinstance(a, ember.Tensor) else np.asarray(a)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# ---- collectives ---------------------------------------------------------------------------
def check_collectives():
    xs = [data(r, (3, 4)) for r in range(N)]
    refs = {"SUM": sum(xs), "AVG": sum(xs) / N, "MAX": np.max(xs, 0), "MIN": np.min(xs, 0),
            "PRODUCT": np.prod(xs, 0)}
    for name, ref in refs.items():
        t = T(xs[R])
        v = t._version
        assert dist.all_reduce(t, op=getattr(dist.ReduceOp, name)) is None
        close(t, ref)
        assert t._version > v   # written in place, as PyTorch bumps the version
    ints = [data(r, (5,), np.int64) for r in range(N)]
    t = T(ints[R])
    dist.all_reduce(t)
    assert t.dtype == ember.int64 and (t.numpy() == sum(ints)).all()
    bools = [data(r, (6,), bool) for r in range(N)]
    t = T(bools[R])
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    assert (t.numpy() == np.any(bools, 0)).all()
    # a non-contiguous view is reduced in place into its base
    base = T(xs[R].copy())
    dist.all_reduce(base.t())
    close(base, refs["SUM"])
    # float32 and async
    t = T(xs[R].astype(np.float32))
    w = dist.all_reduce(t, op=dist.ReduceOp.AVG, async_op=True)
    assert w.wait() is True and w.is_completed()
    close(t, refs["AVG"].astype(np.float32), 1e-6)
    ok("all_reduce")

    src = N - 1
    t = T(xs[R])
    dist.broadcast(t, src=src)
    close(t, xs[src])
    t = T(xs[R])
    dist.reduce(t, dst=src, op=dist.ReduceOp.MAX)
    if R == src:
        close(t, refs["MAX"])
    ok("broadcast_reduce")

    outs = [ember.zeros(3, 4, dtype=ember.float64) for _ in range(N)]
    dist.all_gather(outs, T(xs[R]))
    for o, x in zip(outs, xs):
        close(o, x)
    out = ember.zeros(N * 3, 4, dtype=ember.float64)
    dist.all_gather_into_tensor(out, T(xs[R]))
    close(out, np.concatenate(xs))
    out = ember.zeros(N, 3, 4, dtype=ember.float64)
    dist.all_gather_into_tensor(out, T(xs[R]), async_op=True).wait()
    close(out, np.stack(xs))
    ok("all_gather")

    gl = [ember.zeros(3, 4, dtype=ember.float64) for _ in range(N)] if R == 0 else None
    dist.gather(T(xs[R]), gl, dst=0)
    if R == 0:
        for o, x in zip(gl, xs):
            close(o, x)
    parts = [data(100 + r, (2, 2)) for r in range(N)]
    t = ember.zeros(2, 2, dtype=ember.float64)
    dist.scatter(t, [T(p) for p in parts] if R == 1 else None, src=1)
    close(t, parts[R])
    ok("gather_scatter")

    ins = [[data(10 * s + d, (2, 3)) for d in range(N)] for s in range(N)]   # ins[src][dst]
    out = ember.zeros(2, 3, dtype=ember.float64)
    dist.reduce_scatter(out, [T(a) for a in ins[R]])
    close(out, sum(ins[s][R] for s in range(N)))
    out = ember.zeros(2, 3, dtype=ember.float64)
    dist.reduce_scatter_tensor(out, T(np.concatenate(ins[R])), op=dist.ReduceOp.AVG)
    close(out, sum(ins[s][R] for s in range(N)) / N)
    ok("reduce_scatter")

    # all_to_all with uneven sizes: rank s sends s + d + 1 elements to rank d
    send = [T(np.full(s_d, 10.0 * R + d)) for d, s_d in enumerate(R + d + 1 for d in range(N))]
    recv = [ember.zeros(s + R + 1, dtype=ember.float64) for s in range(N)]
    dist.all_to_all(recv, send)
    for s in range(N):
        close(recv[s], np.full(s + R + 1, 10.0 * s + R))
    x = T(np.arange(N * 2, dtype=np.float64) + 100 * R)
    y = ember.zeros(N * 2, dtype=ember.float64)
    dist.all_to_all_single(y, x)
    close(y, np.concatenate([np.arange(2 * R, 2 * R + 2) + 100 * s for s in range(N)]))
    ok("all_to_all")

    # point to point on a ring, blocking and not
    nxt, prv = (R + 1) % N, (R - 1) % N
    buf = ember.zeros(3, 4, dtype=ember.float64)
    reqs = [dist.isend(T(xs[R]), nxt), dist.irecv(buf, prv)]
    for w in reqs:
        w.wait()
    close(buf, xs[prv])
    if R == 0:
        dist.send(T(xs[0]), 1, tag=5)
    elif R == 1:
        buf = ember.zeros(3, 4, dtype=ember.float64)
        assert dist.recv(buf, tag=5) == 0   # any source: returns the sender
        close(buf, xs[0])
    ops = [dist.P2POp(dist.isend, T(xs[R]), nxt), dist.P2POp(dist.irecv, buf, prv)]
    for w in dist.batch_isend_irecv(ops):
        w.wait()
    close(buf, xs[prv])
    ok("send_recv")

    objs = [None] * N
    dist.all_gather_object(objs, {"rank": R, "s": "x" * R})
    assert objs == [{"rank": r, "s": "x" * r} for r in range(N)]
    lst = [R, "a"] if R == 1 else [None, None]
    dist.broadcast_object_list(lst, src=1)
    assert lst == [1, "a"]
    g = [None] * N if R == 0 else None
    dist.gather_object(("g", R), g, dst=0)
    if R == 0:
        assert g == [("g", r) for r in range(N)]
    out = [None]
    dist.scatter_object_list(out, [{"to": r} for r in range(N)] if R == 0 else None, src=0)
    assert out == [{"to": R}]
    if R == 0:
        dist.send_object_list([1, {"two": 2}], dst=N - 1)
    if R == N - 1:
        got = [None, None]
        assert dist.recv_object_list(got) == 0 and got == [1, {"two": 2}]
    ok("objects")

    # subgroups: the even ranks (global ranks in src/dst, as PyTorch)
    evens = list(range(0, N, 2))
    g = dist.new_group(evens)
    if R in evens:
        assert dist.get_world_size(g) == len(evens) and dist.get_rank(g) == evens.index(R)
        t = T(xs[R])
        dist.all_reduce(t, group=g)
        close(t, sum(xs[r] for r in evens))
        t = T(xs[R])
        dist.broadcast(t, src=evens[-1], group=g)
        close(t, xs[evens[-1]])
        assert dist.get_process_group_ranks(g) == evens
    else:
        assert g == dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(g) == -1
    ok("new_group")

    # timeouts: a receive nobody answers gives up with the group's error, then completes
    assert dist._state._group(None).timeout == 120
    if R == 0:
        buf = ember.zeros(2, dtype=ember.float64)
        w = dist.irecv(buf, src=1, tag=99)
        try:
            w.wait(timeout=datetime.timedelta(seconds=0.3))
            raise AssertionError("wait() did not time out")
        except dist.DistBackendError as e:
            assert "timed out" in str(e)
    dist.barrier()
    if R == 1:
        dist.send(ember.ones(2, dtype=ember.float64), 0, tag=99)
    if R == 0:
        w.wait()
        close(buf, np.ones(2))
    ok("timeout")

    try:
        dist.all_reduce(T(xs[R]), op="sum")
        raise AssertionError("a bad op was accepted")
    except ValueError as e:
        assert "ReduceOp" in str(e)
    ok("errors")


# ---- DistributedSampler ----------------------------------------------------------------------
def check_sampler():
    for n in (10, 11, 7):
        for drop_last in (False, True):
            s = DistributedSampler(range(n), shuffle=False, drop_last=drop_last)
            shards = [None] * N
            dist.all_gather_object(shards, list(s))
            assert len({len(x) for x in shards}) == 1
            flat = sorted(i for x in shards for i in x)
            if drop_last:
                assert len(set(flat)) == len(flat)
            else:
                assert set(flat) == set(range(n))
    ok("sampler")


# ---- DDP -------------------------------------------------------------------------------------
def _mlp():
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))


def _cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 3 * 3, 3))


def _dataset(kind, n=22):
    g = np.random.RandomState(5)
    x = g.randn(n, 6) if kind == "mlp" else g.randn(n, 1, 6, 6)
    return TensorDataset(T(x), T(g.randint(0, 3, n)))


def _flat(m):
    return np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])


def _agree(m, what):
    """The ranks' weights are bit-for-bit equal."""
    mine = _flat(m)
    allw = [None] * N
    dist.all_gather_object(allw, mine.tobytes())
    assert all(a == allw[0] for a in allw), f"{what}: ranks' weights differ"


def check_ddp():
    bs, epochs = 4, 3
    for kind, make in (("mlp", _mlp), ("cnn", _cnn)):
        ember.manual_seed(R)   # different initial weights: DDP must broadcast rank 0's
        model = make().double()
        ember.manual_seed(0)
        ref = make().double()   # rank 0's initial weights, trained alone below
        ds = _dataset(kind)
        ddp = DDP(model, bucket_cap_mb=0.001)   # several buckets
        assert len(ddp.reducer.buckets) > 1
        close(_flat(model), _flat(ref), 0)
        opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        ropt = ember.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()
        sampler = DistributedSampler(ds, shuffle=True, seed=3)
        dl = DataLoader(ds, batch_size=bs, sampler=sampler)
        for epoch in range(epochs):
            sampler.set_epoch(epoch)
            for k, (x, y) in enumerate(dl):
                opt.zero_grad()
                loss_fn(ddp(x), y).backward()
                opt.step()
                # one process, the union of the ranks' batches of this step
                idx = []
                for r in range(N):
                    s = DistributedSampler(ds, N, r, shuffle=True, seed=3)
                    s.set_epoch(epoch)
                    idx += list(s)[k * bs:(k + 1) * bs]
                ropt.zero_grad()
                xs, ys = ds[idx]
                loss_fn(ref(xs), ys).backward()
                ropt.step()
        close(_flat(model), _flat(ref), 1e-6)
        _agree(model, kind)
        assert list(ddp.state_dict())[0].startswith("module.") and ddp.module is model
        ok(f"ddp_{kind}")

    # overlap: the buckets of the last layers are all-reducing before backward reaches the first
    ember.manual_seed(0)
    deep = nn.Sequential(*[nn.Linear(8, 8) for _ in range(6)]).double()
    ddp = DDP(deep, bucket_cap_mb=8 * 9 * 8 / 2 ** 20)   # about one layer per bucket
    seen = []
    deep[0].weight.register_hook(lambda g: seen.append(ddp.reducer.next_bucket))
    ddp(T(data(R, (3, 8)))).sum().backward()
    assert len(ddp.reducer.buckets) >= 5 and seen[0] >= len(ddp.reducer.buckets) - 2, seen
    ok("overlap")

    # no_sync: two local backwards then one synced = the average of everything accumulated
    ember.manual_seed(0)
    model = _mlp().double()
    ddp = DDP(model)
    xs = [T(data(r, (4, 6), seed=7)) for r in range(N)]
    with ddp.no_sync():
        ddp(xs[R]).sum().backward()
    local = model[0].weight.grad.numpy().copy()
    ddp(xs[R] * 2).sum().backward()
    ember.manual_seed(0)
    ref = _mlp().double()
    for r in range(N):
        (ref(xs[r]).sum() + ref(xs[r] * 2).sum()).backward()
    close(model[0].weight.grad, ref[0].weight.grad.numpy() / N)
    assert not np.allclose(local * 2, model[0].weight.grad.numpy())
    ok("no_sync")

    # find_unused_parameters: ranks use different branches
    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.c = nn.Linear(3, 2), nn.Linear(3, 2), nn.Linear(3, 2)

        def forward(self, x, which):
            return self.a(x) + (self.b(x) if which == 0 else 0)

    ember.manual_seed(0)
    m = Branchy().double()
    ddp = DDP(m, find_unused_parameters=True)
    x = T(data(R, (4, 3)))
    for _ in range(2):   # twice: the reduction of the first finished
        m.zero_grad()
        ddp(x, R % 2).sum().backward()
    assert m.c.weight.grad is None   # unused everywhere: untouched
    ember.manual_seed(0)
    ref = Branchy().double()
    for r in range(N):
        ref(T(data(r, (4, 3))), r % 2).sum().backward()
    close(m.a.weight.grad, ref.a.weight.grad.numpy() / N)
    close(m.b.weight.grad, ref.b.weight.grad.numpy() / N)
    # without it, an unused parameter leaves the reduction unfinished: the next forward says so
    ddp2 = DDP(Branchy().double())
    ddp2(x, 1).sum().backward()
    try:
        ddp2(x, 1)
        raise AssertionError("the unfinished reduction was not reported")
    except RuntimeError as e:
        assert "find_unused_parameters=True" in str(e) and "b.weight" in str(e)
    ok("find_unused")

    # a different model on one rank is refused at construction, naming the difference
    try:
        DDP(nn.Linear(3, 2 + (R == N - 1)).double())
        raise AssertionError("a mismatched model was accepted")
    except RuntimeError as e:
        assert f"rank {N - 1} has ('weight', (3, 3)" in str(e), str(e)

    # buffers: rank 0's running statistics reach every rank at each training forward
    bn = nn.BatchNorm1d(3).double()
    ddp = DDP(nn.Sequential(nn.Linear(3, 3), bn).double())
    ddp(T(data(R, (5, 3)))).sum().backward()   # each rank's stats move with its own batch
    ddp._pre_forward()   # what the next training forward does first
    means = [None] * N
    dist.all_gather_object(means, bn.running_mean.numpy().tobytes() + bn.running_var.numpy().tobytes())
    assert all(m == means[0] for m in means)
    ok("broadcast_buffers")


def check_syncbn():
    full = data(0, (4 * N, 3, 5))
    chunk = full[4 * R:4 * (R + 1)]
    ember.manual_seed(0)
    sbn = nn.SyncBatchNorm(3).double()
    bn = nn.BatchNorm1d(3).double()
    with ember.no_grad():
        for m in (sbn, bn):
            m.weight.copy_(T(np.array([1.0, 2.0, 0.5])))
            m.bias.copy_(T(np.array([0.1, -0.2, 0.3])))
    x = T(chunk).requires_grad_()
    wgt = T(data(9, (4 * N, 3, 5)))
    (sbn(x) * wgt[4 * R:4 * (R + 1)]).sum().backward()
    xf = T(full).requires_grad_()
    (bn(xf) * wgt).sum().backward()
    close(x.grad, xf.grad.numpy()[4 * R:4 * (R + 1)], 1e-10)
    w = sbn.weight.grad.clone()
    dist.all_reduce(w)   # DDP would average; the sum over ranks is full-batch's gradient
    close(w, bn.weight.grad.numpy(), 1e-10)
    close(sbn.running_mean, bn.running_mean.numpy(), 1e-12)
    close(sbn.running_var, bn.running_var.numpy(), 1e-12)
    sbn.eval()
    close(sbn(T(chunk)), bn.eval()(T(chunk)).detach().numpy(), 1e-12)
    conv = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)))
    assert type(conv[1]).__name__ == "SyncBatchNorm"
    ok("syncbn")


# ---- the Learner -----------------------------------------------------------------------------
def check_learner():
    from ember.train import DataLoaders, DistributedCallback, Learner
    ds = _dataset("mlp", 24)
    bs = 3

    def learner(batch, cbs):
        ember.manual_seed(0)
        dls = DataLoaders(DataLoader(ds, batch_size=batch), DataLoader(ds, batch_size=8))
        return Learner(dls, _mlp().double(), nn.CrossEntropyLoss(), opt_func=ember.optim.SGD,
                       lr=0.05, cbs=cbs)
    out = io.StringIO()
    learn = learner(bs, [DistributedCallback()])
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        learn.fit(3)
    printed = [None] * N
    dist.all_gather_object(printed, out.getvalue())
    assert printed[0] and not any(printed[1:]), printed   # progress on rank 0 only
    assert learn.dls.train.batch_size == bs and not isinstance(learn.model, DDP)
    _agree(learn.model, "learner")
    ref = learner(bs * N, None)   # one process: each step's batch is the union of the ranks'
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        ref.fit(3)
    close(_flat(learn.model), _flat(ref.model), 1e-6)

    # checkpoints: rank 0 writes them, every rank loads the best one back after the fit
    from ember.train import CSVLogger, SaveModelCallback
    tmp = [tempfile.mkdtemp() if R == 0 else None]
    dist.broadcast_object_list(tmp, src=0)
    saves, orig = [], Learner.save

    def counting_save(self, *args, **kwargs):
        saves.append(args[0])
        return orig(self, *args, **kwargs)
    Learner.save = counting_save
    try:
        learn = learner(bs, [DistributedCallback(), SaveModelCallback(), CSVLogger()])
        learn.path = __import__("pathlib").Path(tmp[0])
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            learn.fit(2, lr=0.5)
    finally:
        Learner.save = orig
    counts = [None] * N
    dist.all_gather_object(counts, len(saves))
    assert counts[0] > 0 and not any(counts[1:]), counts
    assert "save" not in learn.__dict__   # put back after the fit
    _agree(learn.model, "learner with checkpoints")
    with open(os.path.join(tmp[0], "history.csv")) as f:
        assert len(f.read().strip().splitlines()) == 3   # header + 2 epochs, written once
    ok("learner")


# ---- faults (each in its own launch) -------------------------------------------------------------
def check_fault_raise():
    if R == 1:
        raise ValueError("boom on purpose")
    dist.barrier()   # rank 0 waits here until rank 1's failure reaches it


def check_fault_die():
    if R == 1:
        os._exit(3)
    dist.barrier()


def check_env():
    """Under the launcher: torchrun's variables."""
    assert os.environ["RANK"] == str(R) and os.environ["WORLD_SIZE"] == str(N)
    assert os.environ["LOCAL_RANK"] == str(R) and os.environ["MASTER_PORT"] == "29511"
    assert sys.argv[-1] == "--flag"
    ok("env")


if __name__ == "__main__":
    sections = [a for a in sys.argv[1:] if not a.startswith("--")]
    dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=120))
    R, N = dist.get_rank(), dist.get_world_size()
    for sec in sections:
        globals()[f"check_{sec}"]()
    dist.destroy_process_group()
