"""The samplers that use ember's intra-op threads (randn's words drawn ahead of the math)
give PyTorch's numbers at one thread and at several, and a failure while drawing is raised,
not waited on forever."""
import numpy as np
import pytest
import torch

import ember


@pytest.fixture
def threads():
    before = ember.get_num_threads()
    yield
    ember.set_num_threads(before)


@pytest.mark.parametrize("nt", [1, 2])
@pytest.mark.parametrize("n", [16, 4096 * 16 + 3, 300_000])
def test_randn_same_at_any_thread_count(threads, nt, n):
    ember.set_num_threads(nt)
    ember.manual_seed(7)
    torch.manual_seed(7)
    a, b = ember.randn(n).numpy(), torch.randn(n).numpy()
    assert np.array_equal(a.view(np.int32), b.view(np.int32))
    assert ember.rand(2).tolist() == torch.rand(2).tolist()      # the stream is where torch's is


class _Failing(ember.Generator):
    __slots__ = ("calls",)

    def _words(self, n):
        self.calls += 1
        if self.calls == 2:
            raise MemoryError("no words")
        return super()._words(n)


@pytest.mark.parametrize("nt", [1, 2])
def test_draw_failure_is_raised(threads, nt):
    ember.set_num_threads(nt)
    for draw in (lambda g: ember.randn(300_000, generator=g),
                 lambda g: ember.randperm(600_000, generator=g)):
        g = _Failing()
        g.calls = 0
        with pytest.raises((MemoryError, RuntimeError)):
            draw(g)


@pytest.mark.parametrize("nt", [1, 2])
def test_randperm_same_at_any_thread_count(threads, nt):
    """Large n (several parts per split pass, chains many steps deep) and many small n with
    many seeds (a step that swaps with itself, z = 0, first or last of its target's group)."""
    ember.set_num_threads(nt)
    cases = [(n, s) for n in (2, 3, 4, 7, 16, 33) for s in range(25)]
    cases += [(5 * (1 << 17) + 3, 1), (10 ** 6, 2)]
    for n, s in cases:
        ember.manual_seed(s)
        torch.manual_seed(s)
        assert np.array_equal(ember.randperm(n).numpy(), torch.randperm(n).numpy()), (n, s)
    assert ember.randint(0, 1 << 30, (3,)).tolist() == torch.randint(0, 1 << 30, (3,)).tolist()
