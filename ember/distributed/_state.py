"""Process groups over MPI: initialisation, groups, the wait loop and fault handling.

Every process group is an MPI communicator (``COMM_WORLD`` for the default group, a ``Split`` of
it for ``new_group``). Collectives are started non-blocking and finished by ``wait``, which
spins on ``MPI.Request.Testall`` (MPICH makes progress only inside MPI calls, so spinning is
what a blocking call does too) while it watches two things a blocking call cannot: the group's
``timeout`` and a fault message from a peer. A rank whose Python raises sends that message to
every other rank before it calls ``MPI_Abort``, so the others stop with an error that names it
instead of hanging; a rank that dies outright is reaped by ``mpiexec``, which kills the rest.
"""
import datetime
import importlib.util
import os
import sys
import time
import traceback

__all__ = ["Backend", "ReduceOp", "ProcessGroup", "GroupMember", "group", "Work",
           "DistError", "DistBackendError", "is_available", "is_mpi_available",
           "is_nccl_available", "is_gloo_available", "is_initialized", "init_process_group",
           "destroy_process_group", "get_rank", "get_world_size", "get_backend", "new_group",
           "get_global_rank", "get_group_rank", "get_process_group_ranks", "default_pg_timeout"]

default_pg_timeout = datetime.timedelta(minutes=30)
_FAULT_TAG = 31337

# mpi4py.MPI is imported by init_process_group, not here: importing it initialises MPI, which
# a single-process program (or one that forks DataLoader workers) should never pay for.
MPI = None


def _load_mpi():
    global MPI
    if MPI is None:
        try:
            from mpi4py import MPI as _mpi
        except ImportError:
            raise RuntimeError("ember.distributed needs mpi4py and an MPI library: "
                               "pip install 'ember[distributed]' (mpi4py and mpich)") from None
        MPI = _mpi
    return MPI


class DistError(RuntimeError):
    """An error of the distributed package (torch.distributed.DistError)."""


class DistBackendError(DistError):
    """A collective failed: a timeout or a peer that failed (torch.distributed.DistBackendError)."""


class Backend(str):
    """A backend name: ``Backend.MPI``, ``Backend.GLOO`` (served by MPI on the CPU) or
    ``Backend.NCCL`` (CuPy arrays through ``cupy.cuda.nccl``)."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    MPI = "mpi"

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: {type(name)}")
        value = getattr(Backend, name.upper(), Backend.UNDEFINED)
        if value == Backend.UNDEFINED:
            value = name.lower()
        return str.__new__(cls, value)


class ReduceOp:
    """Reduction operations of ``all_reduce`` / ``reduce`` / ``reduce_scatter``."""

    class RedOpType:
        __slots__ = ("name",)

        def __init__(self, name):
            self.name = name

        def __repr__(self):
            return f"<RedOpType.{self.name}: {_OP_NAMES.index(self.name)}>"

    SUM = RedOpType("SUM")
    AVG = RedOpType("AVG")
    PRODUCT = RedOpType("PRODUCT")
    MIN = RedOpType("MIN")
    MAX = RedOpType("MAX")
    BAND = RedOpType("BAND")
    BOR = RedOpType("BOR")
    BXOR = RedOpType("BXOR")


_OP_NAMES = ["SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"]


def mpi_op(op):
    """The MPI operation of a ReduceOp (AVG is SUM then a division, done by the caller)."""
    if not isinstance(op, ReduceOp.RedOpType):
        raise ValueError(f"Unknown reduce op: {op!r}; expected a member of ReduceOp")
    return {"SUM": MPI.SUM, "AVG": MPI.SUM, "PRODUCT": MPI.PROD, "MIN": MPI.MIN, "MAX": MPI.MAX,
            "BAND": MPI.BAND, "BOR": MPI.BOR, "BXOR": MPI.BXOR}[op.name]


class ProcessGroup:
    """A set of ranks that run collectives together: an MPI communicator plus the global ranks
    of its members (``group rank i`` is global rank ``ranks[i]``)."""

    def __init__(self, comm, ranks, backend, timeout):
        self.comm, self.ranks, self._backend, self.timeout = comm, list(ranks), backend, timeout
        self._nccl = None   # a cupy NcclCommunicator, made on first use by the nccl backend

    def rank(self):
        return self.comm.Get_rank()

    def size(self):
        return self.comm.Get_size()

    def name(self):
        return self._backend.upper()

    def __repr__(self):
        return f"ProcessGroup(backend={self._backend!r}, ranks={self.ranks})"


class _WorldProxy:
    """``group.WORLD`` / ``GroupMember.WORLD``: the default group once initialised."""

    def __get__(self, obj, owner):
        return _STATE.world


class GroupMember:
    WORLD = _WorldProxy()
    NON_GROUP_MEMBER = -100


group = GroupMember


class _State:
    def __init__(self):
        self.world = None
        self.fault_comm = None
        self.groups = []
        self.prev_hook = None


_STATE = _State()


def is_available():
    """True when the distributed package can run (``mpi4py`` is installed)."""
    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available():
    return is_available()


def is_gloo_available():
    return is_available()   # "gloo" is served by MPI on the CPU


def is_nccl_available():
    try:
        from cupy.cuda import nccl  # noqa: F401
    except Exception:
        return False
    return is_available()


def is_initialized():
    """Whether the default process group has been initialised."""
    return _STATE.world is not None


def _world():
    if _STATE.world is None:
        raise ValueError("Default process group has not been initialized, please make sure to "
                         "call init_process_group.")
    return _STATE.world


def _timeout_seconds(timeout):
    if timeout is None:
        return default_pg_timeout.total_seconds()
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    raise TypeError("Expected timeout argument to be of type datetime.timedelta, got "
                    f"{type(timeout).__name__}")


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Initialise the default process group over MPI's ``COMM_WORLD``.

    ``backend`` is ``"mpi"`` (default), ``"gloo"`` (the CPU, served by MPI) or ``"nccl"``
    (CuPy tensors through ``cupy.cuda.nccl``); ``"cpu:gloo,cuda:nccl"`` forms are accepted.
    Ranks and world size come from ``mpiexec``; ``world_size`` / ``rank`` / ``init_method``
    may be given (as torchrun scripts do) and must agree with it. ``timeout`` (a timedelta,
    default 30 minutes) bounds every wait of a collective."""
    _load_mpi()
    if _STATE.world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = _backend_name(backend)
    comm = MPI.COMM_WORLD
    n, r = comm.Get_size(), comm.Get_rank()
    if world_size not in (-1, None) and int(world_size) != n:
        raise ValueError(f"init_process_group: world_size={world_size} but mpiexec started {n} "
                         f"process(es); launch with mpiexec -n {world_size}")
    if rank not in (-1, None) and int(rank) != r:
        raise ValueError(f"init_process_group: rank={rank} but MPI gave this process rank {r}")
    if name == Backend.NCCL and not is_nccl_available():
        raise RuntimeError("Distributed package doesn't have NCCL built in (cupy.cuda.nccl "
                           "could not be imported)")
    _STATE.world = ProcessGroup(comm, range(n), name, _timeout_seconds(timeout))
    _STATE.fault_comm = comm.Dup()
    _STATE.groups = [_STATE.world]
    for k, v in (("RANK", r), ("WORLD_SIZE", n)):
        os.environ.setdefault(k, str(v))
    if "LOCAL_RANK" not in os.environ:
        local = comm.Split_type(MPI.COMM_TYPE_SHARED)
        os.environ["LOCAL_RANK"] = str(local.Get_rank())
        os.environ.setdefault("LOCAL_WORLD_SIZE", str(local.Get_size()))
        local.Free()
    _install_excepthook()


def _backend_name(backend):
    if backend is None:
        return Backend.MPI
    if not isinstance(backend, str):
        raise TypeError(f"backend must be a string, got {type(backend).__name__}")
    names = [b.split(":")[-1].strip().lower() for b in backend.split(",")]
    for b in names:
        if b not in ("mpi", "gloo", "nccl"):
            raise ValueError(f"Invalid backend: '{b}'; ember.distributed runs on MPI and "
                             "accepts 'mpi', 'gloo' (CPU) or 'nccl' (CuPy)")
    return Backend("nccl" if "nccl" in names else names[0])


def destroy_process_group(group=None):
    """Destroy ``group`` (the default group and every other one when None)."""
    if _STATE.world is None:
        raise ValueError("Default process group has not been initialized, please make sure to "
                         "call init_process_group.")
    if group is None or group is _STATE.world:
        for g in _STATE.groups[1:]:
            _free(g)
        _STATE.world, _STATE.groups = None, []
        if _STATE.fault_comm is not None:
            _STATE.fault_comm.Free()
            _STATE.fault_comm = None
        _restore_excepthook()
        return
    if group in _STATE.groups:
        _STATE.groups.remove(group)
        _free(group)


def _free(g):
    if g.comm != MPI.COMM_WORLD and g.comm != MPI.COMM_NULL:
        g.comm.Free()


def _group(group):
    """The ProcessGroup a collective runs on (None → the default one)."""
    world = _world()
    if group is None:
        return world
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"group must be a ProcessGroup returned by new_group, got {type(group).__name__}")
    return group


def get_rank(group=None):
    """This process's rank in ``group`` (-1 when it is not a member)."""
    if group is not None and group == GroupMember.NON_GROUP_MEMBER:
        return -1
    return _group(group).rank()


def get_world_size(group=None):
    """The number of processes in ``group``."""
    if group is not None and group == GroupMember.NON_GROUP_MEMBER:
        return -1
    return _group(group).size()


def get_backend(group=None):
    return Backend(_group(group)._backend)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False, group_desc=None, device_id=None):
    """A group of the given global ``ranks`` (all of them when None). Like PyTorch, every
    process must call it (it is collective over the default group); processes outside
    ``ranks`` get ``GroupMember.NON_GROUP_MEMBER``."""
    world = _world()
    n = world.size()
    ranks = sorted(range(n) if ranks is None else (int(r) for r in ranks))
    for r in ranks:
        if not 0 <= r < n:
            raise ValueError(f"new_group: rank {r} is not in the default group (world size {n})")
    if len(set(ranks)) != len(ranks):
        raise ValueError(f"new_group: ranks must be unique, got {ranks}")
    me = world.rank()
    member = me in ranks
    comm = world.comm.Split(0 if member else MPI.UNDEFINED, ranks.index(me) if member else 0)
    if not member:
        return GroupMember.NON_GROUP_MEMBER
    name = _backend_name(backend) if backend is not None else world._backend
    t = world.timeout if timeout is None else _timeout_seconds(timeout)
    g = ProcessGroup(comm, ranks, name, t)
    _STATE.groups.append(g)
    return g


def get_global_rank(group, group_rank):
    """The global rank of ``group``'s rank ``group_rank``."""
    g = _group(group)
    if not 0 <= group_rank < len(g.ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {g}")
    return g.ranks[group_rank]


def get_group_rank(group, global_rank):
    g = _group(group)
    if global_rank not in g.ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {g}")
    return g.ranks.index(global_rank)


def get_process_group_ranks(group):
    return list(_group(group).ranks)


def peer(g, rank, group_rank, what):
    """The group rank a collective addresses: ``group_rank`` if given, else the global
    ``rank`` translated into ``g``."""
    if group_rank is not None:
        if rank is not None:
            raise ValueError(f"Can not specify both {what} and group_{what}")
        if not 0 <= group_rank < g.size():
            raise ValueError(f"group_{what} {group_rank} is out of range for a group of size {g.size()}")
        return group_rank
    if rank is None:
        rank = 0
    if rank not in g.ranks:
        raise ValueError(f"{what} rank {rank} is not part of the group (global ranks {g.ranks})")
    return g.ranks.index(rank)


# ---- waiting ---------------------------------------------------------------------------------
class Work:
    """The handle of a collective started with ``async_op=True``: ``wait()`` finishes it
    (copying results into the output tensors), ``is_completed()`` polls it."""

    def __init__(self, reqs, g, what, finish=None, result=None):
        self._reqs, self._g, self._what, self._finish = list(reqs), g, what, finish
        self._result, self._done = result, False

    def is_completed(self):
        if not self._done and MPI.Request.Testall(self._reqs):
            self._complete()
        return self._done

    def wait(self, timeout=None):
        if not self._done:
            t = self._g.timeout if timeout is None else _timeout_seconds(timeout)
            wait_all(self._reqs, self._g, self._what, t)
            self._complete()
        return True

    def _complete(self):
        self._done = True
        if self._finish is not None:
            f, self._finish = self._finish, None
            f()

    def result(self):
        self.wait()
        return self._result

    def is_success(self):
        return self._done


def wait_all(reqs, g, what, timeout=None, statuses=None):
    """Spin until every request completes, raising if the group's timeout passes or a peer
    reports a failure. ``statuses`` (a list of MPI.Status) receives the requests' statuses."""
    if not reqs or MPI.Request.Testall(reqs, statuses):
        return
    limit = g.timeout if timeout is None else timeout
    start = time.monotonic()
    spins = 0
    while not MPI.Request.Testall(reqs, statuses):
        spins += 1
        if spins & 1023 == 0:
            _check_peer_failure()
            if time.monotonic() - start > limit:
                raise DistBackendError(
                    f"[rank {get_rank()}] {what} timed out after {limit:g} s (the process "
                    f"group's timeout) waiting for ranks {g.ranks}; a peer may be stuck or "
                    "running a different collective")
            _yield()   # as MPICH's own waits do every 1000 polls: a peer on a shared core runs


_yield = getattr(os, "sched_yield", lambda: time.sleep(0))


def _check_peer_failure():
    fc = _STATE.fault_comm
    if fc is None:
        return
    status = MPI.Status()
    if fc.Iprobe(source=MPI.ANY_SOURCE, tag=_FAULT_TAG, status=status):
        msg = fc.recv(source=status.Get_source(), tag=_FAULT_TAG)
        fc.send(True, dest=status.Get_source(), tag=_FAULT_TAG + 1)   # acknowledge
        raise _PeerFailure(f"rank {status.Get_source()} failed: {msg}; stopping rank "
                           f"{get_rank()} too")


class _PeerFailure(DistBackendError):
    """Raised on a surviving rank when another rank reported an exception."""


# ---- faults ----------------------------------------------------------------------------------
def _install_excepthook():
    if _STATE.prev_hook is None:
        _STATE.prev_hook = sys.excepthook
        sys.excepthook = _excepthook


def _restore_excepthook():
    if _STATE.prev_hook is not None:
        sys.excepthook = _STATE.prev_hook
        _STATE.prev_hook = None


def _excepthook(etype, value, tb):
    """An uncaught exception on one rank: print it (tagged with the rank), tell every other
    rank, give them a moment to print their own error, then abort the whole job so nobody
    waits forever."""
    rank = _STATE.world.rank() if _STATE.world is not None else "?"
    text = "".join(traceback.format_exception(etype, value, tb))
    sys.stderr.write(f"[ember.distributed rank {rank}] uncaught exception:\n{text}")
    sys.stderr.flush()
    fc = _STATE.fault_comm
    if fc is not None and not isinstance(value, _PeerFailure):
        summary = f"{etype.__name__}: {value}"
        others = [r for r in range(fc.Get_size()) if r != fc.Get_rank()]
        reqs = [fc.isend(summary, dest=r, tag=_FAULT_TAG) for r in others]
        # wait (10 s at most: a loaded machine may be slow to schedule them) for each peer to
        # acknowledge from its wait loop, then give the acknowledged ones a moment to print their
        # error before the abort kills them
        # (a peer that failed too reports its own failure instead of acknowledging)
        acks = {r: fc.irecv(source=r, tag=_FAULT_TAG + 1) for r in others}
        deadline = time.monotonic() + 10.0
        status = MPI.Status()
        while acks and time.monotonic() < deadline:
            for r in [r for r, q in acks.items() if q.Test()]:
                del acks[r]
            while fc.Iprobe(source=MPI.ANY_SOURCE, tag=_FAULT_TAG, status=status):
                fc.recv(source=status.Get_source(), tag=_FAULT_TAG)
                acks.pop(status.Get_source(), None)
            time.sleep(0.002)
        MPI.Request.Testall(reqs)
        time.sleep(1.0)
    elif fc is not None:
        # a peer's failure stops this rank: let mpiexec forward what it just printed before the
        # abort tears the job down (the failing rank waits longer than this, see above)
        time.sleep(0.3)
    if MPI is not None and MPI.Is_initialized() and not MPI.Is_finalized():
        MPI.COMM_WORLD.Abort(1)
