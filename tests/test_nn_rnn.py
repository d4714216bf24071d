"""Recurrent layers and cells against torch.nn: torch's weights copied into ember, then outputs,
final states, input / state gradients and parameter gradients compared."""
import math
import warnings

import numpy as np
import pytest
import torch
from helpers import assert_close, check_error

import ember
from ember import nn

RNG = np.random.default_rng(7)
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")


def pair(build, double=False):
    """The same module in ember and torch, torch's weights copied into ember."""
    e, t = build(nn), build(torch.nn)
    if double:
        e, t = e.double(), t.double()
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return e, t


def data(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def both(a):
    return ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def flat(out):
    """The tensors of a module's result, in order: output, h (and c)."""
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in flat(o)]
    return [out]


def compare(e, t, e_in, t_in, tol=1e-5, modules=None):
    """Run both, compare every output, then backward a random weighting of all of them and
    compare the gradients of the inputs and of every parameter (of e and t, or of the pair of
    ``modules``)."""
    eo, to = flat(e(*e_in)), flat(t(*t_in))
    assert len(eo) == len(to)
    for i, (a, b) in enumerate(zip(eo, to)):
        assert_close(a, b, tol, tol, msg=f"output {i}")
    ups = [data(*b.shape, dtype=b.detach().numpy().dtype) for b in to]
    ember.autograd.backward(eo, [ember.tensor(u) for u in ups])
    torch.autograd.backward(to, [torch.tensor(u) for u in ups])
    for i, (a, b) in enumerate(zip(flat(e_in), flat(t_in))):
        if isinstance(b, torch.Tensor) and b.requires_grad:
            assert_close(a.grad, b.grad, tol * 10, tol * 10, msg=f"grad of input {i}")
    me, mt = modules or (e, t)
    named = dict(mt.named_parameters())
    for n, p in me.named_parameters():
        assert_close(p.grad, named[n].grad, tol * 10, tol * 10, msg=f"grad of {n}")


CONFIGS = [
    ("RNN", {}),
    ("RNN", dict(nonlinearity="relu", num_layers=2)),
    ("RNN", dict(bias=False, bidirectional=True)),
    ("LSTM", {}),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(batch_first=True, bias=False)),
    ("LSTM", dict(proj_size=3)),
    ("LSTM", dict(proj_size=2, num_layers=2, bidirectional=True, batch_first=True)),
    ("GRU", {}),
    ("GRU", dict(num_layers=3, batch_first=True)),
    ("GRU", dict(bidirectional=True, bias=False)),
]


def _states(cls, kw, batch):
    d = (2 if kw.get("bidirectional") else 1) * kw.get("num_layers", 1)
    h = data(d, *batch, kw.get("proj_size") or 5)
    return (h, data(d, *batch, 5)) if cls == "LSTM" else h


@pytest.mark.parametrize("cls,kw", CONFIGS)
@pytest.mark.parametrize("with_state", [False, True])
def test_layers_match_torch(cls, kw, with_state):
    e, t = pair(lambda lib: getattr(lib, cls)(4, 5, **kw))
    x = data(3, 6, 4) if kw.get("batch_first") else data(6, 3, 4)
    xe, xt = both(x)
    e_in, t_in = [xe], [xt]
    if with_state:
        s = _states(cls, kw, (3,))
        if cls == "LSTM":
            (he, ht), (ce, ct) = both(s[0]), both(s[1])
            e_in.append((he, ce))
            t_in.append((ht, ct))
        else:
            he, ht = both(s)
            e_in.append(he)
            t_in.append(ht)
    compare(e, t, e_in, t_in)


@pytest.mark.parametrize("cls,kw", [("LSTM", dict(num_layers=2)), ("GRU", dict(batch_first=True)),
                                    ("RNN", dict(bidirectional=True)),
                                    ("LSTM", dict(proj_size=2, bidirectional=True))])
def test_unbatched_input(cls, kw):
    e, t = pair(lambda lib: getattr(lib, cls)(4, 5, **kw))
    xe, xt = both(data(6, 4))
    compare(e, t, [xe], [xt])
    s = _states(cls, kw, ())
    if cls == "LSTM":
        (he, ht), (ce, ct) = both(s[0]), both(s[1])
        compare(e, t, [xe, (he, ce)], [xt, (ht, ct)])
    else:
        he, ht = both(s)
        compare(e, t, [xe, he], [xt, ht])


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_empty_batch(cls):
    e, t = pair(lambda lib: getattr(lib, cls)(4, 5, bidirectional=True))
    xe, xt = both(data(3, 0, 4))
    compare(e, t, [xe], [xt])


PACKED = [("LSTM", dict(num_layers=2, bidirectional=True)), ("LSTM", dict(proj_size=2)),
          ("GRU", dict(bidirectional=True, batch_first=True)), ("RNN", dict(num_layers=2))]


@pytest.mark.parametrize("cls,kw", PACKED)
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_sequences_match_torch(cls, kw, enforce_sorted):
    """Packed input: each sequence stops at its own length (and the reverse direction starts
    there); output packed again, h_n each sequence's own last state, in the caller's order."""
    from torch.nn.utils import rnn as tu

    from ember.nn.utils import rnn as eu
    e, t = pair(lambda lib: getattr(lib, cls)(4, 3, **kw))
    bf = kw.get("batch_first", False)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    xe, xt = both(data(*((4, 5, 4) if bf else (5, 4, 4))))
    s = _states(cls, dict(kw, proj_size=kw.get("proj_size") or 3), (4,))
    if cls == "LSTM":
        (he, ht), (ce, ct) = both(s[0]), both(data(*s[1].shape[:2], 3))
        se, st = (he, ce), (ht, ct)
    else:
        se, st = both(s)

    def run(m, pack, x, state):
        out, hn = m(pack(x, lengths, batch_first=bf, enforce_sorted=enforce_sorted), state)
        return (out.data, out.batch_sizes) + ((hn,) if cls != "LSTM" else hn)
    eo = run(e, eu.pack_padded_sequence, xe, se)
    to = run(t, tu.pack_padded_sequence, xt, st)
    assert eo[1].tolist() == to[1].tolist()
    eo, to = (eo[0],) + eo[2:], (to[0],) + to[2:]
    compare(lambda *a: eo, lambda *a: to, [xe, se], [xt, st], modules=(e, t))


def test_packed_gradgradcheck():
    from ember.nn.utils.rnn import pack_padded_sequence
    x = ember.tensor(data(3, 2, 2, dtype=np.float64), requires_grad=True)
    for m in (_tiny("LSTM", bidirectional=True), _tiny("GRU")):
        def f(x, m=m):
            out, hn = m(pack_padded_sequence(x, [3, 1]))
            return out.data, (hn[1] if isinstance(hn, tuple) else hn)
        assert ember.autograd.gradcheck(f, (x,))
        assert ember.autograd.gradgradcheck(lambda x: f(x)[1], (x,))


def test_float64_modules_match_tightly():
    e, t = pair(lambda lib: lib.LSTM(3, 4, num_layers=2, bidirectional=True), double=True)
    xe, xt = both(data(5, 2, 3, dtype=np.float64))
    compare(e, t, [xe], [xt], tol=1e-10)
    assert e(xe)[0].dtype == ember.float64


def test_dropout_between_layers():
    # p = 1 drops every input of the second layer: deterministic, so it matches torch exactly
    e, t = pair(lambda lib: lib.GRU(4, 5, num_layers=2, dropout=1.0))
    xe, xt = both(data(6, 3, 4))
    compare(e, t, [xe], [xt])
    e, _ = pair(lambda lib: lib.LSTM(4, 5, num_layers=2, dropout=0.5))
    x = ember.tensor(data(6, 3, 4))
    ember.manual_seed(0)
    a = e(x)[0]
    b = e(x)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())   # fresh masks each call
    e.eval()
    assert np.array_equal(e(x)[0].detach().numpy(), e(x)[0].detach().numpy())


def test_dropout_warning_and_checks():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1, "
                                         "but got dropout=0.5 and num_layers=1"):
        nn.LSTM(3, 4, dropout=0.5)
    check_error(lambda: nn.GRU(3, 4, dropout=1.5), ValueError, "dropout should be a number in "
                "range [0, 1] representing the probability of an element being zeroed")


def test_parameter_names_shapes_and_repr_match_torch():
    builds = [lambda lib: lib.LSTM(4, 5, 2, bidirectional=True, proj_size=3),
              lambda lib: lib.RNN(4, 5, 2, "relu", False, True, 0.5, True),
              lambda lib: lib.GRU(4, 5, bias=False, batch_first=True),
              lambda lib: lib.RNNCell(4, 5, bias=False, nonlinearity="relu"),
              lambda lib: lib.LSTMCell(4, 5), lambda lib: lib.GRUCell(4, 5, False)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for build in builds:
            e, t = build(nn), build(torch.nn)
            assert [(n, tuple(p.shape)) for n, p in e.named_parameters()] == \
                [(n, tuple(p.shape)) for n, p in t.named_parameters()]
            assert repr(e) == repr(t)
    e, t = nn.LSTM(4, 5, 2, bidirectional=True), torch.nn.LSTM(4, 5, 2, bidirectional=True)
    assert e._flat_weights_names == t._flat_weights_names
    assert [[tuple(w.shape) for w in ws] for ws in e.all_weights] == \
        [[tuple(w.shape) for w in ws] for ws in t.all_weights]


def test_state_dict_round_trip_to_torch():
    e = nn.GRU(4, 5, num_layers=2, bidirectional=True)
    t = torch.nn.GRU(4, 5, num_layers=2, bidirectional=True)
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in e.state_dict().items()})
    x = data(6, 3, 4)
    assert_close(e(ember.tensor(x))[0], t(torch.tensor(x))[0], 1e-5, 1e-5)


@pytest.mark.parametrize("build", [lambda: nn.LSTM(16, 64, 2, bidirectional=True),
                                   lambda: nn.GRUCell(8, 100)])
def test_default_init_is_uniform_in_bounds(build):
    m = build()
    hidden = m.hidden_size
    bound = 1 / math.sqrt(hidden)
    values = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    assert values.min() >= -bound and values.max() <= bound
    assert abs(values.mean()) < 0.05 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.05 * bound / math.sqrt(3)


# -- cells -------------------------------------------------------------------------------------

CELLS = [("RNNCell", {}), ("RNNCell", dict(nonlinearity="relu", bias=False)), ("LSTMCell", {}),
         ("LSTMCell", dict(bias=False)), ("GRUCell", {}), ("GRUCell", dict(bias=False))]


@pytest.mark.parametrize("cls,kw", CELLS)
@pytest.mark.parametrize("batch", [(3,), ()])
def test_cells_match_torch(cls, kw, batch):
    e, t = pair(lambda lib: getattr(lib, cls)(4, 5, **kw))
    xe, xt = both(data(*batch, 4))
    compare(e, t, [xe], [xt])
    if cls == "LSTMCell":
        (he, ht), (ce, ct) = both(data(*batch, 5)), both(data(*batch, 5))
        compare(e, t, [xe, (he, ce)], [xt, (ht, ct)])
    else:
        he, ht = both(data(*batch, 5))
        compare(e, t, [xe, he], [xt, ht])


def test_cell_unrolled_by_hand_equals_layer():
    """A cell stepped over the sequence is the one-layer module with the same weights."""
    cell, layer = nn.LSTMCell(3, 4), nn.LSTM(3, 4)
    layer.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()})
    x = ember.tensor(data(5, 2, 3))
    h = c = ember.zeros(2, 4)
    outs = []
    for t in range(5):
        h, c = cell(x[t], (h, c))
        outs.append(h)
    out, (hn, cn) = layer(x)
    np.testing.assert_allclose(ember.stack(outs).detach().numpy(), out.detach().numpy(), 1e-6,
                               1e-6)
    np.testing.assert_allclose(cn[0].detach().numpy(), c.detach().numpy(), 1e-6, 1e-6)


# -- gradients in float64 ----------------------------------------------------------------------

def _tiny(cls, **kw):
    ember.manual_seed(0)
    return getattr(nn, cls)(2, 3, **kw).double()


def test_gradcheck_tiny_layers():
    x, h, c = (ember.tensor(data(*s, dtype=np.float64), requires_grad=True)
               for s in ((3, 2, 2), (2, 2, 3), (2, 2, 3)))
    lstm = _tiny("LSTM", bidirectional=True)
    assert ember.autograd.gradcheck(lambda x, h, c: lstm(x, (h, c))[0], (x, h, c))
    gru = _tiny("GRU", num_layers=2)
    assert ember.autograd.gradcheck(lambda x, h: gru(x, h), (x, h))
    rnn = _tiny("RNN", nonlinearity="relu", num_layers=2)
    assert ember.autograd.gradcheck(lambda x, h: rnn(x, h), (x, h))


def test_gradgradcheck_tiny_cells_and_layer():
    x, h, c = (ember.tensor(data(*s, dtype=np.float64), requires_grad=True)
               for s in ((2, 2), (2, 3), (2, 3)))
    lstm, gru, rnn = _tiny("LSTMCell"), _tiny("GRUCell"), _tiny("RNNCell")
    assert ember.autograd.gradgradcheck(lambda x, h, c: lstm(x, (h, c)), (x, h, c))
    assert ember.autograd.gradgradcheck(lambda x, h: gru(x, h), (x, h))
    assert ember.autograd.gradgradcheck(lambda x, h: rnn(x, h), (x, h))
    layer = _tiny("LSTM")
    xs = ember.tensor(data(3, 1, 2, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda x: layer(x)[1][1], (xs,))
    proj = _tiny("LSTM", proj_size=2, bidirectional=True)
    h0, c0 = (ember.tensor(data(2, 1, k, dtype=np.float64), requires_grad=True) for k in (2, 3))
    assert ember.autograd.gradgradcheck(lambda x, h, c: proj(x, (h, c))[0], (xs[:2], h0, c0))
    # parameter gradients are differentiable too (a gradient penalty)
    w = layer.weight_hh_l0
    (gw,) = ember.autograd.grad(layer(xs)[0].pow(2).sum(), [w], create_graph=True)
    gw.pow(2).sum().backward()
    assert w.grad is not None and np.isfinite(w.grad.numpy()).all()


def test_double_backward_matches_torch():
    e, t = pair(lambda lib: lib.GRU(3, 4), double=True)
    xe, xt = both(data(4, 2, 3, dtype=np.float64))
    (ge,) = ember.autograd.grad(e(xe)[0].pow(2).sum(), [xe], create_graph=True)
    (gt,) = torch.autograd.grad(t(xt)[0].pow(2).sum(), [xt], create_graph=True)
    ge.pow(2).sum().backward()
    gt.pow(2).sum().backward()
    assert_close(xe.grad, xt.grad, 1e-9, 1e-9)
    assert_close(e.weight_hh_l0.grad, t.weight_hh_l0.grad, 1e-9, 1e-9)


# -- errors ------------------------------------------------------------------------------------

def _same_error(fn_e, fn_t):
    with pytest.raises(Exception) as te:
        fn_t()
    check_error(fn_e, type(te.value), str(te.value).replace("torch.", "ember."))


def test_errors_match_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, t = pair(lambda lib: lib.LSTM(4, 3))
        r, rt = pair(lambda lib: lib.RNN(4, 3))
        g, gt = pair(lambda lib: lib.GRU(4, 3))
    E, T = ember.randn, torch.randn
    _same_error(lambda: e(E(5, 2, 5)), lambda: t(T(5, 2, 5)))
    _same_error(lambda: e(E(5, 2, 4), (E(1, 3, 3), E(1, 2, 3))),
                lambda: t(T(5, 2, 4), (T(1, 3, 3), T(1, 2, 3))))
    _same_error(lambda: e(E(5, 2, 4), (E(1, 2, 3), E(1, 2, 2))),
                lambda: t(T(5, 2, 4), (T(1, 2, 3), T(1, 2, 2))))
    _same_error(lambda: e(E(5, 2, 4), (E(2, 3), E(2, 3))), lambda: t(T(5, 2, 4), (T(2, 3), T(2, 3))))
    _same_error(lambda: e(E(5, 2, 4).double()), lambda: t(T(5, 2, 4).double()))
    _same_error(lambda: e(E(0, 2, 4)), lambda: t(T(0, 2, 4)))
    _same_error(lambda: r(E(5, 2, 4), E(2, 2, 3)), lambda: rt(T(5, 2, 4), T(2, 2, 3)))
    _same_error(lambda: r(E(5, 2, 4), E(2, 3)), lambda: rt(T(5, 2, 4), T(2, 3)))
    _same_error(lambda: r(E(5, 4), E(1, 1, 3)), lambda: rt(T(5, 4), T(1, 1, 3)))
    _same_error(lambda: r(E(5, 4, 4, 4)), lambda: rt(T(5, 4, 4, 4)))
    _same_error(lambda: g(E(5, 4, 4, 4)), lambda: gt(T(5, 4, 4, 4)))
    _same_error(lambda: e(E(5, 4, 4, 4)), lambda: t(T(5, 4, 4, 4)))
    _same_error(lambda: nn.RNN(4, 3, nonlinearity="sig"),
                lambda: torch.nn.RNN(4, 3, nonlinearity="sig"))
    _same_error(lambda: nn.GRU(4, 3, proj_size=2), lambda: torch.nn.GRU(4, 3, proj_size=2))
    _same_error(lambda: nn.LSTM(4, 3, proj_size=3), lambda: torch.nn.LSTM(4, 3, proj_size=3))
    _same_error(lambda: nn.LSTM(0, 3), lambda: torch.nn.LSTM(0, 3))
    _same_error(lambda: nn.LSTM(4, 3, bias=1), lambda: torch.nn.LSTM(4, 3, bias=1))


def test_cell_errors_match_torch():
    E, T = ember.randn, torch.randn
    c, ct = pair(lambda lib: lib.RNNCell(4, 3))
    lc, lct = pair(lambda lib: lib.LSTMCell(4, 3))
    _same_error(lambda: c(E(2, 5)), lambda: ct(T(2, 5)))
    _same_error(lambda: c(E(2, 4), E(3, 3)), lambda: ct(T(2, 4), T(3, 3)))
    _same_error(lambda: c(E(2, 4), E(2, 2)), lambda: ct(T(2, 4), T(2, 2)))
    _same_error(lambda: c(E(2, 2, 4)), lambda: ct(T(2, 2, 4)))
    _same_error(lambda: c(E(2, 4), E(1, 2, 3)), lambda: ct(T(2, 4), T(1, 2, 3)))
    _same_error(lambda: lc(E(2, 4), (E(2, 3), E(2, 2))), lambda: lct(T(2, 4), (T(2, 3), T(2, 2))))
    _same_error(lambda: lc(E(2, 4), (E(2, 3), E(1, 2, 3))),
                lambda: lct(T(2, 4), (T(2, 3), T(1, 2, 3))))
    _same_error(lambda: c(E(2, 4).double()), lambda: ct(T(2, 4).double()))
    bad, bad_t = nn.RNNCell(4, 3, nonlinearity="sig"), torch.nn.RNNCell(4, 3, nonlinearity="sig")
    _same_error(lambda: bad(E(2, 4)), lambda: bad_t(T(2, 4)))
