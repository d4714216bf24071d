"""The backward engine: one pass over the graph, newest node first.

The algorithm, as micrograd's ``backward()`` with two chores added:

1. Seed: each root's gradient goes into the input buffer of the root's node.
2. Repeat until no node is pending: take the newest pending node (creation order is a
   topological order, so every node that feeds it gradient has already run), call its
   ``backward`` with the gradients gathered for its outputs.
3. For each edge, **un-broadcast** the returned gradient to the input's shape and dtype
   (``_fit``), then **accumulate** it into the next node's buffer (gradients meeting at a node
   are summed; on arrays when no graph of the gradient is built, as PyTorch's input buffer
   does). A node whose buffer gets its first gradient becomes pending.
4. A leaf's node, AccumulateGrad, adds the gradient into ``tensor.grad`` (a leaf without hooks
   takes each gradient as it arrives). Without ``retain_graph`` every node frees its saved
   tensors once it has run.

Hooks, ``retain_grad`` and ``grad()``'s capture of its inputs live in ``_hooks.py``; a node
without them (nearly all) costs one ``is None`` test for the whole feature.
"""
import heapq

import numpy as np

from .. import _tensor
from .._device import xp_for as dev_xp
from ..ops import _parallel
from ..ops._util import quiet_begin, quiet_end
from . import _hooks
from .anomaly_mode import ANOMALY, check_grads
from .function import _AUTOCAST, AccumulateGrad, accumulate_grad
from .grad_mode import STATE

_SPLIT_BYTES = _parallel.MIN_BYTES   # two big gradients meeting are summed on ember's threads

__all__ = ["run_backward", "backward_scalar"]
_ndarray = np.ndarray


def run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=None,
                 allow_unused=False, accumulate=True):
    """Propagate gradients from ``tensors``. With ``accumulate`` the leaves' ``.grad`` receive
    them (``backward``); otherwise the gradients of ``inputs`` are returned (``grad``)."""
    if retain_graph is None:
        retain_graph = create_graph
    buffers, pending = {}, []     # node -> {output index: gradient}; heap of (-seq, node)
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        node, idx = _root_node(t, i)
        g = _make_grad(t, g, i, create_graph)
        if node not in buffers:
            buffers[node] = {}
            pending.append((-node._seq, node))
        _add_into(buffers[node], idx, g, create_graph)
        roots.append(node)
    capture = _hooks.Capture(inputs, roots, accumulate) if inputs is not None else None
    anomaly = ANOMALY["enabled"] and ANOMALY["check_nan"]
    heapq.heapify(pending)
    heappop = heapq.heappop
    direct = capture is None and not create_graph   # (see _send)

    prev_mode, prev_cast = STATE.enabled, _AUTOCAST[0]
    STATE.enabled, _AUTOCAST[0] = create_graph, None   # gradients keep their forward dtypes
    quiet = quiet_begin()   # inf and nan are results (no NumPy warnings), once for the pass
    try:
        while pending:
            node = heappop(pending)[1]
            buf = buffers.pop(node)
            if capture is not None:
                grads_in = _run_captured(node, buf, capture, create_graph)
            elif node.__class__ is AccumulateGrad:
                _run_leaf(node, buf, create_graph)
                continue
            else:
                grads_in = _run_node(node, buf, create_graph)
            if grads_in is None:
                continue
            if anomaly:
                check_grads(node, grads_in)
            _send(node, node._next, grads_in, buffers, pending, direct, create_graph)
            if not retain_graph:
                node._release()
    finally:
        STATE.enabled, _AUTOCAST[0] = prev_mode, prev_cast
        quiet_end(quiet)
    if capture is None:
        return []
    if not accumulate and not allow_unused and any(r is None for r in capture.results):
        raise RuntimeError("One of the differentiated Tensors appears to not have been used in "
                           "the graph. Set allow_unused=True if this is the desired behavior.")
    return capture.results


def backward_scalar(t, retain_graph):
    """``t.backward()`` for a scalar ``t`` with a grad_fn: one root, its gradient a one, no
    ``inputs``, no graph of the gradient, no anomaly mode. The same walk as ``run_backward``
    with what that call cannot need taken out of the loop; a node with hooks or several
    outputs still goes through ``_run_node``."""
    if ANOMALY["enabled"]:
        return run_backward((t,), (None,), retain_graph, False)
    d = t._data
    if d.__class__ is not _ndarray or d.size != 1 or d.dtype.kind not in "fc":
        return run_backward((t,), (None,), retain_graph, False)   # its checks and errors
    Tensor = _tensor.Tensor
    g = Tensor._wrap(_ndarray_ones(d))
    node = t.grad_fn
    buffers = {node: {t._out_idx: g}}
    pending = [(-node._seq, node)]
    heappop = heapq.heappop
    prev_mode, prev_cast = STATE.enabled, _AUTOCAST[0]
    STATE.enabled, _AUTOCAST[0] = False, None   # gradients keep their forward dtypes
    quiet = quiet_begin()   # inf and nan are results (no NumPy warnings), once for the pass
    try:
        while pending:
            node = heappop(pending)[1]
            buf = buffers.pop(node)
            cls = node.__class__
            if cls is AccumulateGrad:
                _run_leaf(node, buf, False)
                continue
            nexts = node._next
            if node._hooks is None and node._out_meta is None:
                grads_in = cls.backward(node, buf[0])
                if grads_in.__class__ is not tuple:
                    grads_in = (grads_in,)
                if len(grads_in) != len(nexts):
                    grads_in = _count_checked(node, grads_in)
            else:
                grads_in = _run_node(node, buf, False)
            _send(node, nexts, grads_in, buffers, pending, True, False)
            if not retain_graph:
                names = cls._ctx_arrays
                if names is None or names:
                    node._release()
                else:                  # nothing but the saved tensors to free (most ops)
                    node._saved = None
    finally:
        STATE.enabled, _AUTOCAST[0] = prev_mode, prev_cast
        quiet_end(quiet)


def _send(node, nexts, grads_in, buffers, pending, direct, create_graph):
    """Hand ``node``'s input gradients along its edges: each fitted to its input's shape and
    dtype, then added into a plain leaf's ``.grad`` at once (``direct``: a leaf without hooks
    takes its gradients as they come, the same sums in the same order as buffering them), or
    buffered for the next node (queued on its first gradient; gradients that meet are summed)."""
    Tensor = _tensor.Tensor
    for edge, g in zip(nexts, grads_in):
        if edge is None or g is None:
            continue
        if g.__class__ is not Tensor or g._data.shape != edge[2] or \
                g._data.dtype is not edge[3].np:
            g = _fit(g, edge, node, grads_in)          # un-broadcast, cast
        nxt = edge[0]
        if direct and nxt.__class__ is AccumulateGrad and nxt._hooks is None and \
                not edge[4]._hooks:
            accumulate_grad(edge[4], g, False)
            continue
        b = buffers.get(nxt)
        if b is None:
            buffers[nxt] = {edge[1]: g}
            heapq.heappush(pending, (-nxt._seq, nxt))
        else:
            _add_into(b, edge[1], g, create_graph)


def _ndarray_ones(d):
    """A NumPy array of ones shaped and typed as ``d`` (``np.ones_like``'s wrapper costs more
    than the tiny graphs that call this)."""
    one = _ndarray((), d.dtype)
    one[()] = 1
    return one if d.ndim == 0 else one.reshape(d.shape)


def _count_checked(node, out):
    n_in = len(node._next)
    if len(out) > n_in and all(o is None for o in out[n_in:]):
        return out[:n_in]
    raise RuntimeError(f"function {node.name()} returned an incorrect number of "
                       f"gradients (expected {n_in}, got {len(out)})")


def _run_node(node, buf, create_graph, capture=None):
    """Call ``node.backward`` with the gradients of its outputs; returns one gradient per edge."""
    if node._hooks is not None:
        _hooks.run_pre_hooks(node, buf, accumulate_grad, create_graph)
    if capture is not None:
        capture.take(node, buf, accumulate_grad, create_graph)
    meta = node._out_meta
    if meta is None:                      # one output
        grads = [buf.get(0)]
    else:
        grads = [buf.get(i) for i in range(len(meta))]
        if node._materialize:
            for i, g in enumerate(grads):
                if g is None and meta[i] is not None:   # (None: an output that was None)
                    shape, dt, dev = meta[i]
                    grads[i] = _tensor.Tensor._wrap(dev_xp(dev).zeros(shape, dt.np))
    if node._hooks is not None:
        grads = _hooks.run_prehooks(node, grads)
    out = type(node).backward(node, *grads)
    if out.__class__ is not tuple:
        out = (out,)
    if len(out) != len(node._next):
        out = _count_checked(node, out)
    if node._hooks is not None:
        out = _hooks.run_posthooks(node, out, grads)
    return out


def _run_leaf(node, buf, create_graph):
    """AccumulateGrad: hand the gradient to the leaf's ``.grad``."""
    g = buf.get(0)
    if g is None:
        return
    if node.variable._hooks or node._hooks is not None:
        g = _hooks.run_leaf_hooks(node, g)
    accumulate_grad(node.variable, g, create_graph)
    if node._hooks is not None:
        _hooks.run_posthooks(node, (), (g,))


def _run_captured(node, buf, capture, create_graph):
    """A node of a pass with ``inputs``: capture what reaches an input, run only nodes that
    lead to one, and leave other leaves' ``.grad`` alone."""
    if id(node) not in capture.needed:
        return None
    if node.__class__ is AccumulateGrad:
        g = buf.get(0)
        if g is not None and (id(node), 0) in capture.where:
            g = _hooks.run_leaf_hooks(node, g)
            capture.take(node, {0: g}, accumulate_grad, create_graph)
            if node._hooks is not None:
                _hooks.run_posthooks(node, (), (g,))
        return None
    return _run_node(node, buf, create_graph, capture)


def _add_into(buf, idx, g, create_graph):
    """Accumulate gradient ``g`` for output ``idx`` into a node's input buffer."""
    old = buf.get(idx)
    if old is None:
        buf[idx] = g
    elif create_graph:
        buf[idx] = old + g
    else:   # no graph to build: add the arrays (never in place: ``old`` may be shared)
        a, b = old._data, g._data
        if a.__class__ is np.ndarray and a.nbytes >= _SPLIT_BYTES:
            s = _parallel.binary(np, np.add, a, b)
            buf[idx] = _tensor.Tensor._wrap(a + b if s is None else s)
        else:
            buf[idx] = _tensor.Tensor._wrap(a + b)


def _fit(g, edge, node, grads_in):
    """Sum a broadcast gradient down to the input's shape and cast it to the input's dtype."""
    if not isinstance(g, _tensor.Tensor):
        k = next(i for i, x in enumerate(grads_in) if x is g)
        raise TypeError(f"function {node.name()} returned a gradient of type "
                        f"{type(g).__name__} at index {k}, expected a Tensor or None")
    shape = edge[2]
    if g._data.shape != shape:
        try:
            g = g.sum_to_size(shape)
        except RuntimeError:
            k = next(i for i, x in enumerate(grads_in) if x is g)
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {k} - got "
                f"{list(g.shape)} but expected shape compatible with {list(shape)}") from None
    if g._data.dtype is not edge[3].np and g.dtype is not edge[3]:
        g = g.to(edge[3])
    return g


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
