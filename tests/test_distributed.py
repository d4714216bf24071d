"""ember.distributed, DDP, SyncBatchNorm, DistributedSampler and DataParallel.

The multi-process checks live in tests/mpi_checks.py and run under ``mpiexec -n 2`` / ``-n 3``
(a handful of launches, each running many checks). mpiexec comes with ``pip install
'ember[test]'`` (mpich); if it is missing these tests fail, they do not skip.
"""
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import data_parallel, gather, replicate, scatter
from ember.utils.data import DistributedSampler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKS = os.path.join(ROOT, "tests", "mpi_checks.py")


def _env():
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def mpirun(n, *sections, timeout=240):
    from ember.distributed.run import find_mpiexec
    cmd = [find_mpiexec(), "-n", str(n), sys.executable, CHECKS, *sections]
    start = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_env(), cwd=ROOT)
    return p, time.monotonic() - start


def _passed(p, names):
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    for name in names:
        assert f"OK {name}\n" in p.stdout, f"check {name} did not report:\n{out}"


COLLECTIVES = ["all_reduce", "broadcast_reduce", "all_gather", "gather_scatter", "reduce_scatter",
               "all_to_all", "send_recv", "objects", "new_group", "timeout", "errors", "sampler"]
TRAINING = ["ddp_mlp", "ddp_cnn", "overlap", "no_sync", "find_unused", "broadcast_buffers", "syncbn",
            "learner"]


@pytest.mark.parametrize("n", [2, 3])   # 3: uneven shards (padding) and non-power-of-two trees
def test_under_mpiexec(n):
    """Every collective against NumPy; DDP, SyncBatchNorm and the Learner against one process
    training on the union of the ranks' batches; the ranks' weights bit for bit equal."""
    p, _ = mpirun(n, "collectives", "sampler", "ddp", "syncbn", "learner")
    _passed(p, COLLECTIVES + TRAINING)


def test_a_rank_that_raises_stops_the_others_naming_it():
    p, took = mpirun(2, "fault_raise", timeout=60)
    out = p.stdout + p.stderr
    assert p.returncode != 0
    assert "rank 1 failed: ValueError: boom on purpose" in out, out
    assert "[ember.distributed rank 0]" in out and took < 30


def test_a_rank_that_dies_stops_the_job():
    p, took = mpirun(2, "fault_die", timeout=60)
    assert p.returncode != 0 and took < 30, p.stdout + p.stderr


def test_launcher_sets_torchrun_environment():
    cmd = [sys.executable, "-m", "ember.distributed.run", "--nproc-per-node", "2",
           "--master-port", "29511", CHECKS, "env", "--flag"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=_env(), cwd=ROOT)
    _passed(p, ["env"])


def test_ddp_mnist_example(tmp_path):
    from ember.distributed.run import find_mpiexec
    out = tmp_path / "model.pt"
    cmd = [find_mpiexec(), "-n", "2", sys.executable, os.path.join(ROOT, "examples", "ddp_mnist.py"),
           "--epochs", "2", "--save", str(out)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=_env(), cwd=ROOT)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.count("epoch ") == 2   # rank 0 alone prints
    acc = float(p.stdout.split("final test accuracy ")[1].split("%")[0])
    assert acc > 50 and "model.pt" in os.listdir(tmp_path)


def test_trainer_factory_relaunches_under_mpiexec(tmp_path):
    # started as a plain ``python script.py``, strategy="ddp" with 2 devices re-runs the script
    # as 2 MPI processes (what Lightning's launcher does with subprocesses)
    script = tmp_path / "train.py"
    script.write_text(
        "import ember.distributed as dist\n"
        "from ember.train.callbacks.distributed import ddp_callback_factory\n"
        "cbs = ddp_callback_factory('ddp_find_unused_parameters_true', 2)\n"
        "dist.init_process_group()\n"
        "import sys\n"
        "sys.stdout.write(f\"rank {dist.get_rank()} of {dist.get_world_size()} "
        "{cbs[0].ddp_kwargs['find_unused_parameters']}\\n\")\n")
    env = {k: v for k, v in _env().items() if k not in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE",
                                                          "PMIX_SIZE", "WORLD_SIZE")}
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                       env=env, cwd=ROOT)
    assert p.returncode == 0, p.stdout + p.stderr
    assert sorted(p.stdout.split("\n")) == ["", "rank 0 of 2 True", "rank 1 of 2 True"], p.stdout


def test_trainer_factory_checks_the_world_size(monkeypatch):
    from ember.train.callbacks.distributed import DistributedCallback, ddp_callback_factory
    monkeypatch.setenv("WORLD_SIZE", "2")
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE"):
        monkeypatch.delenv(var, raising=False)
    (cb,) = ddp_callback_factory("ddp", 2)
    assert isinstance(cb, DistributedCallback) and not cb.ddp_kwargs["find_unused_parameters"]
    with pytest.raises(ValueError, match=r"devices=3.*2 processes"):
        ddp_callback_factory("ddp", 3)


# ---- single process ----------------------------------------------------------------------------
def test_importing_does_not_start_mpi():
    code = "import ember, ember.nn, ember.distributed, sys; print('mpi4py.MPI' in sys.modules)"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env())
    assert p.stdout.strip() == "False", p.stderr


def test_one_process_without_mpiexec():
    # a DDP script started with plain python runs as a world of one (MPI's singleton)
    code = ("import ember, ember.distributed as dist\n"
            "dist.init_process_group('gloo')\n"
            "t = ember.tensor([1.0, 2.0]); dist.all_reduce(t, op=dist.ReduceOp.AVG)\n"
            "m = ember.nn.parallel.DistributedDataParallel(ember.nn.Linear(2, 1))\n"
            "m(t[None]).sum().backward()\n"
            "print(dist.get_rank(), dist.get_world_size(), t.tolist(), m.module.weight.grad.tolist())\n"
            "dist.destroy_process_group(); print(dist.is_initialized())\n")
    env = {k: v for k, v in _env().items() if not k.startswith(("PMI", "OMPI", "PMIX"))}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=60)
    assert p.stdout.split("\n")[:2] == ["0 1 [1.0, 2.0] [[1.0, 2.0]]", "False"], p.stdout + p.stderr


def test_api_before_init():
    assert dist.is_available() and not dist.is_initialized()
    for f in (dist.get_rank, dist.get_world_size, dist.barrier):
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            f()
    with pytest.raises(ValueError, match="has not been initialized"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2))
    assert dist.Backend("GLOO") == "gloo" == dist.Backend.GLOO and dist.Backend("mpi") == "mpi"
    assert {op.name for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX,
                               dist.ReduceOp.MIN, dist.ReduceOp.PRODUCT)} == \
        {"SUM", "AVG", "MAX", "MIN", "PRODUCT"}
    with pytest.raises(ValueError, match="Invalid backend"):
        dist._state._backend_name("tcp")
    from ember.distributed.run import find_mpiexec
    assert os.path.exists(find_mpiexec())


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 2, False), (11, 3, False), (11, 3, True),
                                                  (7, 4, False), (2, 5, False), (13, 4, True)])
def test_sampler_partitions_like_torch(n, replicas, drop_last):
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    for rank in range(replicas):
        mine = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(mine) == list(theirs) and len(mine) == len(theirs)


def test_sampler_shuffles_with_seed_plus_epoch():
    n, replicas = 11, 3
    for epoch in (0, 4):
        perm = ember.randperm(n, generator=ember.Generator().manual_seed(7 + epoch)).tolist()
        perm += perm[:12 - n]
        for rank in range(replicas):
            s = DistributedSampler(range(n), replicas, rank, shuffle=True, seed=7)
            s.set_epoch(epoch)
            assert list(s) == perm[rank::replicas]
            assert list(s) == list(s)   # the same order on every pass of one epoch
    s = DistributedSampler(range(n), replicas, 0, seed=7)
    first = list(s)
    s.set_epoch(1)
    assert list(s) != first


def test_sampler_errors_like_torch():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(range(4))
    assert ember.utils.data.DistributedSampler is DistributedSampler


def _mlp():
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))


def test_data_parallel_is_transparent_without_gpus():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    m = _mlp()
    m.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    dp, tdp = nn.DataParallel(m), torch.nn.DataParallel(tm)
    assert dp.module is m and dp.device_ids == [] == tdp.device_ids
    assert list(dp.state_dict()) == list(tdp.state_dict())
    x = np.random.RandomState(0).randn(5, 4).astype(np.float32)
    np.testing.assert_allclose(dp(ember.tensor(x)).detach().numpy(),
                               tdp(torch.tensor(x)).detach().numpy(), rtol=1e-6, atol=1e-6)
    # torch's functional form refuses a machine without GPUs; ember's runs the module, as the
    # DataParallel class does (a deliberate difference)
    np.testing.assert_allclose(data_parallel(m, ember.tensor(x)).detach().numpy(),
                               tm(torch.tensor(x)).detach().numpy(), rtol=1e-6, atol=1e-6)
    sd = dp.state_dict()
    nn.DataParallel(_mlp()).load_state_dict(sd)


def test_replicate_scatter_gather_keep_gradients():
    # the multi-device path, on CPU "devices": replicas' gradients reach the original weights
    ember.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2)).double()
    x = ember.randn(8, 4, dtype=ember.float64)
    devs = ["cpu", "cpu"]
    chunks = scatter((x,), devs)
    assert [c[0].shape[0] for c in chunks] == [4, 4]
    reps = replicate(m, devs)
    out = gather([r(*c) for r, c in zip(reps, chunks)], "cpu")
    out.pow(2).sum().backward()
    g = [p.grad.clone() for p in m.parameters()]
    m.zero_grad()
    ref = ember.cat([m(x[:4]), m(x[4:])])   # per-chunk batch statistics, as replicas compute
    ref.pow(2).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
    for a, p in zip(g, m.parameters()):
        np.testing.assert_allclose(a.numpy(), p.grad.numpy(), rtol=1e-10, atol=1e-12)
    d = scatter({"a": x, "k": 3}, devs)
    assert d[1]["k"] == 3 and d[1]["a"].shape[0] == 4


def test_data_parallel_on_several_gpus():
    cupy = pytest.importorskip("cupy")
    if cupy.cuda.runtime.getDeviceCount() < 2:
        pytest.skip("needs two CUDA devices")
    m = _mlp().cuda()
    x = ember.randn(6, 4, device="cuda")
    np.testing.assert_allclose(nn.DataParallel(m, [0, 1])(x).detach().cpu().numpy(),
                               m(x).detach().cpu().numpy(), rtol=1e-5, atol=1e-6)


def test_sync_batchnorm_without_a_group_is_batchnorm():
    x = np.random.RandomState(1).randn(6, 3, 4)
    tm, m = torch.nn.SyncBatchNorm(3).double(), nn.SyncBatchNorm(3).double()
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    tm(tx).pow(3).sum().backward()
    m(ex).pow(3).sum().backward()
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(m.running_var.numpy(), tm.running_var.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="expected at least 2D input"):
        m(ember.randn(3))
    assert type(m).__module__ == "ember.nn.modules.batchnorm"


def test_convert_sync_batchnorm_like_torch():
    def build(lib):
        return lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.BatchNorm2d(2),
                                 lib.nn.Sequential(lib.nn.BatchNorm1d(5, momentum=0.3)))
    tm, m = build(torch), build(ember)
    bn_weight = m[1].weight
    tm = torch.nn.SyncBatchNorm.convert_sync_batchnorm(tm)
    m = nn.SyncBatchNorm.convert_sync_batchnorm(m)
    assert [type(x).__name__ for x in m.modules()] == [type(x).__name__ for x in tm.modules()]
    assert m[1].weight is bn_weight and m[2][0].momentum == 0.3
    assert list(m.state_dict()) == list(tm.state_dict())
