"""DataLoader: options and their errors (as torch.utils.data), worker processes (same batches
as in the main process, seeding, IterableDataset sharding) and faults (an exception, a killed
worker, a timeout) — and no worker process outlives its loader."""
import gc
import multiprocessing as mp
import os
import random
import signal
import time

import numpy as np
import pytest
import torch.utils.data as tud

import ember
import ember.utils.data as eud


@pytest.fixture(autouse=True)
def no_children_left():
    yield
    if mp.active_children():  # collect only when needed: gc is slow with torch loaded
        gc.collect()
    assert mp.active_children() == []


class Squares(eud.Dataset):
    """Sample i: (float32 [i, i*i], i); ``fail_at``/``kill_at``/``sleep_at`` misbehave in a
    worker only."""

    def __init__(self, n=20, fail_at=None, kill_at=None, sleep_at=None):
        self.n, self.fail_at, self.kill_at, self.sleep_at = n, fail_at, kill_at, sleep_at
        self.offset = 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if eud.get_worker_info() is not None:
            if i == self.fail_at:
                raise ValueError(f"bad sample {i}")
            if i == self.kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            if i == self.sleep_at:
                time.sleep(30)
        return ember.tensor([i, i * i], dtype=ember.float32) + self.offset, i


def batches(loader):
    return [(x.tolist(), y.tolist()) for x, y in loader]


# -- options ---------------------------------------------------------------------------------------
def test_option_errors_match_torch():
    data = list(range(4))
    cases = [dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
             dict(num_workers=1, prefetch_factor=-1), dict(persistent_workers=True),
             dict(sampler=tud.SequentialSampler(data), shuffle=True),
             dict(batch_sampler=[[0]], batch_size=2), dict(batch_sampler=[[0]], drop_last=True),
             dict(batch_size=None, drop_last=True), dict(multiprocessing_context="fork"),
             dict(num_workers=1, multiprocessing_context="nope")]
    for kw in cases:
        with pytest.raises(ValueError) as t:
            tud.DataLoader(data, **kw)
        with pytest.raises(ValueError) as e:
            eud.DataLoader(data, **kw)
        assert str(e.value) == str(t.value), kw
    stream = Stream(4)
    for kw in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        with pytest.raises(ValueError, match="DataLoader with IterableDataset: expected unspecified"):
            eud.DataLoader(stream, **kw)
    loader = eud.DataLoader(data)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is "
                                         "initialized"):
        loader.batch_size = 3
    loader.num_workers = 0  # others may change


def test_batch_size_none_and_batch_sampler():
    data = [np.array([i, i]) for i in range(3)]
    e = list(eud.DataLoader(data, batch_size=None))
    t = list(tud.DataLoader(data, batch_size=None))
    assert [x.tolist() for x in e] == [x.tolist() for x in t] and len(e) == 3
    bs = [[2, 0], [1]]
    assert [x.tolist() for x in eud.DataLoader(data, batch_sampler=bs)] == \
        [x.tolist() for x in tud.DataLoader(data, batch_sampler=bs)]
    out = list(eud.DataLoader(list(range(5)), batch_size=2, collate_fn=lambda b: sum(b)))
    assert out == [1, 5, 4]
    with pytest.raises(AssertionError, match="_SingleProcessDataLoaderIter requires timeout == 0"):
        iter(eud.DataLoader(data, timeout=1))


def test_tensor_dataset_epoch_like_seed_000():
    x, y = ember.randn(10, 2), ember.arange(10).float()
    loader = eud.DataLoader(eud.TensorDataset(x, y), 2, shuffle=True)
    assert len(loader) == 5
    seen = []
    for xb, yb in loader:
        assert tuple(xb.shape) == (2, 2) and xb.dtype == ember.float32 and tuple(yb.shape) == (2,)
        seen += yb.tolist()
    assert sorted(seen) == list(range(10))


# -- workers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("drop_last", [False, True])
def test_workers_yield_the_main_process_batches(drop_last):
    out = []
    for nw in (0, 2):
        ember.manual_seed(7)
        loader = eud.DataLoader(Squares(23), batch_size=4, shuffle=True, num_workers=nw,
                                drop_last=drop_last)
        out.append([batches(loader) for _ in range(2)])  # two epochs
    assert out[0] == out[1]
    assert out[0][0] != out[0][1]  # epochs differ
    assert len(out[0][0]) == (5 if drop_last else 6)
    g = [ember.Generator().manual_seed(1) for _ in range(2)]
    assert batches(eud.DataLoader(Squares(9), 2, shuffle=True, generator=g[0])) == \
        batches(eud.DataLoader(Squares(9), 2, shuffle=True, generator=g[1], num_workers=2))


def test_persistent_workers_and_break():
    loader = eud.DataLoader(Squares(10), batch_size=3, num_workers=2, persistent_workers=True,
                            prefetch_factor=1)
    first = batches(loader)
    pids = [w.pid for w in loader._iterator._workers]
    for _ in loader:  # a broken-off epoch leaves stale batches behind: the next epoch drops them
        break
    assert batches(loader) == first == batches(eud.DataLoader(Squares(10), batch_size=3))
    assert [w.pid for w in loader._iterator._workers] == pids and len(mp.active_children()) == 2
    del loader
    gc.collect()
    assert mp.active_children() == []


def test_no_worker_left_after_break_or_gc():
    loader = eud.DataLoader(Squares(40), batch_size=2, num_workers=2)
    for _ in loader:
        break
    assert mp.active_children() == []
    it = iter(loader)
    next(it)
    assert len(mp.active_children()) == 2
    del it
    assert mp.active_children() == []
    batches(loader)  # a finished epoch shuts its workers down
    assert mp.active_children() == []


def test_worker_info_seeds_and_init_fn():
    class Info(eud.Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            w = eud.get_worker_info()
            assert w.dataset is self
            return {"id": w.id, "n": w.num_workers, "seed": w.seed, "ember": ember.rand(1).item(),
                    "np": np.random.rand(), "py": random.random(), "off": w.dataset.offset}

    def init(worker_id):
        eud.get_worker_info().dataset.offset = 100 + worker_id

    Info.offset = 0
    assert eud.get_worker_info() is None

    def run():
        return list(eud.DataLoader(Info(), batch_size=2, num_workers=2, worker_init_fn=init))
    ember.manual_seed(0)
    out = run()
    ember.manual_seed(0)
    again = run()
    assert [b["id"].tolist() for b in out] == [[0, 0], [1, 1], [0, 0], [1, 1]]
    assert [b["off"].tolist() for b in out] == [[100, 100], [101, 101]] * 2
    assert out[0]["n"].tolist() == [2, 2]
    seed0, seed1 = out[0]["seed"][0].item(), out[1]["seed"][0].item()
    assert seed1 == seed0 + 1
    for key in ("ember", "np", "py"):  # workers draw different numbers, reproducibly
        assert out[0][key].tolist() != out[1][key].tolist()
        assert [b[key].tolist() for b in out] == [b[key].tolist() for b in again]


class Stream(eud.IterableDataset):
    """0 … n-1, split between workers by get_worker_info()."""
    get_worker_info = staticmethod(eud.get_worker_info)

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __iter__(self):
        w = self.get_worker_info()
        if w is None:
            return iter(range(self.n))
        return iter(range(w.id, self.n, w.num_workers))


class TorchStream(Stream, tud.IterableDataset):
    get_worker_info = staticmethod(tud.get_worker_info)


@pytest.mark.parametrize("persistent", [False, True])
def test_iterable_dataset_split_across_workers(persistent):
    e = eud.DataLoader(Stream(11), batch_size=2, num_workers=2, persistent_workers=persistent)
    t = tud.DataLoader(TorchStream(11), batch_size=2, num_workers=2, persistent_workers=persistent)
    # worker 0 gives 0 2 4 6 8 10, worker 1 gives 1 3 5 7 9; batches alternate between them
    expect = [[0, 2], [1, 3], [4, 6], [5, 7], [8, 10], [9]]
    assert [b.tolist() for b in t] == expect
    del t
    for _ in range(2):
        assert [b.tolist() for b in e] == expect
    assert len(e) == 6
    assert [b.tolist() for b in eud.DataLoader(Stream(5), batch_size=2, num_workers=2, drop_last=True)] \
        == [[0, 2], [1, 3]]
    assert list(eud.DataLoader(Stream(3), batch_size=None, num_workers=2)) == [0, 1, 2]
    del e
    gc.collect()


def test_spawn_context():
    # an ember-only dataset: a spawned worker imports what unpickling the dataset needs
    ds = eud.TensorDataset(ember.arange(6.0), ember.arange(6))
    loader = eud.DataLoader(ds, batch_size=4, num_workers=1, multiprocessing_context="spawn")
    assert batches(loader) == batches(eud.DataLoader(ds, batch_size=4))


# -- faults ----------------------------------------------------------------------------------------
def test_worker_exception_is_reraised_with_its_traceback():
    it = iter(eud.DataLoader(Squares(8, fail_at=1), batch_size=2, num_workers=2))
    with pytest.raises(ValueError) as e:
        next(it)
    msg = str(e.value)
    assert msg.startswith("Caught ValueError in DataLoader worker process 0.\n"
                          "Original Traceback (most recent call last):\n")
    assert "in __getitem__" in msg and "ValueError: bad sample 1" in msg
    assert [y.tolist() for _, y in it] == [[2, 3], [4, 5], [6, 7]]  # the loader goes on
    del e, it

    class Local(Exception):  # not importable by name: arrives as a RuntimeError of that name
        pass

    def collate(batch):
        raise Local("nope")
    with pytest.raises(RuntimeError, match="Caught Local in DataLoader worker process 0"):
        next(iter(eud.DataLoader(Squares(2), num_workers=1, collate_fn=collate)))
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 0"):
        next(iter(eud.DataLoader(Squares(2), num_workers=1, collate_fn=lambda b: {}["k"])))
    with pytest.raises(Exception, match="Caught .* in DataLoader worker process 0"):
        next(iter(eud.DataLoader(Squares(2), num_workers=1, collate_fn=lambda b: lambda: 0)))

    def init(worker_id):
        raise OSError("no init")
    with pytest.raises(OSError, match="(?s)Caught OSError in DataLoader worker process 0.*no init"):
        next(iter(eud.DataLoader(Squares(2), num_workers=1, worker_init_fn=init)))


def test_killed_worker_raises_instead_of_hanging():
    loader = eud.DataLoader(Squares(12, kill_at=5), batch_size=2, num_workers=2)
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match=r"^DataLoader worker \(pid \d+\) is killed by signal: "
                                           r"Killed \(SIGKILL\)\. $"):
        batches(loader)
    assert time.monotonic() - t0 < 5
    assert mp.active_children() == []


def test_timeout():
    loader = eud.DataLoader(Squares(8, sleep_at=2), batch_size=2, num_workers=2, timeout=0.3)
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0.3 seconds$"):
        batches(loader)
    assert time.monotonic() - t0 < 5
    assert mp.active_children() == []
