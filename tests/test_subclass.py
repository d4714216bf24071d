"""Tensor subclasses against PyTorch: _make_subclass, as_subclass, results' classes through ops,
__torch_function__ overrides and the opt-out of Parameter."""
import copy
import pickle

import numpy as np
import pytest
import torch

import ember


def _classes(L):
    """The same user classes, defined over library L (ember or torch)."""
    T = L.Tensor

    class Param(T):       # seed 003's own Parameter (fastai's course notebook)
        def __new__(self, x):
            return T._make_subclass(Param, x, True)

        def __init__(self, *args, **kwargs):
            self.requires_grad_()

    class Plain(T):
        pass

    class Logged(T):
        calls = []

        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            cls.calls.append(tuple(t.__name__ for t in types))
            return super().__torch_function__(func, types, args, kwargs or {})

    class Meta(T):        # carries metadata through ops, as fastai's TensorBase does
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            src = next(a for a in args if isinstance(a, Meta))
            out = super().__torch_function__(func, types, args, kwargs or {})
            if isinstance(out, Meta):
                out.tag = getattr(src, "tag", None)
            return out

    class Unwrap(T):      # handles everything itself: runs on plain tensors, answers a string
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return "handled"

    return dict(Param=Param, Plain=Plain, Logged=Logged, Meta=Meta, Unwrap=Unwrap)


E, T = _classes(ember), _classes(torch)
X = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)


def _both(fn):
    """fn(L, classes, x) on both libraries -> (ember result, torch result)."""
    return (fn(ember, E, ember.tensor(X.copy())), fn(torch, T, torch.tensor(X.copy())))


def _name(v):
    return type(v).__name__ if not isinstance(v, (tuple, list)) else \
        (type(v).__name__, [type(x).__name__ for x in v])


CASES = {
    "param_class": lambda L, C, x: C["Param"](x),
    "param_mul": lambda L, C, x: C["Param"](x) * 2,
    "param_radd": lambda L, C, x: L.ones(4) + C["Param"](x),
    "param_matmul": lambda L, C, x: C["Param"](x) @ L.ones(4, 2),
    "param_sum": lambda L, C, x: C["Param"](x).sum(),
    "param_detach": lambda L, C, x: C["Param"](x).detach(),
    "param_data": lambda L, C, x: C["Param"](x).data,
    "param_index": lambda L, C, x: C["Param"](x)[0],
    "plain_fn": lambda L, C, x: L.relu(x.as_subclass(C["Plain"])),
    "plain_cat": lambda L, C, x: L.cat([x.as_subclass(C["Plain"]), x]),
    "plain_unbind": lambda L, C, x: x.as_subclass(C["Plain"]).unbind(0),
    "plain_max_values": lambda L, C, x: x.as_subclass(C["Plain"]).max(0).values,
    "plain_linear": lambda L, C, x: L.nn.functional.linear(x.as_subclass(C["Plain"]),
                                                           L.ones(2, 4)),
    "nn_parameter_mul": lambda L, C, x: L.nn.Parameter(x) * 2,
    "nn_parameter_with_plain": lambda L, C, x: L.nn.Parameter(x) * x.as_subclass(C["Plain"]),
    "item": lambda L, C, x: x.as_subclass(C["Plain"]).sum().item(),
    "constructor": lambda L, C, x: C["Plain"]([1.0, 2.0]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_result_classes_match_torch(case):
    e, t = _both(CASES[case])
    assert _name(e) == _name(t)
    ev = e if not isinstance(e, (tuple, list)) else e[0]
    tv = t if not isinstance(t, (tuple, list)) else t[0]
    if isinstance(tv, torch.Tensor):
        np.testing.assert_allclose(np.asarray(ev.detach()), tv.detach().numpy(), rtol=1e-5)
        assert ev.requires_grad == tv.requires_grad
        assert (ev.grad_fn is None) == (tv.grad_fn is None)
        if tv.grad_fn is not None:
            assert ev.grad_fn.name() == tv.grad_fn.name()
    else:
        assert ev == pytest.approx(tv, rel=1e-5)


def test_make_subclass_shares_memory_and_detaches():
    for L, C in ((ember, E), (torch, T)):
        x = L.tensor(X.copy())
        p = C["Param"](x)
        assert p.is_leaf and p.requires_grad
        x[0, 0] = 7.0
        assert p[0, 0].item() == 7.0                 # same memory
        a = L.ones(2, requires_grad=True)
        d = L.Tensor._make_subclass(C["Plain"], a * 2)
        assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    with pytest.raises(TypeError, match="must be Tensor"):
        ember.Tensor._make_subclass(E["Plain"], [1.0])


def test_gradients_flow_through_subclass_ops():
    grads = []
    for L, C in ((ember, E), (torch, T)):
        p = C["Param"](L.tensor(X.copy()))
        w = L.tensor(X.T.copy(), requires_grad=True)
        loss = ((p @ w).tanh() * 3).sum()
        assert type(loss).__name__ == "Param"
        loss.backward()
        grads.append((np.asarray(p.grad), np.asarray(w.grad)))
        assert type(p.grad).__name__ == "Tensor"
        a = L.tensor(X.copy(), requires_grad=True)
        b = a.as_subclass(C["Plain"])
        assert not b.is_leaf and b.grad_fn.name() == "AliasBackward0"
        (b * b).sum().backward()
        grads.append((np.asarray(a.grad),))
    for (ge, gt) in zip(grads[:2], grads[2:]):
        for u, v in zip(ge, gt):
            np.testing.assert_allclose(u, v, rtol=1e-5)


def test_torch_function_override_sees_types_and_super_converts():
    for C, L in ((E, ember), (T, torch)):
        C["Logged"].calls.clear()
        lg = L.tensor(X.copy()).as_subclass(C["Logged"])
        r = (lg + 1).relu()
        assert type(r).__name__ == "Logged"
        assert C["Logged"].calls and set(C["Logged"].calls) == {("Logged",)}
        m = L.tensor(X.copy()).as_subclass(C["Meta"])
        m.tag = "img"
        out = (m * 2 - 1).exp()
        assert type(out).__name__ == "Meta" and out.tag == "img"
        u = L.tensor(X.copy()).as_subclass(C["Unwrap"])
        assert (u + 1) == "handled"


def test_disabling_the_protocol_gives_plain_tensors():
    for L in (ember, torch):
        lg = L.tensor(X.copy()).as_subclass((E if L is ember else T)["Logged"])
        with L._C.DisableTorchFunctionSubclass():
            assert type(lg * 2) is L.Tensor
        assert type(lg * 2) is not L.Tensor


def test_as_subclass_rejects_non_tensor_classes():
    with pytest.raises(TypeError, match="subclass of Tensor"):
        ember.ones(2).as_subclass(int)


def test_subclass_copy_and_pickle_keep_class():
    p = E["Plain"]([1.0, 2.0])
    p.note = "kept"
    q = copy.deepcopy(p)
    assert type(q) is E["Plain"] and q.note == "kept" and q.tolist() == [1.0, 2.0]
    r = E["Param"](ember.tensor([1.0, 2.0]))
    s = copy.deepcopy(r)
    assert type(s) is E["Param"] and s.requires_grad


def test_plain_tensor_ops_unaffected_by_defined_subclasses():
    a = ember.ones(2, requires_grad=True)
    assert type(a * 2) is ember.Tensor and type((a * 2).grad_fn).__name__ == "MulBackward0"
    # pickling a subclass defined at module level keeps its class
    t = _Pickled([3.0])
    u = pickle.loads(pickle.dumps(t))
    assert type(u) is _Pickled and u.tolist() == [3.0]


class _Pickled(ember.Tensor):
    pass


def test_subclass_through_a_model_loss_and_collate():
    def run(L, C):
        nn, F = L.nn, L.nn.functional
        L.manual_seed(0)
        x = L.tensor(np.random.default_rng(0).standard_normal((4, 3, 8, 8)).astype(np.float32))
        x = x.as_subclass(C["Plain"])
        m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(36, 5))
        out = m(x)
        loss = F.cross_entropy(out, L.tensor([0, 1, 2, 3]))
        loss.backward()
        batch = L.utils.data.default_collate([x[0], x[1]])
        return [type(v).__name__ for v in (out, loss, m[0].weight.grad, x.mean(), batch,
                                           L.stack([x, x]), x.view(4, -1), x.float())]
    assert run(ember, E) == run(torch, T)


def test_seed_003_own_parameter_and_module_train_as_in_torch():
    # the notes' from-scratch Module: its own Parameter marker class, registered by __setattr__
    def run(L):
        T_ = L.Tensor

        class Parameter(T_):
            def __new__(self, x):
                return T_._make_subclass(Parameter, x, True)

            def __init__(self, *args, **kwargs):
                self.requires_grad_()

        class Module:
            def __init__(self):
                self.params, self.children = [], []

            def __setattr__(self, k, v):
                super().__setattr__(k, v)
                if isinstance(v, Parameter):
                    self.params.append(v)
                if isinstance(v, Module):
                    self.children.append(v)

            def parameters(self):
                return self.params + sum([m.parameters() for m in self.children], [])

            def __call__(self, *args):
                return self.forward(*args)

        class Linear(Module):
            def __init__(self, n_in, n_out, seed):
                super().__init__()
                rng = np.random.default_rng(seed)
                self.w = Parameter(L.tensor(rng.standard_normal((n_in, n_out)).astype(np.float32)
                                            / n_in ** 0.5))
                self.b = Parameter(L.zeros(n_out))

            def forward(self, x):
                return x @ self.w + self.b

        class Model(Module):
            def __init__(self):
                super().__init__()
                self.l1, self.l2 = Linear(8, 16, 1), Linear(16, 3, 2)

            def forward(self, x):
                return self.l2(self.l1(x).relu())

        model = Model()
        x = L.tensor(np.random.default_rng(3).standard_normal((32, 8)).astype(np.float32))
        y = L.tensor(np.random.default_rng(4).integers(0, 3, 32))
        losses = []
        for _ in range(5):
            loss = L.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            with L.no_grad():
                for p in model.parameters():
                    p -= p.grad * 0.5
                    p.grad.zero_()
            losses.append(loss.item())
        kinds = {type(p).__name__ for p in model.parameters()}
        return losses, kinds, type(model(x)).__name__
    le, lt = run(ember), run(torch)
    np.testing.assert_allclose(le[0], lt[0], rtol=1e-5)
    assert le[1:] == lt[1:] == ({"Parameter"}, "Parameter")
    assert len(le[0]) == 5 and le[0][-1] < le[0][0]
