"""The backward engine: iterative, dependency-counted, one pass over the graph.

It owns the two chores op authors never do: summing a broadcast gradient back to the input's
shape (and dtype), and accumulating gradients that reach the same place by several paths.
"""
import heapq

from .. import _tensor
from .._device import xp_for as dev_xp
from .anomaly_mode import ANOMALY, check_grads
from .function import _AUTOCAST, AccumulateGrad
from .grad_mode import STATE

__all__ = ["run_backward"]


def _root_node(t, i):
    if not t._rg:
        raise RuntimeError(f"element {i} of tensors does not require grad and does not have a "
                           "grad_fn")
    return (t.grad_fn, t._out_idx) if t.grad_fn is not None else (t._accumulator(), 0)


def _make_grad(t, g, i, create_graph):
    Tensor = _tensor.Tensor
    if g is None:
        if t._data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        if t.dtype.category < 2:
            raise RuntimeError("grad can be implicitly created only for real scalar outputs but "
                               f"got {t.dtype}")
        return Tensor._wrap(t._xp.ones_like(t._data))
    if not isinstance(g, Tensor):
        g = _tensor.Tensor._wrap(t._xp.asarray(g, dtype=t.dtype.np))
    if g.shape != t.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                           f"output[{i}] has a shape of {t.shape}.")
    return g if create_graph else g.detach()


def _collect(roots):
    """Dependency counts of every node reachable from ``roots`` (iterative DFS)."""
    deps = {}
    seen = set()
    stack = [n for n in roots]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for e in node._next:
            if e is not None:
                nxt = e[0]
                deps[nxt] = deps.get(nxt, 0) + 1
                if id(nxt) not in seen:
                    stack.append(nxt)
    return deps


def _needed(roots, targets):
    """Nodes from which a target node can be reached: the only ones worth running."""
    needed = set()
    order, seen, stack = [], set(), list(roots)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        stack.extend(e[0] for e in node._next if e is not None)
    changed = True
    # reverse DFS order visits a node after most of its children; iterate to a fixpoint
    while changed:
        changed = False
        for node in reversed(order):
            if id(node) in needed:
                continue
            if id(node) in targets or any(e is not None and id(e[0]) in needed for e in node._next):
                needed.add(id(node))
                changed = True
    return needed


def run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=None,
                 allow_unused=False, accumulate=True):
    """Propagate gradients from ``tensors``. With ``accumulate`` the leaves' ``.grad`` receive
    them (``backward``); otherwise the gradients of ``inputs`` are returned (``grad``)."""
    if retain_graph is None:
        retain_graph = create_graph
    roots, buffers = [], {}
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        node, idx = _root_node(t, i)
        g = _make_grad(t, g, i, create_graph)
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = {}
        buf[idx] = buf[idx] + g if idx in buf else g
        roots.append(node)

    # capture points: (node, output index) -> position in ``inputs``
    captures = None
    if inputs is not None:
        captures = {}
        for k, t in enumerate(inputs):
            if not t._rg:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            key = (t.grad_fn, t._out_idx) if t.grad_fn is not None else (t._accumulator(), 0)
            captures[(id(key[0]), key[1])] = k
        targets = {key[0] for key in captures}
        needed = _needed(roots, targets)
    else:
        needed = None
    results = [None] * (len(inputs) if inputs is not None else 0)

    deps = _collect(roots)
    ready = [(-n._seq, n) for n in dict.fromkeys(roots) if deps.get(n, 0) == 0]
    heapq.heapify(ready)
    prev_mode, prev_cast = STATE.enabled, _AUTOCAST[0]
    STATE.enabled, _AUTOCAST[0] = create_graph, None   # gradients keep their forward dtypes
    try:
        while ready:
            node = heapq.heappop(ready)[1]
            buf = buffers.pop(node, None)
            run = buf is not None and (needed is None or id(node) in needed)
            grads_in = _run_node(node, buf, captures, results, create_graph, accumulate,
                                 inputs) if run else None
            if grads_in is not None and ANOMALY["enabled"] and ANOMALY["check_nan"]:
                check_grads(node, grads_in)
            for k, e in enumerate(node._next):
                if e is None:
                    continue
                nxt = e[0]
                g = grads_in[k] if grads_in is not None else None
                if g is not None:
                    g = _fit(g, e, node, k)
                    b = buffers.get(nxt)
                    if b is None:
                        b = buffers[nxt] = {}
                    idx = e[1]
                    b[idx] = b[idx] + g if idx in b else g
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0:
                    heapq.heappush(ready, (-nxt._seq, nxt))
            if not retain_graph:
                node._release()
    finally:
        STATE.enabled, _AUTOCAST[0] = prev_mode, prev_cast
    if inputs is not None and not accumulate:
        for k, r in enumerate(results):
            if r is None and not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been "
                                   "used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
    return results


def _run_tensor_hooks(node, buf):
    th = node.__dict__.get("_thooks") if not isinstance(node, AccumulateGrad) else None
    if th:
        for idx, hooks in th.items():
            if idx in buf:
                for fn in list(hooks.values()):
                    r = fn(buf[idx])
                    if r is not None:
                        buf[idx] = r
    return buf


def _run_node(node, buf, captures, results, create_graph, accumulate, inputs):
    if isinstance(node, AccumulateGrad):
        t = node.variable
        g = buf.get(0)
        if g is None:
            return None
        for fn in list(t._hooks.values()) if t._hooks else ():
            r = fn(g)
            if r is not None:
                g = r
        if node._pre_hooks:
            for fn in list(node._pre_hooks.values()):
                r = fn((g,))
                if r is not None:
                    g = r[0]
        k = captures.get((id(node), 0)) if captures is not None else None
        if captures is not None and k is None:
            return None
        if k is not None and not accumulate:
            results[k] = g if results[k] is None else results[k] + g
        else:
            _accumulate_into(t, g, create_graph)
        if node._post_hooks:
            for fn in list(node._post_hooks.values()):
                fn((), (g,))
        return None

    _run_tensor_hooks(node, buf)
    retain = node.__dict__.get("_retain")
    if retain:
        for idx, ref in retain.items():
            t = ref()
            if t is not None and idx in buf:
                _accumulate_into(t, buf[idx], create_graph)
    if captures is not None:
        for idx, g in buf.items():
            k = captures.get((id(node), idx))
            if k is not None:
                if accumulate:
                    _accumulate_into(inputs[k], g, create_graph)
                else:
                    results[k] = g if results[k] is None else results[k] + g
    n_out = len(node.__dict__.get("_out_meta", ())) or 1
    grads = [buf.get(i) for i in range(n_out)]
    if node.__dict__.get("_materialize", True):
        for i, g in enumerate(grads):
            if g is None:
                shape, dt, dev = node._out_meta[i]
                grads[i] = _tensor.Tensor._wrap(dev_xp(dev).zeros(shape, dt.np))
    pre = node.__dict__.get("_pre_hooks")
    if pre:
        for fn in list(pre.values()):
            r = fn(tuple(grads))
            if r is not None:
                grads = list(r)
    out = type(node).backward(node, *grads)
    if not isinstance(out, tuple):
        out = (out,)
    n_in = len(node._next)
    if len(out) != n_in:
        if len(out) > n_in and all(o is None for o in out[n_in:]):
            out = out[:n_in]
        else:
            raise RuntimeError(f"function {node.name()} returned an incorrect number of "
                               f"gradients (expected {n_in}, got {len(out)})")
    post = node.__dict__.get("_post_hooks")
    if post:
        for fn in list(post.values()):
            r = fn(out, tuple(grads))
            if r is not None:
                out = tuple(r)
    return out


def _fit(g, edge, node, k):
    """Sum a broadcast gradient down to the input's shape and cast it to the input's dtype."""
    Tensor = _tensor.Tensor
    if not isinstance(g, Tensor):
        raise TypeError(f"function {node.name()} returned a gradient of type "
                        f"{type(g).__name__} at index {k}, expected a Tensor or None")
    shape = edge[2]
    if g._data.shape != shape:
        try:
            g = g.sum_to_size(shape)
        except RuntimeError:
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {k} - got "
                f"{list(g.shape)} but expected shape compatible with {list(shape)}") from None
    if g.dtype is not edge[3]:
        g = g.to(edge[3])
    return g


def _accumulate_into(t, g, create_graph):
    if create_graph:
        t.grad = g if t.grad is None else t.grad + g
        return
    if g._rg:
        g = g.detach()
    if t.grad is None:
        # A fresh copy: the same gradient tensor may flow to several leaves (AddBackward).
        t.grad = _tensor.Tensor._wrap(g._data.copy())
    else:
        t.grad._data += g._data
        t.grad._vc.value += 1
