"""ember.utils.data without worker processes: datasets, samplers and collation, compared with
torch.utils.data wherever its output does not depend on the random stream."""
import collections
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
import ember.utils.data as eud

Point = collections.namedtuple("Point", "x y")


def same(e, t):
    """ember output ``e`` has the structure, types, dtypes and values of torch output ``t``."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), type(e)
        assert tuple(e.shape) == tuple(t.shape)
        assert e.dtype.name == str(t.dtype).split(".")[1], (e.dtype, t.dtype)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    elif isinstance(t, dict):
        assert type(e) is type(t) and list(e) == list(t)
        for k in t:
            same(e[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(e) is type(t) and len(e) == len(t), (type(e), type(t))
        for a, b in zip(e, t):
            same(a, b)
    else:
        assert type(e) is type(t) and e == t


def both(make):
    """``make(lib, data_module)`` for ember and torch."""
    return make(ember, eud), make(torch, tud)


# -- collate ---------------------------------------------------------------------------------------
SAMPLES = {
    "tensors": lambda lib: [lib.tensor([1.5, 2.0]), lib.tensor([3.0, 4.0])],
    "int tensors 0-d": lambda lib: [lib.tensor(3), lib.tensor(4)],
    "numpy": lambda lib: [np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)],
    "numpy int": lambda lib: [np.arange(3, dtype=np.int32), np.arange(3, dtype=np.int32)],
    "numpy scalars": lambda lib: [np.float32(1.5), np.float32(2.5)],
    "numpy int64 scalars": lambda lib: [np.int64(1), np.int64(2)],
    "floats": lambda lib: [1.5, 2.5, 3.0],
    "ints": lambda lib: [1, 2, 3],
    "bools": lambda lib: [True, False],
    "strings": lambda lib: ["a", "bc"],
    "bytes": lambda lib: [b"a", b"b"],
    "tuples": lambda lib: [(lib.ones(2), 1, "x"), (lib.zeros(2), 2, "y")],
    "lists": lambda lib: [[1.0, 2], [3.0, 4]],
    "dicts": lambda lib: [{"img": np.ones(2), "label": 1, "meta": {"id": "a"}},
                          {"img": np.zeros(2), "label": 0, "meta": {"id": "b"}}],
    "namedtuples": lambda lib: [Point(lib.ones(1), 1.0), Point(lib.zeros(1), 2.0)],
    "nested": lambda lib: [[(1, [2.0, {"k": lib.arange(2)}])], [(3, [4.0, {"k": lib.arange(2)}])]],
}


@pytest.mark.parametrize("name", list(SAMPLES))
def test_default_collate_matches_torch(name):
    e, t = both(lambda lib, m: m.default_collate(SAMPLES[name](lib)))
    same(e, t)


@pytest.mark.parametrize("name", list(SAMPLES))
def test_default_convert_matches_torch(name):
    e, t = both(lambda lib, m: m.default_convert(SAMPLES[name](lib)[0]))
    same(e, t)


def test_collate_keeps_autograd_and_promotes():
    a = ember.ones(2, requires_grad=True)
    out = eud.default_collate([a, ember.zeros(2)])
    out.sum().backward()
    assert out.grad_fn is not None and a.grad.tolist() == [1.0, 1.0]
    mixed = eud.default_collate([ember.ones(2, dtype=ember.float32), ember.ones(2, dtype=ember.float64)])
    assert torch.stack([torch.ones(2), torch.ones(2, dtype=torch.float64)]).dtype == torch.float64
    assert mixed.dtype == ember.float64


def test_collate_errors():
    for lib, m in ((ember, eud), (torch, tud)):
        with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
            m.default_collate([[1, 2], [3]])
        with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays, numbers, "
                                            "dicts or lists; found <class 'object'>"):
            m.default_collate([object(), object()])
        with pytest.raises(TypeError, match="found <U1"):
            m.default_collate([np.array(["a"]), np.array(["b"])])
        with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
            m.default_collate([lib.ones(2), lib.ones(3)])


# -- datasets --------------------------------------------------------------------------------------
def test_tensor_dataset():
    x = np.arange(12.0).reshape(6, 2)
    y = np.arange(6)
    e, t = both(lambda lib, m: m.TensorDataset(lib.tensor(x), lib.tensor(y)))
    assert len(e) == len(t) == 6
    for i in (0, 5, -1):
        same(e[i], t[i])
    same(e[1:3], t[1:3])
    for m, lib in ((eud, ember), (tud, torch)):
        with pytest.raises(AssertionError, match="Size mismatch between tensors"):
            m.TensorDataset(lib.ones(3), lib.ones(4))


def test_concat_dataset_indexing():
    parts = [list(range(3)), list(range(10, 15)), [], list(range(20, 22))]
    e, t = eud.ConcatDataset(parts), tud.ConcatDataset(parts)
    assert len(e) == len(t) == 10 and e.cumulative_sizes == t.cumulative_sizes
    assert [e[i] for i in range(-10, 10)] == [t[i] for i in range(-10, 10)]
    for m in (eud, tud):
        with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
            m.ConcatDataset(parts)[-11]
        with pytest.raises(IndexError):
            m.ConcatDataset(parts)[10]
        with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
            m.ConcatDataset([])
    both_parts = eud.TensorDataset(ember.arange(2)) + eud.TensorDataset(ember.arange(10, 13))
    assert isinstance(both_parts, eud.ConcatDataset) and len(both_parts) == 5
    assert both_parts[3][0].item() == 11 and both_parts[-1][0].item() == 12


def test_dataset_base_classes():
    class Items(eud.Dataset[int]):  # subscriptable like torch's generic Dataset
        pass
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement __getitem__."):
        Items()[0]
    assert issubclass(eud.IterableDataset, eud.Dataset) and issubclass(eud.RandomSampler, eud.Sampler)


class Stream(eud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_chain_and_stack_and_subset():
    chain = Stream(2) + Stream(3)
    assert isinstance(chain, eud.ChainDataset) and list(chain) == [0, 1, 0, 1, 2] and len(chain) == 5
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(eud.ChainDataset([[1, 2]]))
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        eud.ConcatDataset([Stream(2)])

    a, b = list(range(5)), list("abcde")
    for m in (eud, tud):
        assert m.StackDataset(a, b)[2] == (2, "c")
        assert m.StackDataset(x=a, y=b)[4] == {"x": 4, "y": "e"}
        with pytest.raises(ValueError, match="Size mismatch between datasets"):
            m.StackDataset(a, b[:3])
        with pytest.raises(ValueError, match="At least one dataset should be passed"):
            m.StackDataset()
        with pytest.raises(ValueError, match="but both types are given"):
            m.StackDataset(a, y=b)
    assert eud.StackDataset(a, b).__getitems__([1, 3]) == tud.StackDataset(a, b).__getitems__([1, 3])
    assert eud.StackDataset(x=a, y=b).__getitems__([0]) == tud.StackDataset(x=a, y=b).__getitems__([0])

    e, t = eud.Subset(b, [4, 0, 2]), tud.Subset(b, [4, 0, 2])
    assert len(e) == len(t) == 3 and [e[i] for i in range(3)] == [t[i] for i in range(3)]
    assert e.__getitems__([2, 0]) == t.__getitems__([2, 0]) == ["c", "e"]

    class Bad(eud.Subset):
        def __getitem__(self, i):
            return 0
    with pytest.raises(NotImplementedError, match="Bad overrides __getitem__ but not __getitems__"):
        Bad(b, [0])


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.3, 0.3, 0.4], [0.5, 0.5], [1.0],
                                     [0.33, 0.33, 0.34], [0.1] * 10, [0.2, 0.0, 0.8]])
@pytest.mark.parametrize("n", [10, 11, 7])
def test_random_split_lengths(lengths, n):
    data = list(range(n))
    try:
        with warnings.catch_warnings(record=True) as tw:
            warnings.simplefilter("always")
            t = [len(s) for s in tud.random_split(data, lengths)]
    except ValueError as err:
        with pytest.raises(ValueError, match=str(err)):
            eud.random_split(data, lengths)
        return
    with warnings.catch_warnings(record=True) as ew:
        warnings.simplefilter("always")
        splits = eud.random_split(data, lengths)
    assert [len(s) for s in splits] == t
    assert [str(w.message) for w in ew] == [str(w.message) for w in tw]
    assert sorted(i for s in splits for i in s) == data  # a partition


def test_random_split_errors_and_generator():
    for m in (eud, tud):
        with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the "
                                             "input dataset!"):
            m.random_split(range(10), [3, 3])
        with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
            m.random_split(range(10), [0.5, 1.5, -1.0])
        with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
            m.random_split(range(10), [1.5, -0.5])
    a = eud.random_split(range(20), [5, 15], generator=ember.Generator().manual_seed(1))
    b = eud.random_split(range(20), [5, 15], generator=ember.Generator().manual_seed(1))
    assert list(a[0]) == list(b[0]) and list(a[1]) == list(b[1])
    ember.manual_seed(3)
    c = list(eud.random_split(range(20), [5, 15])[0])
    ember.manual_seed(3)
    assert list(eud.random_split(range(20), [5, 15])[0]) == c


# -- samplers --------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [0, 1, 10])
@pytest.mark.parametrize("bs", [1, 3, 10, 11])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sequential_and_batch_sampler(n, bs, drop_last):
    data = list(range(n))
    e = eud.BatchSampler(eud.SequentialSampler(data), bs, drop_last)
    t = tud.BatchSampler(tud.SequentialSampler(data), bs, drop_last)
    assert list(e) == list(t) and len(e) == len(t)
    assert list(eud.SequentialSampler(data)) == data
    e, t = eud.DataLoader(data, batch_size=bs, drop_last=drop_last), \
        tud.DataLoader(data, batch_size=bs, drop_last=drop_last)
    assert len(e) == len(t)
    same([b for b in e], [b for b in t])


def test_sampler_errors():
    for m in (eud, tud):
        for bad in (0, -1, 2.0, True):
            with pytest.raises(ValueError, match=f"batch_size should be a positive integer value, "
                                                 f"but got batch_size={bad}"):
                m.BatchSampler(range(3), bad, False)
        with pytest.raises(ValueError, match="drop_last should be a boolean value, but got drop_last=1"):
            m.BatchSampler(range(3), 2, 1)
        with pytest.raises(TypeError, match="replacement should be a boolean value"):
            m.RandomSampler(range(3), replacement=1)
        with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got "
                                             "num_samples=0"):
            m.RandomSampler(range(3), num_samples=0)
        with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
            m.WeightedRandomSampler([1.0], 0)
        with pytest.raises(ValueError, match=r"weights should be a 1d sequence but given weights have "
                                             r"shape \(1, 2\)"):
            m.WeightedRandomSampler([[1.0, 2.0]], 2)


def test_random_samplers():
    data = list(range(10))
    g = ember.Generator().manual_seed(5)
    first = list(eud.RandomSampler(data, generator=g))
    assert sorted(first) == data and list(eud.RandomSampler(data, generator=g)) != first
    assert list(eud.RandomSampler(data, generator=ember.Generator().manual_seed(5))) == first
    ember.manual_seed(0)
    epochs = [list(eud.RandomSampler(data)) for _ in range(2)]
    ember.manual_seed(0)
    assert [list(eud.RandomSampler(data)) for _ in range(2)] == epochs and epochs[0] != epochs[1]
    s = eud.RandomSampler(data, num_samples=25)
    drawn = list(s)
    assert len(s) == 25 and len(drawn) == 25 and sorted(drawn[:10]) == data and sorted(drawn[10:20]) == data
    r = eud.RandomSampler(data, replacement=True, num_samples=40)
    drawn = list(r)
    assert len(drawn) == 40 and all(0 <= i < 10 for i in drawn)

    sub = eud.SubsetRandomSampler([3, 5, 7])
    assert sorted(sub) == [3, 5, 7] and len(sub) == 3
    w = eud.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 50)
    drawn = list(w)
    assert len(w) == 50 and set(drawn) <= {1, 3} and drawn.count(3) > drawn.count(1)
    assert sorted(eud.WeightedRandomSampler([1.0, 2.0, 3.0], 3, replacement=False)) == [0, 1, 2]


def test_sampler_in_dataloader_is_seeded():
    data = list(range(12))

    def epoch(**kw):
        return [b.tolist() for b in eud.DataLoader(data, batch_size=5, shuffle=True, **kw)]
    ember.manual_seed(1)
    a = epoch()
    ember.manual_seed(1)
    assert epoch() == a and sorted(sum(a, [])) == data and [len(b) for b in a] == [5, 5, 2]
    g1, g2 = ember.Generator().manual_seed(9), ember.Generator().manual_seed(9)
    ember.manual_seed(2)
    x = epoch(generator=g1)
    ember.manual_seed(3)
    assert epoch(generator=g2) == x
