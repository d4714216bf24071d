"""The training engine's safety rails (issue 14 part 4): unknown events, callbacks that assign
engine attributes, notes naming the failing callback, show_training_loop."""

import io

import pytest

import ember
import ember.train as T
from ember import nn
from ember.utils.data import DataLoader, TensorDataset


def tiny_learner(cbs=None):
    ember.manual_seed(0)
    x, y = ember.randn(8, 3), ember.randint(0, 2, (8,))
    dls = T.DataLoaders(
        DataLoader(TensorDataset(x, y), batch_size=4), DataLoader(TensorDataset(x, y), batch_size=4)
    )
    learn = T.Learner(dls, nn.Linear(3, 2), nn.CrossEntropyLoss(), cbs=cbs)
    learn.remove_cb(T.ProgressCallback)
    return learn


def test_unknown_event_raises_listing_the_events():
    learn = tiny_learner()
    with pytest.raises(ValueError) as ei:
        learn("before_btach")
    msg = str(ei.value)
    assert "'before_btach'" in msg
    for e in ("before_fit", "after_batch", "before_zero_grad", "after_cancel_fit"):
        assert e in msg


def test_callback_assigning_engine_attribute_raises_and_points_to_learn():
    class Bad(T.Callback):
        def before_batch(self):
            self.model = None

    learn = tiny_learner(cbs=Bad())
    with pytest.raises(AttributeError, match=r"self\.learn\.model"):
        learn.fit(1)


def test_callback_may_keep_its_own_state_and_write_through_learn():
    class Good(T.Callback):
        def before_fit(self):
            self.count = 0  # not an engine attribute: the callback's own

        def after_loss(self):
            self.count += 1
            self.learn.loss_grad = self.learn.loss_grad * 1.0

    cb = Good()
    tiny_learner(cbs=cb).fit(1)
    assert cb.count == 4  # 2 train + 2 valid batches


def test_exception_from_callback_names_callback_and_event():
    class Boom(T.Callback):
        def after_pred(self):
            raise KeyError("boom")

    learn = tiny_learner(cbs=Boom())
    with pytest.raises(KeyError) as ei:
        learn.fit(1)
    notes = getattr(ei.value, "__notes__", [])
    assert len(notes) == 1 and "Boom" in notes[0] and "'after_pred'" in notes[0]


def test_cancel_exceptions_carry_no_note():
    class Skip(T.Callback):
        def before_batch(self):
            raise T.CancelBatchException()

    tiny_learner(cbs=Skip()).fit(1)  # handled by the engine: nothing to annotate, nothing raised


def test_show_training_loop_lists_events_and_callbacks():
    class Mine(T.Callback):
        def before_zero_grad(self):
            pass

    learn = tiny_learner(cbs=Mine())
    out = io.StringIO()
    learn.show_training_loop(file=out)
    text = out.getvalue()
    lines = text.splitlines()
    assert lines[0] == "Start Fit" and lines[-1] == "End Fit"
    fit = next(ln for ln in lines if "before_fit" in ln)
    assert "TrainEvalCallback" in fit and "Recorder" in fit
    zg = next(ln for ln in lines if "before_zero_grad" in ln)
    assert "Mine" in zg
    # events print in the order the loop fires them
    order = [ln.split(":")[0].strip(" -") for ln in lines if ln.strip().startswith("- ")]
    assert (
        order.index("before_train")
        < order.index("before_zero_grad")
        < order.index("after_batch")
        < order.index("after_epoch")
    )
    learn.zero_grad_first = True  # Lightning's order: cleared before the backward pass
    out = io.StringIO()
    learn.show_training_loop(file=out)
    assert out.getvalue().index("before_zero_grad") < out.getvalue().index("after_batch")
