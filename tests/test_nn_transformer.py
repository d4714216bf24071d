"""Attention and transformer encoder against torch: scaled_dot_product_attention,
MultiheadAttention (masks, batch_first, kdim/vdim, bias_kv, need_weights), and
TransformerEncoderLayer / TransformerEncoder in eval mode, with torch's weights copied in."""
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import assert_close, check_error, check_op
from test_programs import LIBS, close, twin

import ember
import ember.nn.functional as F
from ember import nn

RNG = np.random.default_rng(11)


def data(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def pair(build):
    e, t = build(nn), build(torch.nn)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return e, t


def both(a, grad=True):
    grad = grad and a.dtype.kind == "f"
    return ember.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad)


def run_both(e, t, arrays, kwargs=None, tol=1e-5, nondiff=()):
    """Call both modules on the same inputs (arrays, plus keyword arrays such as masks),
    compare outputs, then the gradients of the inputs and of every parameter."""
    kwargs = kwargs or {}
    ins = [both(a, i not in nondiff) for i, a in enumerate(arrays)]
    kw = {k: both(v, False) if isinstance(v, np.ndarray) else (v, v) for k, v in kwargs.items()}
    eo = e(*[a for a, _ in ins], **{k: a for k, (a, _) in kw.items()})
    to = t(*[b for _, b in ins], **{k: b for k, (_, b) in kw.items()})
    eo, to = (eo, to) if isinstance(to, tuple) else ((eo,), (to,))
    pairs = []
    for i, (a, b) in enumerate(zip(eo, to)):
        if b is None:
            assert a is None, f"output {i}: torch gives None"
            continue
        assert_close(a, b, tol, tol, msg=f"output {i}")
        if b.requires_grad and not torch.isnan(b).any():
            pairs.append((a, b))
    ups = [data(*b.shape) for _, b in pairs]
    ember.autograd.backward([a for a, _ in pairs], [ember.tensor(u) for u in ups])
    torch.autograd.backward([b for _, b in pairs], [torch.tensor(u) for u in ups])
    for i, (a, b) in enumerate(ins):
        if b.requires_grad:
            assert_close(a.grad, b.grad, tol * 10, tol * 10, msg=f"grad of input {i}")
    named = dict(t.named_parameters())
    for n, p in e.named_parameters():
        assert_close(p.grad, named[n].grad, tol * 10, tol * 10, msg=f"grad of {n}")
    return eo


# -- scaled_dot_product_attention --------------------------------------------------------------

def test_sdpa_plain_and_scaled():
    q, k, v = data(2, 1, 3, 2, dtype=np.float64), data(2, 1, 4, 2, dtype=np.float64), \
        data(2, 1, 4, 3, dtype=np.float64)
    check_op(F.scaled_dot_product_attention, TF.scaled_dot_product_attention, q, k, v,
             gradgradcheck=True)
    check_op(lambda *a: F.scaled_dot_product_attention(*a, scale=0.3),
             lambda *a: TF.scaled_dot_product_attention(*a, scale=0.3), q[0], k[0], v[0])


@pytest.mark.parametrize("kind", ["bool", "float", "causal", "broadcast"])
def test_sdpa_masks(kind):
    q, k, v = data(2, 3, 2, dtype=np.float64), data(2, 4, 2, dtype=np.float64), \
        data(2, 4, 2, dtype=np.float64)
    if kind == "causal":
        check_op(lambda *a: F.scaled_dot_product_attention(*a, is_causal=True),
                 lambda *a: TF.scaled_dot_product_attention(*a, is_causal=True), q, k, v,
                 gradgradcheck=True)
        return
    if kind == "bool":
        m = RNG.random((3, 4)) > 0.3
        m[:, 0] = True
    elif kind == "float":
        m = data(2, 3, 4, dtype=np.float64)
    else:
        m = data(1, 4, dtype=np.float64)
    check_op(F.scaled_dot_product_attention, TF.scaled_dot_product_attention, q, k, v, m,
             nondiff=(3,), gradgradcheck=True)


def test_sdpa_fully_masked_rows_give_zeros_as_torch():
    q, k, v = data(3, 4), data(5, 4), data(5, 6)
    m = np.ones((3, 5), bool)
    m[1] = False
    out = check_op(F.scaled_dot_product_attention, TF.scaled_dot_product_attention, q, k, v, m,
                   nondiff=(3,), gradcheck=False)
    assert not out[1].detach().numpy().any()
    mf = np.where(m, 0, -np.inf).astype(np.float32)
    check_op(F.scaled_dot_product_attention, TF.scaled_dot_product_attention, q, k, v, mf,
             nondiff=(3,), gradcheck=False)


def test_sdpa_grouped_query_heads():
    q, k, v = data(1, 4, 3, 2, dtype=np.float64), data(1, 2, 5, 2, dtype=np.float64), \
        data(1, 2, 5, 3, dtype=np.float64)
    check_op(lambda *a: F.scaled_dot_product_attention(*a, enable_gqa=True),
             lambda *a: TF.scaled_dot_product_attention(*a, enable_gqa=True), q, k, v)


def test_sdpa_dropout_drops_in_training_only_via_p():
    q = ember.tensor(data(2, 4, 3))
    ember.manual_seed(0)
    a = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    b = F.scaled_dot_product_attention(q, q, q)
    assert not np.allclose(a.numpy(), b.numpy())
    assert not F.scaled_dot_product_attention(q, q, q, dropout_p=1.0).numpy().any()


def test_sdpa_errors():
    q, k, v = ember.randn(2, 3, 4), ember.randn(2, 5, 4), ember.randn(2, 5, 6)
    qt, kt, vt = (torch.tensor(x.numpy()) for x in (q, k, v))
    for fe, ft in [
        (lambda: F.scaled_dot_product_attention(q, k, v, ember.ones(3, 5, dtype=ember.bool),
                                                is_causal=True),
         lambda: TF.scaled_dot_product_attention(qt, kt, vt, torch.ones(3, 5, dtype=torch.bool),
                                                 is_causal=True)),
        (lambda: F.scaled_dot_product_attention(q.double(), k, v),
         lambda: TF.scaled_dot_product_attention(qt.double(), kt, vt)),
        (lambda: F.scaled_dot_product_attention(q, k, v, ember.zeros(3, 5, dtype=ember.int64)),
         lambda: TF.scaled_dot_product_attention(qt, kt, vt, torch.zeros(3, 5, dtype=torch.int64))),
    ]:
        with pytest.raises(RuntimeError) as te:
            ft()
        check_error(fe, RuntimeError, str(te.value))


# -- MultiheadAttention --------------------------------------------------------------------------

MHA_CONFIGS = [{}, dict(batch_first=True), dict(kdim=3, vdim=5), dict(bias=False),
               dict(add_bias_kv=True, add_zero_attn=True), dict(dropout=0.3)]


def _qkv(kw, L=4, S=5, N=3, E=8, self_attn=False):
    def shape(n, d):
        return (N, n, d) if kw.get("batch_first") else (n, N, d)
    q = data(*shape(L, E))
    if self_attn:
        return [q]
    return [q, data(*shape(S, kw.get("kdim", E))), data(*shape(S, kw.get("vdim", E)))]


MASKS = {
    "none": lambda L, S, N, H: {},
    "float": lambda L, S, N, H: dict(attn_mask=data(L, S)),
    "bool": lambda L, S, N, H: dict(attn_mask=np.triu(np.ones((L, S), bool), 2)),
    "3d": lambda L, S, N, H: dict(attn_mask=data(N * H, L, S)),
    "padding": lambda L, S, N, H: dict(key_padding_mask=np.arange(S)[None, :] >= S - 1
                                       - np.arange(N)[:, None]),
    "both": lambda L, S, N, H: dict(attn_mask=np.triu(np.ones((L, S), bool), 3),
                                    key_padding_mask=np.arange(S)[None, :] >= S - 1
                                    - np.arange(N)[:, None]),
}


@pytest.mark.parametrize("kw", MHA_CONFIGS)
@pytest.mark.parametrize("mask", list(MASKS))
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_matches_torch(kw, mask, need_weights):
    e, t = pair(lambda lib: lib.MultiheadAttention(8, 2, **kw))
    e.eval(), t.eval()   # dropout off
    run_both(e, t, _qkv(kw), dict(MASKS[mask](4, 5, 3, 2), need_weights=need_weights))


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
def test_mha_self_attention_unbatched_and_per_head_weights():
    e, t = pair(lambda lib: lib.MultiheadAttention(6, 3, batch_first=True))
    x = data(2, 4, 6)
    xe, xt = both(x)
    oe, we = e(xe, xe, xe, average_attn_weights=False)
    ot, wt = t(xt, xt, xt, average_attn_weights=False)
    assert_close(oe, ot, 1e-5, 1e-5)
    assert_close(we, wt, 1e-5, 1e-5)
    assert tuple(we.shape) == (2, 3, 4, 4)
    # unbatched (L, E) input, with a 1-d padding mask and a 3-d (heads, L, S) mask
    run_both(e, t, [x[0], data(5, 6), data(5, 6)],
             dict(key_padding_mask=np.array([False, False, True, False, True]),
                  attn_mask=data(3, 4, 5)))


def test_mha_causal_hint():
    e, t = pair(lambda lib: lib.MultiheadAttention(4, 2))
    causal = np.triu(np.full((3, 3), -np.inf, np.float32), 1)
    for need in (True, False):
        run_both(e, t, [data(3, 2, 4)] * 3, dict(attn_mask=causal, is_causal=True,
                                                  need_weights=need))


def test_mha_dropout_one_in_training():
    e, t = pair(lambda lib: lib.MultiheadAttention(4, 2, dropout=1.0))
    run_both(e, t, _qkv({}, E=4))


def test_mha_padding_everywhere_gives_nan_weights_as_torch():
    e, t = pair(lambda lib: lib.MultiheadAttention(4, 2))
    x = data(3, 2, 4)
    kpm = np.zeros((2, 3), bool)
    kpm[0] = True
    with torch.no_grad():
        ot = t(*[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(kpm))[0]
        ot2 = t(*[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(kpm), need_weights=False)[0]
    oe = e(*[ember.tensor(x)] * 3, key_padding_mask=ember.tensor(kpm))[0]
    oe2 = e(*[ember.tensor(x)] * 3, key_padding_mask=ember.tensor(kpm), need_weights=False)[0]
    assert_close(oe, ot, 1e-5, 1e-5)   # NaN in the fully padded batch item, as torch
    assert_close(oe2, ot2, 1e-5, 1e-5)   # zeros there via scaled_dot_product_attention


def test_mha_parameters_init_and_repr():
    for kw in MHA_CONFIGS:
        e, t = nn.MultiheadAttention(8, 2, **kw), torch.nn.MultiheadAttention(8, 2, **kw)
        assert repr(e) == repr(t)
        assert [(n, tuple(p.shape)) for n, p in e.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in t.named_parameters()]
        assert list(e.state_dict()) == list(t.state_dict())
    m = nn.MultiheadAttention(64, 4, add_bias_kv=True)
    bound = math.sqrt(6 / (64 + 3 * 64))   # xavier_uniform_ on (3E, E)
    w = m.in_proj_weight.detach().numpy()
    assert w.min() >= -bound and w.max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert not m.in_proj_bias.detach().numpy().any() and not m.out_proj.bias.detach().numpy().any()
    ob = 1 / math.sqrt(64)   # out_proj.weight keeps Linear's default
    assert np.abs(m.out_proj.weight.detach().numpy()).max() <= ob
    assert type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear"


def test_mha_state_dict_round_trip_to_torch():
    e, t = nn.MultiheadAttention(8, 2, kdim=3, vdim=5), torch.nn.MultiheadAttention(8, 2, kdim=3,
                                                                                      vdim=5)
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in e.state_dict().items()})
    q, k, v = _qkv(dict(kdim=3, vdim=5))
    assert_close(e(ember.tensor(q), ember.tensor(k), ember.tensor(v))[0],
                 t(torch.tensor(q), torch.tensor(k), torch.tensor(v))[0], 1e-5, 1e-5)


def test_mha_gradcheck_float64():
    ember.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, kdim=3, vdim=2).double()
    q, k, v = (ember.tensor(data(*s, dtype=np.float64), requires_grad=True)
               for s in ((2, 1, 4), (3, 1, 3), (3, 1, 2)))
    mask = ember.tensor(np.array([[False, True, False], [False, False, True]]))
    assert ember.autograd.gradcheck(lambda q, k, v: m(q, k, v, attn_mask=mask), (q, k, v))
    assert ember.autograd.gradgradcheck(lambda q, k, v: m(q, k, v, need_weights=False)[0],
                                        (q, k, v))


def _same_error(fn_e, fn_t):
    with pytest.raises(Exception) as te:
        fn_t()
    check_error(fn_e, type(te.value), str(te.value))


def test_mha_errors_match_torch():
    e, t = pair(lambda lib: lib.MultiheadAttention(8, 2))
    q = data(4, 2, 8)
    qe, qt = ember.tensor(q), torch.tensor(q)

    def call(x, *args, **kw):
        if x is e:
            args = [ember.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
            kw = {k: ember.tensor(v) for k, v in kw.items()}
        else:
            args = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
            kw = {k: torch.tensor(v) for k, v in kw.items()}
        return x(*args, **kw)

    cases = [((q, q, q), dict(attn_mask=np.zeros((3, 4), np.float32))),
             ((q, q, q), dict(attn_mask=np.zeros((3, 4, 4), np.float32))),
             ((q, q, q), dict(attn_mask=np.zeros((1, 3, 4, 4), np.float32))),
             ((q, q, q), dict(attn_mask=np.zeros((4, 4), np.int64))),
             ((q, q, q), dict(key_padding_mask=np.zeros((2, 4), np.int64))),
             ((q, q, q), dict(key_padding_mask=np.zeros((2, 5), bool))),
             ((q[:, :, :4], q, q), {}), ((q, q[:3], q), {}), ((q[0], q, q), {}),
             ((data(2, 8, 3, 3), q, q), {})]
    for args, kw in cases:
        _same_error(lambda: call(e, *args, **kw), lambda: call(t, *args, **kw))
    _same_error(lambda: e(qe, qe, qe, is_causal=True), lambda: t(qt, qt, qt, is_causal=True))
    _same_error(lambda: nn.MultiheadAttention(8, 3), lambda: torch.nn.MultiheadAttention(8, 3))
    _same_error(lambda: nn.MultiheadAttention(0, 3), lambda: torch.nn.MultiheadAttention(0, 3))
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask"):
        e(qe, qe, qe, key_padding_mask=ember.zeros(2, 4, dtype=ember.bool),
          attn_mask=ember.zeros(4, 4))


# -- TransformerEncoderLayer / TransformerEncoder ---------------------------------------------------

LAYER_CONFIGS = [{}, dict(batch_first=True, activation="gelu"), dict(norm_first=True),
                 dict(bias=False, norm_first=True, layer_norm_eps=1e-3),
                 dict(activation="module_gelu", batch_first=True)]


def _layer(lib, kw):
    kw = dict(kw)
    if kw.get("activation") == "module_gelu":
        kw["activation"] = lib.GELU()
    return lib.TransformerEncoderLayer(8, 2, 16, **kw)


def _src_masks(kind, kw, enc):
    S, N = 5, 3
    name = "mask" if enc else "src_mask"
    if kind == "none":
        return {}
    if kind == "causal":
        return {name: np.triu(np.full((S, S), -np.inf, np.float32), 1)}
    if kind == "bool":
        return {name: np.triu(np.ones((S, S), bool), 2)}
    return {"src_key_padding_mask": np.arange(S)[None, :] >= S - 1 - np.arange(N)[:, None]}


ENCODER_CASES = [(kw, enc, mask) for i, kw in enumerate(LAYER_CONFIGS) for enc in (False, True)
                 for mask in (["none", "causal", "bool", "padding"][(i + enc) % 4],
                              ["none", "causal", "bool", "padding"][(i + enc + 2) % 4])]


@pytest.mark.parametrize("kw,enc,mask", ENCODER_CASES)
def test_encoder_matches_torch_in_eval_mode(kw, enc, mask):
    def build(lib):
        layer = _layer(lib, kw)
        return lib.TransformerEncoder(layer, 2, norm=lib.LayerNorm(8)) if enc else layer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, t = pair(build)
        e.eval(), t.eval()
        x = data(3, 5, 8) if kw.get("batch_first") else data(5, 3, 8)
        run_both(e, t, [x], _src_masks(mask, kw, enc), tol=2e-5)


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
def test_encoder_inference_zeroes_padded_positions_as_torch():
    """In inference with a padding mask torch runs batch_first encoders on nested tensors,
    whose padded positions come back as zeros (then the final norm)."""
    def build(lib):
        return lib.TransformerEncoder(lib.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2,
                                      norm=lib.LayerNorm(8))
    e, t = pair(build)
    e.eval(), t.eval()
    x = data(3, 5, 8)
    kpm = np.arange(5)[None, :] >= 4 - np.arange(3)[:, None]
    with torch.no_grad(), ember.no_grad():
        oe = e(ember.tensor(x), src_key_padding_mask=ember.tensor(kpm))
        ot = t(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm))
    assert_close(oe, ot, 2e-5, 2e-5)


def test_encoder_training_mode_dropout_one():
    """dropout=1 drops every residual branch: deterministic, so it matches torch."""
    e, t = pair(lambda lib: lib.TransformerEncoderLayer(8, 2, 16, dropout=1.0))
    run_both(e, t, [data(5, 3, 8)])


def test_encoder_repr_state_dict_and_copies():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kw in LAYER_CONFIGS:
            e, t = _layer(nn, kw), _layer(torch.nn, kw)
            assert repr(e) == repr(t)
            assert list(e.state_dict()) == list(t.state_dict())
        e = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2), 3, norm=nn.LayerNorm(8),
                                  enable_nested_tensor=False)
        t = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2), 3,
                                        norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    # the layers are copies: same values, separate parameters
    a, b = e.layers[0].linear1.weight, e.layers[1].linear1.weight
    assert a is not b and np.array_equal(a.detach().numpy(), b.detach().numpy())
    assert e.layers[0].activation_relu_or_gelu == 1


def test_encoder_warnings_and_errors_match_torch():
    for kw in [{}, dict(batch_first=True, norm_first=True), dict(batch_first=True, bias=False)]:
        with warnings.catch_warnings(record=True) as we:
            warnings.simplefilter("always")
            nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, **kw), 1)
        with warnings.catch_warnings(record=True) as wt:
            warnings.simplefilter("always")
            torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, **kw), 1)
        assert [str(w.message) for w in we] == [str(w.message) for w in wt]
    _same_error(lambda: nn.TransformerEncoderLayer(8, 2, activation="tanh"),
                lambda: torch.nn.TransformerEncoderLayer(8, 2, activation="tanh"))


# -- TransformerDecoderLayer / TransformerDecoder / Transformer ------------------------------------

def _tgt_masks(kind, T=4, S=5, N=3):
    """Decoder masks by kind: causal float tgt mask, key padding masks (tgt and memory), a bool
    memory mask, or bool causal and padding (one mask type: no mismatch warning)."""
    causal = np.triu(np.full((T, T), -np.inf, np.float32), 1)
    tgt_pad = np.arange(T)[None, :] >= T - np.arange(N)[:, None]         # row 0 keeps all
    mem_pad = np.arange(S)[None, :] >= S - 1 - np.arange(N)[:, None]
    return {"none": {},
            "causal": {"tgt_mask": causal},
            "padding": {"tgt_key_padding_mask": tgt_pad, "memory_key_padding_mask": mem_pad},
            "memory": {"memory_mask": np.triu(np.ones((T, S), bool), 3)},
            "all": {"tgt_mask": causal != 0, "tgt_key_padding_mask": tgt_pad,
                    "memory_key_padding_mask": mem_pad}}[kind]


DECODER_CONFIGS = [{}, dict(batch_first=True), dict(norm_first=True, activation="gelu"),
                   dict(batch_first=True, norm_first=True, bias=False, layer_norm_eps=1e-3)]
DECODER_CASES = [(kw, stack, mode, ["none", "causal", "padding", "memory", "all"][(i + j) % 5])
                 for i, kw in enumerate(DECODER_CONFIGS) for j, (stack, mode) in
                 enumerate([(False, "train"), (True, "eval"), (True, "train")])]


@pytest.mark.parametrize("kw,stack,mode,mask", DECODER_CASES)
def test_decoder_matches_torch(kw, stack, mode, mask):
    def build(lib):
        layer = lib.TransformerDecoderLayer(8, 2, 16, dropout=0.0, **kw)
        return lib.TransformerDecoder(layer, 2, norm=lib.LayerNorm(8)) if stack else layer
    e, t = pair(build)
    if mode == "eval":
        e.eval(), t.eval()
    tgt, mem = (data(3, 4, 8), data(3, 5, 8)) if kw.get("batch_first") else \
        (data(4, 3, 8), data(5, 3, 8))
    run_both(e, t, [tgt, mem], _tgt_masks(mask), tol=2e-5)


def test_decoder_unbatched_and_causal_hints():
    e, t = pair(lambda lib: lib.TransformerDecoder(
        lib.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 1))
    causal = np.triu(np.full((4, 4), -np.inf, np.float32), 1)
    run_both(e, t, [data(4, 8), data(5, 8)], {"tgt_mask": causal, "tgt_is_causal": True})
    mem_causal = np.triu(np.full((4, 4), -np.inf, np.float32), 1)
    run_both(e, t, [data(4, 3, 8), data(4, 3, 8)],
             {"memory_mask": mem_causal, "memory_is_causal": True})


TRANSFORMER_CASES = [(dict(), "train", "causal"), (dict(batch_first=True), "eval", "all"),
                     (dict(norm_first=True, activation="gelu"), "train", "all"),
                     (dict(batch_first=True, norm_first=True), "eval", "padding")]


@pytest.mark.parametrize("kw,mode,mask", TRANSFORMER_CASES)
def test_transformer_matches_torch(kw, mode, mask):
    def build(lib):
        return lib.Transformer(8, 2, 2, 1, 16, dropout=0.0, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, t = pair(build)
    if mode == "eval":
        e.eval(), t.eval()
    masks = _tgt_masks(mask)
    if "memory_key_padding_mask" in masks:
        masks["src_key_padding_mask"] = masks["memory_key_padding_mask"]
    if mask == "causal":
        masks["src_mask"] = np.triu(np.ones((5, 5), bool), 1)
    src, tgt = (data(3, 5, 8), data(3, 4, 8)) if kw.get("batch_first") else \
        (data(5, 3, 8), data(4, 3, 8))
    run_both(e, t, [src, tgt], masks, tol=3e-5)


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
def test_transformer_inference_no_grad_with_padding():
    """Inference without grad: torch's encoder takes its nested-tensor fast path."""
    e, t = pair(lambda lib: lib.Transformer(8, 2, 1, 1, 16, batch_first=True))
    e.eval(), t.eval()
    src, tgt = data(3, 5, 8), data(3, 4, 8)
    kw = {"tgt_mask": nn.Transformer.generate_square_subsequent_mask(4).numpy(),
          "src_key_padding_mask": _tgt_masks("padding")["memory_key_padding_mask"],
          "memory_key_padding_mask": _tgt_masks("padding")["memory_key_padding_mask"]}
    with torch.no_grad(), ember.no_grad():
        oe = e(ember.tensor(src), ember.tensor(tgt), **{k: ember.tensor(v) for k, v in kw.items()})
        ot = t(torch.tensor(src), torch.tensor(tgt), **{k: torch.tensor(v) for k, v in kw.items()})
    assert_close(oe, ot, 3e-5, 3e-5)


def test_transformer_default_init_is_xavier():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = nn.Transformer(64, 4, 1, 1, 128)
    weights = 0
    for name, p in m.named_parameters():
        a = p.detach().numpy()
        if p.dim() > 1:
            bound = math.sqrt(6.0 / sum(nn.init._calculate_fan_in_and_fan_out(p)))
            assert np.abs(a).max() <= bound, name
            assert abs(a.std() / (bound / math.sqrt(3)) - 1) < 0.1, name
            weights += 1
        elif name.endswith("in_proj_bias") or name.endswith("out_proj.bias"):
            assert not a.any(), name
        elif ".norm" in name or name.startswith(("encoder.norm", "decoder.norm")):
            assert np.all(a == (1 if name.endswith("weight") else 0)), name
    assert weights == 4 + 6   # encoder: in_proj, out_proj, linear1/2; decoder: 2 more (cross-attn)
    # the cloned layers get their own draws
    d = nn.Transformer(8, 2, 1, 2, 16, custom_encoder=nn.Identity())
    assert isinstance(d.encoder, nn.Identity)
    a, b = (d.decoder.layers[i].linear1.weight.detach().numpy() for i in (0, 1))
    assert not np.array_equal(a, b)


def test_transformer_repr_state_dict_and_mask():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        builds = [lambda lib: lib.Transformer(8, 2, 2, 1, 16, bias=False, norm_first=True),
                  lambda lib: lib.TransformerDecoder(
                      lib.TransformerDecoderLayer(8, 2, activation=lib.GELU()), 2),
                  lambda lib: lib.TransformerDecoderLayer(8, 2, batch_first=True)]
        for build in builds:
            e, t = build(nn), build(torch.nn)
            assert repr(e) == repr(t)
            assert list(e.state_dict()) == list(t.state_dict())
            assert [tuple(v.shape) for v in e.state_dict().values()] == \
                [tuple(v.shape) for v in t.state_dict().values()]
    for sz, dt in [(0, None), (1, None), (5, None), (4, "float64")]:
        me = nn.Transformer.generate_square_subsequent_mask(sz, dtype=dt and getattr(ember, dt))
        mt = torch.nn.Transformer.generate_square_subsequent_mask(sz, dtype=dt and getattr(torch, dt))
        assert_close(me, mt, 0, 0)


def test_calculate_fan_in_and_fan_out_matches_torch():
    for shape in [(3, 4), (5, 2, 3), (6, 4, 2, 3), (0, 3)]:
        assert nn.init._calculate_fan_in_and_fan_out(ember.empty(*shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    _same_error(lambda: nn.init._calculate_fan_in_and_fan_out(ember.empty(3)),
                lambda: torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(3)))


def test_transformer_errors_match_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, t = nn.Transformer(8, 2, 1, 1, 16), torch.nn.Transformer(8, 2, 1, 1, 16)
    for src, tgt in [((5, 3, 8), (4, 2, 8)), ((5, 3, 8), (4, 3, 6))]:
        _same_error(lambda: e(ember.randn(*src), ember.randn(*tgt)),
                    lambda: t(torch.randn(*src), torch.randn(*tgt)))
    _same_error(lambda: nn.TransformerDecoderLayer(8, 2, activation="tanh"),
                lambda: torch.nn.TransformerDecoderLayer(8, 2, activation="tanh"))


# -- programs: a seq2seq Transformer -----------------------------------------------------------------
def test_seq2seq_transformer_teacher_forcing():
    V, D = 11, 16

    def build(torch, nn, F):
        class Seq2Seq(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(V, D)
                self.tf = nn.Transformer(d_model=D, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                         dim_feedforward=32, dropout=0.0, batch_first=True)
                self.out = nn.Linear(D, V)

            def forward(self, src, tgt_in):
                mask = nn.Transformer.generate_square_subsequent_mask(tgt_in.size(1))
                h = self.tf(self.emb(src), self.emb(tgt_in), tgt_mask=mask,
                            src_key_padding_mask=src == 0, tgt_key_padding_mask=tgt_in == 0)
                return self.out(h)
        return Seq2Seq()

    src_np = np.random.default_rng(50).integers(1, V, (4, 6))
    src_np[0, 4:] = 0

    def prog(torch, nn, F, model):
        src = torch.from_numpy(src_np)
        tgt = torch.cat([torch.full((4, 1), 1, dtype=torch.long), src.flip(1)], dim=1)  # reverse task
        tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:]
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses = []
        for _ in range(4):
            logits = model(src, tgt_in)
            loss = F.cross_entropy(logits.reshape(-1, V), tgt_out.reshape(-1), ignore_index=0)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():  # greedy decoding
            ys = torch.ones(4, 1, dtype=torch.long)
            for _ in range(3):
                nxt = model(src, ys)[:, -1].argmax(-1, keepdim=True)
                ys = torch.cat([ys, nxt], dim=1)
        return nn.Transformer.generate_square_subsequent_mask(3), losses, logits, ys

    e_m, t_m = twin(build)
    close(prog(*LIBS["ember"], e_m), prog(*LIBS["torch"], t_m), rtol=1e-3, atol=1e-4)
