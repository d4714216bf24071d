"""ember.metrics against scikit-learn: fastai-style functions and accumulating metrics, and the
torchmetrics-style stateful classes, on random logits / probabilities / labels, one batch or
accumulated over several."""
import copy
import pickle
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

import ember
from ember import metrics as M
from ember.metrics import functional as MF

RNG = np.random.default_rng(7)
C = 5
PRF = ((M.Precision, skm.precision_score), (M.Recall, skm.recall_score), (M.F1Score, skm.f1_score))


def softmax(x):
    e = np.exp(x - x.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def multiclass_data(n=90, c=C, absent=None):
    logits = RNG.normal(size=(n, c)).astype(np.float32)
    target = RNG.integers(0, c, n)
    if absent is not None:                 # a class nobody predicts and nobody has
        target[target == absent] = 0
        logits[:, absent] = -10
    return logits, target


def as_input(kind, logits):
    """The same predictions given as logits, probabilities (softmax) or labels."""
    return {"logits": logits, "probs": softmax(logits.astype(np.float64)).astype(np.float32),
            "labels": logits.argmax(1)}[kind]


def batches(*arrays, sizes=(17, 40)):
    cuts = np.cumsum(sizes)
    return list(zip(*(np.split(a, cuts) for a in arrays)))


def val(t):
    return np.asarray(t.numpy() if isinstance(t, ember.Tensor) else t, np.float64)


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(val(a), np.asarray(b, np.float64), rtol=tol, atol=tol)


# ---------------------------------------------------------------- fastai-style functions
@pytest.mark.parametrize("kind", ["logits", "probs", "labels"])
def test_accuracy_error_rate(kind):
    logits, t = multiclass_data()
    p = as_input(kind, logits)
    acc = MF.accuracy(ember.tensor(p), ember.tensor(t))
    assert isinstance(acc, ember.Tensor) and acc.dim() == 0 and acc.dtype == ember.float32
    close(acc, skm.accuracy_score(t, logits.argmax(1)))
    close(MF.error_rate(p, t), 1 - skm.accuracy_score(t, logits.argmax(1)))
    # the class axis elsewhere
    close(MF.accuracy(np.ascontiguousarray(logits.T), t, axis=0), skm.accuracy_score(t, logits.argmax(1)))


def test_accuracy_binary_scores_and_checks():
    x = RNG.normal(size=50)
    t = RNG.integers(0, 2, 50)
    close(MF.accuracy(x, t), skm.accuracy_score(t, x > 0))                  # logits
    close(MF.accuracy(sigmoid(x)[:, None], t), skm.accuracy_score(t, x > 0))  # (N, 1) probabilities
    close(MF.accuracy(sigmoid(x), t.astype(np.float32)), skm.accuracy_score(t, x > 0))
    with pytest.raises(ValueError, match="same number of elements"):
        MF.accuracy(RNG.normal(size=(4, 3)), np.zeros(5, int))


def test_accuracy_grad_tensor_input():
    logits, t = multiclass_data(20)
    x = ember.tensor(logits, requires_grad=True)
    close(MF.accuracy(x * 2, ember.tensor(t)), skm.accuracy_score(t, logits.argmax(1)))


def test_top_k_accuracy():
    logits, t = multiclass_data()
    for k in (1, 2, 3):
        close(MF.top_k_accuracy(logits, t, k=k), skm.top_k_accuracy_score(t, logits, k=k, labels=range(C)))
    close(MF.top_k_accuracy(logits, t, k=50), 1.0)


def test_accuracy_multi():
    x = RNG.normal(size=(30, 4))
    t = RNG.integers(0, 2, (30, 4))
    close(MF.accuracy_multi(x, t), 1 - skm.hamming_loss(t, x > 0))
    close(MF.accuracy_multi(sigmoid(x), t, sigmoid=False, thresh=0.7),
          1 - skm.hamming_loss(t, sigmoid(x) > 0.7))


def test_regression_functions():
    p, t = RNG.normal(size=40), RNG.normal(size=40)
    close(MF.mse(ember.tensor(p), ember.tensor(t)), skm.mean_squared_error(t, p))
    close(MF.mae(p, t), skm.mean_absolute_error(t, p))
    close(MF.msle(np.abs(p), np.abs(t)), skm.mean_squared_log_error(np.abs(t), np.abs(p)))
    close(MF.r2_score(p, t), skm.r2_score(t, p))
    P, T = RNG.normal(size=(40, 3)), RNG.normal(size=(40, 3)) * [1, 2, 3]
    for mo in ("uniform_average", "raw_values", "variance_weighted"):
        close(MF.r2_score(P, T, multioutput=mo), skm.r2_score(T, P, multioutput=mo))
    close(MF.r2_score(np.ones(5), np.ones(5)), 1.0)         # constant targets, as scikit-learn
    close(MF.r2_score(np.zeros(5), np.ones(5)), 0.0)
    with pytest.raises(RuntimeError, match="same shape"):
        MF.mse(np.zeros(3), np.zeros(4))


# ---------------------------------------------------------------- fastai-style accumulating metrics
def accumulate(metric, pred, targ, sizes=(17, 40)):
    metric.reset()
    assert metric.value is None
    for p, t in batches(pred, targ, sizes=sizes):
        metric.accumulate(ember.tensor(p), ember.tensor(t))
    return metric.value


@pytest.mark.parametrize("kind", ["logits", "probs", "labels"])
@pytest.mark.parametrize("average", ["micro", "macro", "weighted", None])
def test_fastai_prf_multiclass(kind, average):
    logits, t = multiclass_data(absent=4)
    p = as_input(kind, logits)
    labels = logits.argmax(1)
    for cls, sk in ((MF.F1Score, skm.f1_score), (MF.Precision, skm.precision_score),
                    (MF.Recall, skm.recall_score)):
        m = cls(average=average)
        close(accumulate(m, p, t), sk(t, labels, average=average, zero_division=0))
    close(accumulate(MF.FBeta(2.0, average=average), p, t),
          skm.fbeta_score(t, labels, beta=2.0, average=average, zero_division=0))


def test_fastai_prf_binary_and_options():
    x = RNG.normal(size=(70, 2))
    t = RNG.integers(0, 2, 70)
    lab = x.argmax(1)
    for cls, sk in ((MF.F1Score, skm.f1_score), (MF.Precision, skm.precision_score),
                    (MF.Recall, skm.recall_score)):
        close(accumulate(cls(), x, t), sk(t, lab))                                 # two-column logits
        close(accumulate(cls(), x[:, 1] - x[:, 0], t), sk(t, lab))                  # one logit
        close(accumulate(cls(pos_label=0), x, t), sk(t, lab, pos_label=0))
        w = RNG.uniform(0.1, 2, 70)
        close(accumulate(cls(average="macro", sample_weight=w), x, t),
              sk(t, lab, average="macro", sample_weight=w))
    logits, tm = multiclass_data()
    close(accumulate(MF.F1Score(average="macro", labels=[0, 2]), logits, tm),
          skm.f1_score(tm, logits.argmax(1), average="macro", labels=[0, 2]))
    close(accumulate(MF.Recall(average="micro", labels=[1, 3]), logits, tm),
          skm.recall_score(tm, logits.argmax(1), average="micro", labels=[1, 3]))
    with pytest.raises(ValueError, match="Target is multiclass but average='binary'"):
        accumulate(MF.F1Score(), logits, tm)


def test_fastai_metric_protocol():
    m = MF.F1Score(average="macro")
    assert m.name == "f1_score" and MF.Precision().name == "precision_score"
    assert MF.RocAuc().name == "roc_auc_score" and MF.rmse.name == "rmse" and MF.R2Score().name == "r2_score"
    assert hasattr(m, "accumulate") and m.value is None
    logits, t = multiclass_data(30)
    m.accumulate(logits, t)
    v1 = m.value
    assert isinstance(v1, float)
    m.reset()
    assert m.value is None
    m.name = "f1_macro"
    assert m.name == "f1_macro"
    assert MF.AccumMetric(lambda p, t: 0.0, name="x").name == "x"
    # the accumulated copy does not alias the caller's buffer
    buf = logits.copy()
    m.accumulate(buf, t)
    buf[:] = 0
    assert m.value == v1


def test_accum_metric_generic():
    x = RNG.normal(size=(30, 3))
    t = RNG.integers(0, 3, 30)
    m = MF.AccumMetric(lambda p, t: (p == t).mean(), dim_argmax=-1)
    close(accumulate(m, x, t), skm.accuracy_score(t, x.argmax(1)))
    m = MF.AccumMetric(lambda p, t: skm.roc_auc_score(t, p), activation="sigmoid", flatten=True)
    xb, tb = RNG.normal(size=30), RNG.integers(0, 2, 30)
    close(accumulate(m, xb, tb), skm.roc_auc_score(tb, xb))
    m = MF.AccumMetric(lambda p, t: (p == t).mean(), activation="sigmoid", thresh=0.5)
    close(accumulate(m, xb, tb), skm.accuracy_score(tb, xb >= 0))


def test_rmse_r2_accumulated():
    p, t = RNG.normal(size=(60, 2)), RNG.normal(size=(60, 2))
    close(accumulate(MF.rmse, p, t), np.sqrt(skm.mean_squared_error(t, p)))
    close(MF.rmse(p[:10], t[:10]), np.sqrt(skm.mean_squared_error(t[:10], p[:10])))
    close(accumulate(MF.R2Score(), p, t), skm.r2_score(t, p))
    close(accumulate(M.R2(multioutput="raw_values"), p, t), skm.r2_score(t, p, multioutput="raw_values"))
    close(accumulate(MF.R2Score(), p[:, 0], t[:, 0]), skm.r2_score(t[:, 0], p[:, 0]))


@pytest.mark.parametrize("kind", ["logits", "probs"])
def test_fastai_roc_auc(kind):
    x = RNG.normal(size=80)
    t = RNG.integers(0, 2, 80)
    s = x if kind == "logits" else sigmoid(x)
    close(accumulate(MF.RocAucBinary(), s, t), skm.roc_auc_score(t, x))
    two = np.stack([np.zeros(80), x], 1)
    close(accumulate(MF.RocAuc(), two if kind == "logits" else softmax(two), t), skm.roc_auc_score(t, x))
    ties = RNG.integers(0, 4, 80).astype(float)                     # many tied scores
    close(accumulate(MF.RocAucBinary(), ties, t), skm.roc_auc_score(t, ties))
    w = RNG.uniform(0.1, 2, 80)
    close(accumulate(MF.RocAucBinary(sample_weight=w), ties, t), skm.roc_auc_score(t, ties, sample_weight=w))
    logits, tm = multiclass_data(120, 4)
    p = as_input(kind, logits)
    w = RNG.uniform(0.1, 2, 120)
    for avg in ("macro", "weighted"):
        close(accumulate(MF.RocAuc(average=avg), p, tm),
              skm.roc_auc_score(tm, softmax(logits.astype(np.float64)), multi_class="ovr", average=avg), 1e-5)
        close(accumulate(MF.RocAuc(average=avg, sample_weight=w), p, tm),
              skm.roc_auc_score(tm, softmax(logits.astype(np.float64)), multi_class="ovr", average=avg,
                                sample_weight=w), 1e-5)


def test_roc_auc_one_class():
    with pytest.warns(UserWarning, match="Only one class"):
        assert np.isnan(accumulate(MF.RocAucBinary(), RNG.normal(size=10), np.ones(10, int)))


# ---------------------------------------------------------------- torchmetrics-style classes
def run_metric(metric, pred, target, sizes=(17, 40)):
    """update over several batches (ember Tensors); check forward's batch values on the way."""
    metric.reset()
    for p, t in batches(pred, target, sizes=sizes):
        metric.update(ember.tensor(p), ember.tensor(t))
    whole = metric.compute()
    # forward: the batch's own value, and the running state still adds up
    other = copy.deepcopy(metric)
    other.reset()
    for p, t in batches(pred, target, sizes=sizes):
        one = copy.deepcopy(metric)
        one.reset()
        one.update(p, t)
        np.testing.assert_allclose(val(other(p, t)), val(one.compute()), rtol=1e-6)
    np.testing.assert_allclose(val(other.compute()), val(whole), rtol=1e-6)
    return whole


@pytest.mark.parametrize("kind", ["logits", "probs", "labels"])
def test_accuracy_binary(kind):
    x = RNG.normal(size=70).astype(np.float32)
    t = RNG.integers(0, 2, 70)
    p = {"logits": x, "probs": sigmoid(x), "labels": (x > 0).astype(np.int64)}[kind]
    m = M.Accuracy(task="binary")
    out = run_metric(m, p, t)
    assert out.dtype == ember.float32 and out.dim() == 0
    close(out, skm.accuracy_score(t, x > 0))
    close(run_metric(M.Accuracy(task="binary", threshold=0.8), sigmoid(x), t),
          skm.accuracy_score(t, sigmoid(x) > 0.8))
    for cls, sk in PRF:
        close(run_metric(cls(task="binary"), p, t), sk(t, x > 0))
    close(run_metric(M.FBetaScore(task="binary", beta=0.5), p, t), skm.fbeta_score(t, x > 0, beta=0.5))


@pytest.mark.parametrize("kind", ["logits", "probs", "labels"])
@pytest.mark.parametrize("average", ["micro", "macro", "weighted", "none"])
def test_multiclass_scores(kind, average):
    logits, t = multiclass_data(absent=3)
    p = as_input(kind, logits)
    lab = logits.argmax(1)
    sk_avg = None if average == "none" else average
    labels = list(range(C)) if average == "none" else None      # per-class output covers every class
    for cls, sk in PRF:
        out = run_metric(cls(task="multiclass", num_classes=C, average=average), p, t)
        close(out, sk(t, lab, average=sk_avg, labels=labels, zero_division=0))
    out = run_metric(M.FBetaScore(task="multiclass", beta=2.0, num_classes=C, average=average), p, t)
    close(out, skm.fbeta_score(t, lab, beta=2.0, average=sk_avg, labels=labels, zero_division=0))
    # accuracy: micro is plain accuracy, the others are (averaged) per-class recall
    acc = run_metric(M.Accuracy(task="multiclass", num_classes=C, average=average), p, t)
    want = skm.accuracy_score(t, lab) if average == "micro" else \
        skm.recall_score(t, lab, average=sk_avg, labels=labels, zero_division=0)
    close(acc, want)
    if average == "none":
        assert tuple(acc.shape) == (C,)


def test_multiclass_top_k_and_ignore_index():
    logits, t = multiclass_data()
    for k in (2, 3):
        close(run_metric(M.Accuracy(task="multiclass", num_classes=C, top_k=k), logits, t),
              skm.top_k_accuracy_score(t, logits, k=k, labels=range(C)))
    t2 = t.copy()
    t2[::4] = -100
    keep = t2 != -100
    m = M.F1Score(task="multiclass", num_classes=C, average="macro", ignore_index=-100)
    close(run_metric(m, logits, t2), skm.f1_score(t[keep], logits.argmax(1)[keep], average="macro"))
    m = M.Accuracy(task="multiclass", num_classes=C, ignore_index=0)
    close(run_metric(m, logits, t), skm.accuracy_score(t[t != 0], logits.argmax(1)[t != 0]))


def test_multiclass_extra_dims():
    # segmentation-like (N, C, L) scores with (N, L) targets: the class axis is 1
    x = RNG.normal(size=(6, C, 7))
    t = RNG.integers(0, C, (6, 7))
    m = M.Accuracy(task="multiclass", num_classes=C)
    close(run_metric(m, x, t, sizes=(2, 3)), skm.accuracy_score(t.ravel(), x.argmax(1).ravel()))
    cm = M.ConfusionMatrix(task="multiclass", num_classes=C)
    close(run_metric(cm, x, t, sizes=(2, 3)),
          skm.confusion_matrix(t.ravel(), x.argmax(1).ravel(), labels=range(C)))


@pytest.mark.parametrize("average", ["micro", "macro", "weighted", "none"])
def test_multilabel_scores(average):
    x = RNG.normal(size=(80, 4)).astype(np.float32)
    t = RNG.integers(0, 2, (80, 4))
    lab = (x > 0).astype(int)
    sk_avg = None if average == "none" else average
    for p in (x, sigmoid(x), lab):
        for cls, sk in ((M.Precision, skm.precision_score), (M.Recall, skm.recall_score),
                        (M.F1Score, skm.f1_score)):
            out = run_metric(cls(task="multilabel", num_labels=4, average=average), p, t)
            close(out, sk(t, lab, average=sk_avg, zero_division=0))
        acc = run_metric(M.Accuracy(task="multilabel", num_labels=4, average=average), p, t)
        per_label = np.array([skm.accuracy_score(t[:, j], lab[:, j]) for j in range(4)])
        want = {"micro": 1 - skm.hamming_loss(t, lab), "macro": per_label.mean(), "none": per_label,
                "weighted": (per_label * t.sum(0)).sum() / t.sum()}[average]
        close(acc, want)


@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
def test_confusion_matrix(normalize):
    logits, t = multiclass_data(absent=2)
    for kind in ("logits", "probs", "labels"):
        m = M.ConfusionMatrix(task="multiclass", num_classes=C, normalize=normalize)
        out = run_metric(m, as_input(kind, logits), t)
        assert out.dtype == (ember.int64 if normalize is None else ember.float32)
        close(out, skm.confusion_matrix(t, logits.argmax(1), labels=range(C), normalize=normalize))
    x = RNG.normal(size=50)
    tb = RNG.integers(0, 2, 50)
    close(run_metric(M.ConfusionMatrix(task="binary", normalize=normalize), x, tb),
          skm.confusion_matrix(tb, x > 0, labels=[0, 1], normalize=normalize))
    xm, tm = RNG.normal(size=(50, 3)), RNG.integers(0, 2, (50, 3))
    want = skm.multilabel_confusion_matrix(tm, xm > 0).astype(np.float64)
    if normalize is not None:
        axes = {"true": -1, "pred": -2, "all": (-2, -1)}[normalize]
        want = want / want.sum(axis=axes, keepdims=True)
    close(run_metric(M.ConfusionMatrix(task="multilabel", num_labels=3, normalize=normalize), xm, tm), want)


def test_confusion_matrix_plot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    logits, t = multiclass_data(30)
    m = M.ConfusionMatrix(task="multiclass", num_classes=C, normalize="true")
    m.update(logits, t)
    fig, ax = m.plot()
    assert len(ax.texts) == C * C
    plt.close(fig)


@pytest.mark.parametrize("kind", ["logits", "probs"])
def test_auroc(kind):
    x = RNG.normal(size=90)
    t = RNG.integers(0, 2, 90)
    close(run_metric(M.AUROC(task="binary"), x if kind == "logits" else sigmoid(x), t),
          skm.roc_auc_score(t, x))
    ties = RNG.integers(0, 5, 90)
    close(run_metric(M.AUROC(task="binary"), ties, t), skm.roc_auc_score(t, ties))
    logits, tm = multiclass_data(150, 4)
    p = as_input(kind, logits)
    probs = softmax(logits.astype(np.float64))
    for avg in ("macro", "weighted"):
        close(run_metric(M.AUROC(task="multiclass", num_classes=4, average=avg), p, tm),
              skm.roc_auc_score(tm, probs, multi_class="ovr", average=avg), 1e-5)
    per = run_metric(M.AUROC(task="multiclass", num_classes=4, average="none"), p, tm)
    close(per, [skm.roc_auc_score(tm == k, probs[:, k]) for k in range(4)], 1e-5)
    xm, tl = RNG.normal(size=(90, 3)), RNG.integers(0, 2, (90, 3))
    for avg in ("micro", "macro", "weighted"):
        close(run_metric(M.AUROC(task="multilabel", num_labels=3, average=avg), xm, tl),
              skm.roc_auc_score(tl, xm, average=avg))


@pytest.mark.parametrize("num_outputs", [1, 2])
def test_regression_classes(num_outputs):
    shape = (70,) if num_outputs == 1 else (70, 2)
    p, t = RNG.normal(size=shape), RNG.normal(size=shape) * 2 + 1
    mo = "raw_values" if num_outputs > 1 else "uniform_average"
    close(run_metric(M.MeanSquaredError(num_outputs=num_outputs), p, t),
          skm.mean_squared_error(t, p, multioutput=mo))
    close(run_metric(M.MeanSquaredError(squared=False), p, t),
          np.sqrt(skm.mean_squared_error(t.ravel(), p.ravel())))
    close(run_metric(M.MeanAbsoluteError(num_outputs=num_outputs), p, t),
          skm.mean_absolute_error(t, p, multioutput=mo))
    for mo in ("uniform_average", "raw_values", "variance_weighted"):
        close(run_metric(M.R2Score(num_outputs=num_outputs, multioutput=mo), p, t),
              skm.r2_score(t, p, multioutput=mo), 1e-5)
    r2 = skm.r2_score(t, p)
    close(run_metric(M.R2Score(num_outputs=num_outputs, adjusted=3), p, t),
          1 - (1 - r2) * 69 / (70 - 3 - 1), 1e-5)


def test_metric_protocol_and_state():
    logits, t = multiclass_data(40)
    m = M.Accuracy(task="multiclass", num_classes=C)
    assert m.name == "accuracy" and M.MeanSquaredError().name == "mean_squared_error"
    assert M.AUROC(task="binary").name == "auroc" and M.F1Score(task="binary").name == "f1_score"
    assert m.value is None and not m.update_called
    m.accumulate(ember.tensor(logits), ember.tensor(t))
    assert isinstance(m.value, float) and m.update_count == 1
    np.testing.assert_allclose(m.value, skm.accuracy_score(t, logits.argmax(1)), rtol=1e-6)
    per = M.Recall(task="multiclass", num_classes=C, average="none")
    per.accumulate(logits, t)
    assert isinstance(per.value, np.ndarray) and per.value.shape == (C,)
    m.reset()
    assert m.value is None and int(m.tp.sum()) == 0
    with pytest.warns(UserWarning, match="called before the ``update``"):
        m.compute()
    m.update(logits, t)
    # copies and pickles keep working (and keep counting updates)
    for other in (copy.deepcopy(m), pickle.loads(pickle.dumps(m)), m.clone()):
        other.update(logits, t)
        assert other.update_count == 2
        np.testing.assert_allclose(val(other.compute()), val(m.compute()))
    assert m.to("cpu") is m and m.compute().device == ember.device("cpu")
    assert "task='multiclass'" in repr(m)
    assert float(m(logits[:10], t[:10])) == pytest.approx(skm.accuracy_score(t[:10], logits[:10].argmax(1)))


def test_custom_metric_with_tensor_state():
    class MyAccuracy(M.Metric):
        def __init__(self):
            super().__init__()
            self.add_state("correct", default=ember.tensor(0), dist_reduce_fx="sum")
            self.add_state("total", default=ember.tensor(0), dist_reduce_fx="sum")
            self.add_state("seen", default=[], dist_reduce_fx="cat")

        def update(self, preds, target):
            self.correct += (preds.argmax(dim=1) == target).sum()
            self.total += target.numel()
            self.seen.append(target)

        def compute(self):
            return self.correct.float() / self.total

    logits, t = multiclass_data(40)
    m = MyAccuracy()
    b1 = m(ember.tensor(logits[:15]), ember.tensor(t[:15]))
    close(b1, skm.accuracy_score(t[:15], logits[:15].argmax(1)))
    m(ember.tensor(logits[15:]), ember.tensor(t[15:]))
    close(m.compute(), skm.accuracy_score(t, logits.argmax(1)))
    assert len(m.seen) == 2 and m.name == "my_accuracy" and m.value == pytest.approx(float(m.compute()))
    m.reset()
    assert int(m.total) == 0 and m.seen == []


def test_argument_and_input_errors():
    with pytest.raises(ValueError, match="Invalid Classification"):
        M.Accuracy(task="multi")
    with pytest.raises(ValueError, match="num_classes"):
        M.Accuracy(task="multiclass")
    with pytest.raises(ValueError, match="num_labels"):
        M.F1Score(task="multilabel")
    with pytest.raises(ValueError, match="average"):
        M.Precision(task="multiclass", num_classes=3, average="samples")
    with pytest.raises(ValueError, match="threshold"):
        M.Accuracy(task="binary", threshold=2.0)
    with pytest.raises(ValueError, match="top_k"):
        M.Accuracy(task="multiclass", num_classes=3, top_k=4)
    with pytest.raises(ValueError, match="normalize"):
        M.ConfusionMatrix(task="binary", normalize="rows")
    m = M.Accuracy(task="multiclass", num_classes=3)
    with pytest.raises(RuntimeError, match="outside the range"):
        m.update(np.array([0, 1, 2]), np.array([0, 1, 3]))
    with pytest.raises(ValueError, match="preds.shape\\[1\\]"):
        m.update(RNG.normal(size=(4, 5)), np.zeros(4, int))
    with pytest.raises(ValueError, match="same shape"):
        m.update(np.zeros(4, int), np.zeros(5, int))
    with pytest.raises(RuntimeError, match="Detected the following values in `target`"):
        M.Accuracy(task="binary").update(np.array([0.2, 0.7]), np.array([0, 2]))
    with pytest.raises(ValueError, match="at least two samples"):
        r = M.R2Score()
        r.update(np.ones(1), np.ones(1))
        r.compute()


def test_forward_does_not_warn():
    m = M.F1Score(task="multiclass", num_classes=C, average="macro")
    logits, t = multiclass_data(20)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m(logits, t)
        m.compute()
