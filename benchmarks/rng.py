"""Random number generation, ember against PyTorch in one run (issue 12).

    python -m benchmarks.run rng rng_rand rng_randn rng_randint rng_randperm

Both libraries draw the same numbers (PyTorch's MT19937 stream); these time 10^6 draws each:
``rand`` (float32 uniform), ``randn`` (float32 normal, the 16-at-a-time Box-Muller),
``randint(0, 1000)`` (int64) and ``randperm``. ``rng`` is the four together.
"""
import time

N = 10 ** 6


def _best_pair(fa, fb, repeat=9):
    """Best of ``repeat`` for each of two callables, timed alternately, so that a busy machine
    slows both alike."""
    ta, tb = [], []
    for _ in range(repeat):
        for fn, times in ((fa, ta), (fb, tb)):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return min(ta), min(tb)


def _calls(lib):
    return {"rand": lambda: lib.rand(N), "randn": lambda: lib.randn(N),
            "randint": lambda: lib.randint(0, 1000, (N,)), "randperm": lambda: lib.randperm(N)}


def _time(name, ember, torch):
    ember.manual_seed(0)
    torch.manual_seed(0)
    return _best_pair(_calls(ember)[name], _calls(torch)[name])


def rng_rand(ember, torch):
    """Seconds for rand(10^6), best of 9 (the two timed alternately): (ember_s, torch_s)."""
    return _time("rand", ember, torch)


def rng_randn(ember, torch):
    """Seconds for randn(10^6)."""
    return _time("randn", ember, torch)


def rng_randint(ember, torch):
    """Seconds for randint(0, 1000, (10^6,))."""
    return _time("randint", ember, torch)


def rng_randperm(ember, torch):
    """Seconds for randperm(10^6)."""
    return _time("randperm", ember, torch)


def rng(ember, torch):
    """The four draws of 10^6 together."""
    parts = [f(ember, torch) for f in (rng_rand, rng_randn, rng_randint, rng_randperm)]
    return sum(p[0] for p in parts), sum(p[1] for p in parts)
