"""A torchrun-style launcher over MPI.

    python -m ember.distributed.run --nproc-per-node 4 train.py --epochs 3
    python -m ember.distributed.run --nproc-per-node 4 --hosts node1,node2 train.py

starts ``mpiexec`` with ``nproc-per-node × nodes`` processes, each of which sets ``RANK``,
``LOCAL_RANK``, ``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``, ``GROUP_RANK`` (the node's index),
``MASTER_ADDR`` and ``MASTER_PORT`` as torchrun does and then runs the script as
``__main__`` with its arguments. Unlike torchrun it is started once, on one machine: MPI
starts the processes on the other hosts (``--hosts`` or ``--hostfile``, MPICH's Hydra syntax).
"""
import argparse
import os
import runpy
import shutil
import subprocess
import sys
import sysconfig

__all__ = ["main", "find_mpiexec"]


def find_mpiexec():
    """The ``mpiexec`` to use: ``$EMBER_MPIEXEC``, then the one on PATH, then the one that
    ``pip install mpich`` put beside this Python."""
    env = os.environ.get("EMBER_MPIEXEC")
    if env:
        return env
    found = shutil.which("mpiexec")
    if found:
        return found
    for d in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        p = os.path.join(d, "mpiexec")
        if os.path.exists(p):
            return p
    raise FileNotFoundError("mpiexec not found: pip install 'ember[distributed]' (mpi4py and mpich) "
                            "or put an MPI library's mpiexec on PATH (or in $EMBER_MPIEXEC)")


def _parser():
    p = argparse.ArgumentParser(prog="python -m ember.distributed.run",
                                description="Start a data-parallel ember program on MPI "
                                            "(torchrun's options).")
    p.add_argument("--nproc-per-node", "--nproc_per_node", type=int, default=1,
                   help="processes per machine (default 1)")
    p.add_argument("--nnodes", type=int, default=None,
                   help="machines; with --hosts defaults to the number of hosts")
    p.add_argument("--hosts", default=None, help="comma-separated host names (MPICH -hosts)")
    p.add_argument("--hostfile", default=None, help="a file of host names (MPICH -f)")
    p.add_argument("--master-addr", "--master_addr", default="127.0.0.1")
    p.add_argument("--master-port", "--master_port", type=int, default=29500)
    p.add_argument("--mpiexec", default=None, help="the mpiexec to run (default: found as find_mpiexec does)")
    p.add_argument("-m", "--module", action="store_true", help="run the script as a module (python -m)")
    p.add_argument("--no-python", "--no_python", action="store_true",
                   help="run the script as an executable, not with Python")
    p.add_argument("--standalone", action="store_true", help="accepted for torchrun scripts (one machine)")
    p.add_argument("--_worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("training_script")
    p.add_argument("training_script_args", nargs=argparse.REMAINDER)
    return p


def main(argv=None):
    args = _parser().parse_args(argv)
    if args._worker:
        return _worker(args)
    if args.nproc_per_node < 1:
        raise SystemExit(f"--nproc-per-node must be at least 1, got {args.nproc_per_node}")
    hosts = args.hosts.split(",") if args.hosts else None
    nnodes = args.nnodes or (len(hosts) if hosts else 1)
    cmd = [args.mpiexec or find_mpiexec(), "-n", str(args.nproc_per_node * nnodes)]
    if hosts:
        cmd += ["-hosts", ",".join(hosts)]
    if args.hostfile:
        cmd += ["-f", args.hostfile]
    if hosts or args.hostfile:
        cmd += ["-ppn", str(args.nproc_per_node)]
    env = dict(os.environ, MASTER_ADDR=args.master_addr, MASTER_PORT=str(args.master_port))
    if args.no_python:
        cmd += [args.training_script] + args.training_script_args
    else:
        cmd += [sys.executable, "-u", "-m", "ember.distributed.run", "--_worker"]
        cmd += (["-m"] if args.module else []) + [args.training_script] + args.training_script_args
    return subprocess.call(cmd, env=env)


def _worker(args):
    """Inside one MPI process: set torchrun's environment, then run the script as __main__."""
    from mpi4py import MPI
    world = MPI.COMM_WORLD
    local = world.Split_type(MPI.COMM_TYPE_SHARED)
    # the node index: the rank of this node's first process among the nodes' first processes
    leaders = world.Split(0 if local.Get_rank() == 0 else MPI.UNDEFINED, world.Get_rank())
    node = leaders.Get_rank() if leaders != MPI.COMM_NULL else -1
    node = local.bcast(node, root=0)
    os.environ.update(RANK=str(world.Get_rank()), WORLD_SIZE=str(world.Get_size()),
                      LOCAL_RANK=str(local.Get_rank()), LOCAL_WORLD_SIZE=str(local.Get_size()),
                      GROUP_RANK=str(node), ROLE_RANK=str(world.Get_rank()),
                      ROLE_WORLD_SIZE=str(world.Get_size()))
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29500")
    local.Free()
    if leaders != MPI.COMM_NULL:
        leaders.Free()
    sys.argv = [args.training_script] + args.training_script_args
    if args.module:
        runpy.run_module(args.training_script, run_name="__main__", alter_sys=True)
    else:
        sys.path.insert(0, os.path.dirname(os.path.abspath(args.training_script)))
        runpy.run_path(args.training_script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
