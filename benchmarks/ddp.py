"""ddp_scaling: data-parallel training over MPI, and ember.distributed's all-reduce against raw
mpi4py.

    python -m benchmarks.ddp            (or: python -m benchmarks.run ddp_scaling)

1. Samples per second of DistributedDataParallel training with 1 and with 2 processes (one
   BLAS thread each; each rank trains on its own batch of the same size, so 2 processes do
   twice the work per step) on the MLP (784-32-16-10, batch 64) and the small CNN (three
   strided convs, batch 32 of 3x32x32) of benchmarks/nn_models.py. Efficiency = samples/s of
   2 processes / (2 × samples/s of 1).
2. All-reduce (SUM, float32) of 1–64 MB buffers between 2 processes: ``dist.all_reduce`` on
   an ember tensor against ``comm.Allreduce(MPI.IN_PLACE, array)`` on the same NumPy array,
   best of several repeats, interleaved. The goal is a ratio within 1.1.

Each measurement runs in its own ``mpiexec`` launch; rank 0 prints a ``RESULT`` JSON line.
"""
import json
import os
import subprocess
import sys
import time

import numpy as np

SIZES_MB = (1, 4, 16, 64)


def _launch(n, *args):
    from ember.distributed.run import find_mpiexec
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [find_mpiexec(), "-n", str(n), sys.executable, "-m", "benchmarks.ddp", "--worker", *args]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=root, timeout=600)
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"benchmark worker failed ({' '.join(args)}):\n{p.stdout}\n{p.stderr}")


# ---- inside mpiexec --------------------------------------------------------------------------
def _model(ember, kind):
    nn = ember.nn
    ember.manual_seed(0)
    if kind == "mlp":
        return nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(),
                             nn.Linear(16, 10)), (64, 784)
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)), (32, 3, 32, 32)


def _train_worker(kind, steps):
    import ember
    import ember.distributed as dist
    dist.init_process_group("mpi")
    model, shape = _model(ember, kind)
    ddp = ember.nn.parallel.DistributedDataParallel(model)
    opt = ember.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(dist.get_rank())
    x = ember.tensor(rng.standard_normal(shape).astype(np.float32))
    y = ember.tensor(rng.integers(0, 10, shape[0]))
    loss_fn = ember.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(ddp(x), y).backward()
        opt.step()
    for _ in range(3):
        step()
    best = float("inf")
    for _ in range(3):
        dist.barrier()
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        dist.barrier()
        best = min(best, time.perf_counter() - t0)
    if dist.get_rank() == 0:
        sps = dist.get_world_size() * shape[0] * steps / best
        print("RESULT " + json.dumps({"samples_per_s": sps}), flush=True)
    dist.destroy_process_group()


def _allreduce_worker(repeat):
    from mpi4py import MPI

    import ember
    import ember.distributed as dist
    dist.init_process_group("mpi")
    comm = MPI.COMM_WORLD
    out = {}
    for mb in SIZES_MB:
        a = np.ones(mb * 1024 * 1024 // 4, np.float32)
        t = ember.from_numpy(np.ones_like(a))
        best_e = best_r = float("inf")
        for _ in range(repeat):
            comm.Barrier()
            t0 = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, a)
            best_r = min(best_r, time.perf_counter() - t0)
            comm.Barrier()
            t0 = time.perf_counter()
            dist.all_reduce(t)
            best_e = min(best_e, time.perf_counter() - t0)
        out[str(mb)] = {"ember_s": best_e, "mpi4py_s": best_r}
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps(out), flush=True)
    dist.destroy_process_group()


# ---- the driver ------------------------------------------------------------------------------
def measure(quick=False):
    """Run every measurement; returns (table rows, ember all-reduce s, mpi4py all-reduce s)."""
    rows = []
    for kind, steps in (("mlp", 60 if quick else 200), ("cnn", 4 if quick else 12)):
        one = _launch(1, "train", kind, str(steps))["samples_per_s"]
        two = _launch(2, "train", kind, str(steps))["samples_per_s"]
        rows.append(f"ddp {kind:<4} samples/s: 1 proc {one:9.0f}   2 procs {two:9.0f}   "
                    f"efficiency {two / (2 * one):6.1%}")
    ar = _launch(2, "allreduce", "3" if quick else "15")
    e_total = r_total = 0.0
    for mb, v in ar.items():
        e, r = v["ember_s"], v["mpi4py_s"]
        e_total, r_total = e_total + e, r_total + r
        rows.append(f"all_reduce {int(mb):>3} MB: ember {float(mb) / 1024 / e:6.2f} GB/s   mpi4py "
                    f"{float(mb) / 1024 / r:6.2f} GB/s   ratio {e / r:5.2f}")
    return rows, e_total, r_total


def ddp_scaling(ember=None, torch=None):
    """For benchmarks.run: prints the table; the ratio column is ember.distributed's all-reduce
    time over raw mpi4py's (summed over the buffer sizes)."""
    rows, e, r = measure()
    for row in rows:
        print("    " + row)
    return e, r


if __name__ == "__main__":
    if "--worker" in sys.argv:
        args = sys.argv[sys.argv.index("--worker") + 1:]
        if args[0] == "train":
            _train_worker(args[1], int(args[2]))
        else:
            _allreduce_worker(int(args[1]))
    else:
        for row in measure(quick="--quick" in sys.argv)[0]:
            print(row)
