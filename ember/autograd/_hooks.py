"""What a user can attach to the graph, kept off the engine's main path.

- ``Node.register_hook`` / ``register_prehook``: run after / before a node's backward.
- ``Tensor.register_hook``: a hook on one output of a node (or on a leaf).
- ``Tensor.retain_grad``: a non-leaf keeps its gradient in ``.grad``.
- ``autograd.grad(outputs, inputs)``: the gradients reaching ``inputs`` are captured and
  returned instead of accumulated, and only the nodes that lead to an input run.

A node keeps all of this in one slot, ``_hooks`` (a ``NodeHooks``, or None for the common node
that has none), so the engine pays one ``is None`` test per node for the whole feature.
"""
import weakref

__all__ = ["RemovableHandle", "add_hook", "NodeHooks", "node_hooks", "Capture"]


class RemovableHandle:
    """Returned by hook registrations; ``remove()`` takes the hook out again."""

    __slots__ = ("_store", "_key")
    _next_id = [0]

    def __init__(self, store):
        self._store = store
        RemovableHandle._next_id[0] += 1
        self._key = RemovableHandle._next_id[0]

    @property
    def id(self):
        return self._key

    def remove(self):
        self._store.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(store, fn):
    h = RemovableHandle(store)
    store[h._key] = fn
    return h


class NodeHooks:
    """A node's optional state: hooks, retained outputs, user metadata."""

    __slots__ = ("pre", "post", "tensor", "retain", "metadata")

    def __init__(self):
        self.pre = {}        # handle id -> fn(grad_outputs) -> replacement or None
        self.post = {}       # handle id -> fn(grad_inputs, grad_outputs) -> replacement or None
        self.tensor = {}     # output index -> {handle id -> fn(grad) -> replacement or None}
        self.retain = {}     # output index -> weakref of the tensor that retains its grad
        self.metadata = {}


def node_hooks(node):
    """The NodeHooks of ``node``, made on first use."""
    h = node._hooks
    if h is None:
        h = node._hooks = NodeHooks()
    return h


def register_tensor_hook(t, fn):
    if t.grad_fn is None:   # a leaf: its hooks live on the tensor, run by AccumulateGrad
        if t._hooks is None:
            t._hooks = {}
        return add_hook(t._hooks, fn)
    return add_hook(node_hooks(t.grad_fn).tensor.setdefault(t._out_idx, {}), fn)


def retain_grad(t):
    node_hooks(t.grad_fn).retain[t._out_idx] = weakref.ref(t)


def retains_grad(t):
    h = t.grad_fn._hooks if t.grad_fn is not None else None
    ref = h.retain.get(t._out_idx) if h is not None else None
    return ref is not None and ref() is t


def run_pre_hooks(node, buf, accumulate_grad, create_graph):
    """Before a node's backward: tensor hooks on its outputs (they may replace a gradient in
    ``buf``), then retained grads."""
    h = node._hooks
    for idx, hooks in h.tensor.items():
        if idx in buf:
            for fn in list(hooks.values()):
                r = fn(buf[idx])
                if r is not None:
                    buf[idx] = r
    for idx, ref in h.retain.items():
        t = ref()
        if t is not None and idx in buf:
            accumulate_grad(t, buf[idx], create_graph)


def run_prehooks(node, grads):
    """The node's pre-hooks, on the list of its output gradients."""
    h = node._hooks
    if h is not None and h.pre:
        for fn in list(h.pre.values()):
            r = fn(tuple(grads))
            if r is not None:
                grads = list(r)
    return grads


def run_posthooks(node, grads_in, grads_out):
    h = node._hooks
    if h is not None and h.post:
        for fn in list(h.post.values()):
            r = fn(grads_in, tuple(grads_out))
            if r is not None:
                grads_in = tuple(r)
    return grads_in


def run_leaf_hooks(node, g):
    """A leaf's tensor hooks, then its AccumulateGrad's pre-hooks."""
    t = node.variable
    for fn in list(t._hooks.values()) if t._hooks else ():
        r = fn(g)
        if r is not None:
            g = r
    h = node._hooks
    if h is not None and h.pre:
        for fn in list(h.pre.values()):
            r = fn((g,))
            if r is not None:
                g = r[0]
    return g


class Capture:
    """``autograd.grad``'s view of a backward pass (or ``backward(inputs=...)``'s): where the
    gradients of ``inputs`` arrive, and which nodes are worth running at all."""

    def __init__(self, inputs, roots, accumulate):
        self.inputs, self.accumulate = inputs, accumulate
        self.results = [None] * len(inputs)
        self.where = {}   # (id(node), output index) -> position in ``inputs``
        for k, t in enumerate(inputs):
            if not t._rg:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            node, idx = (t.grad_fn, t._out_idx) if t.grad_fn is not None else \
                (t._accumulator(), 0)
            self.where[(id(node), idx)] = k
        self.needed = _needed(roots, {key[0] for key in self.where})

    def take(self, node, buf, accumulate_grad, create_graph):
        """Capture the gradients in ``buf`` (a node's, by output index) that belong to an
        input: return them (``grad``) or accumulate them into the input (``backward``)."""
        for idx, g in buf.items():
            k = self.where.get((id(node), idx))
            if k is not None:
                if self.accumulate:
                    accumulate_grad(self.inputs[k], g, create_graph)
                else:
                    r = self.results[k]
                    self.results[k] = g if r is None else r + g


def _needed(roots, targets):
    """ids of the nodes from which a target node can be reached: the only ones worth running."""
    needed = set()
    order, seen, stack = [], set(), list(roots)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        stack.extend(e[0] for e in node._next if e is not None)
    # creation order is topological: visit inputs before the nodes that use them
    for node in sorted(order, key=lambda n: n._seq):
        if id(node) in targets or any(e is not None and id(e[0]) in needed for e in node._next):
            needed.add(id(node))
    return needed
