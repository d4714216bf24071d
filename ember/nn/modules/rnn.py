"""Recurrent layers: RNN (tanh / relu), LSTM (with optional projection), GRU, and their cells.

Weights are named and laid out as PyTorch's (``weight_ih_l0``, ``bias_hh_l1_reverse`` …, gates
stacked in the rows: LSTM i, f, g, o; GRU r, z, n), so a PyTorch state_dict loads as is. A layer
projects the whole sequence through W_ih in one matmul, then runs the time steps: an LSTM layer
as one op with the loop inside, RNN and GRU with one fused op per step (``ember.ops.rnn``).
Inputs may be PackedSequences (``nn.utils.rnn``)."""
import math
import numbers
import warnings

import numpy as np

from ... import _creation
from ...ops.gather import where
from ...ops.join import cat, stack
from ...ops.rnn import GRUCell as _GRUStep
from ...ops.rnn import LSTMCell as _LSTMStep
from ...ops.rnn import LSTMLayer as _LSTMLayer
from ...ops.rnn import RNNCell as _RNNStep
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """What RNN, LSTM and GRU share: the parameters, their checks, the stacked layers."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) \
                or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        for name, v in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(v, bool):
                raise TypeError(f"{name} should be of type bool, got: {type(v).__name__}")
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(v, int):
                raise TypeError(f"{name} should be of type int, got: {type(v).__name__}")
            if v <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        gate_size = _GATES[mode] * hidden_size
        out_size = proj_size or hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names, self._all_weights = [], []

        def new(*shape):
            return Parameter(_creation.empty(*shape, device=device, dtype=dtype))
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else out_size * directions
            for d in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                params = [("weight_ih", new(gate_size, in_size)),
                          ("weight_hh", new(gate_size, out_size))]
                if bias:
                    params += [("bias_ih", new(gate_size)), ("bias_hh", new(gate_size))]
                if proj_size:
                    params.append(("weight_hr", new(proj_size, hidden_size)))
                names = []
                for name, p in params:
                    setattr(self, name + suffix, p)
                    names.append(name + suffix)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        # PyTorch's default: every weight and bias from U(-1/sqrt(hidden), 1/sqrt(hidden))
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    @property
    def _flat_weights(self):
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self):
        """A no-op, as PyTorch's is off cuDNN."""

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- forward ----------------------------------------------------------------------------
    def _check_input(self, input):
        w0 = self.weight_ih_l0
        if input.dtype != w0.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w0.dtype}). Convert input: input.to({w0.dtype}), or convert "
                             f"model: model.to({input.dtype})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")

    def _initial_states(self, hs, batch, like):
        """([h0 per layer and direction], [c0 …] or None) from the given states (a tuple of
        3-d tensors, or None for zeros), with PyTorch's size checks."""
        lstm = self.mode == "LSTM"
        n = self.num_layers * (2 if self.bidirectional else 1)
        h_shape = (n, batch, self.proj_size or self.hidden_size)
        c_shape = (n, batch, self.hidden_size)
        if hs is None:
            hs = tuple(_creation.zeros(*s, dtype=like.dtype, device=like.device)
                       for s in ((h_shape, c_shape) if lstm else (h_shape,)))
        for k, (h, shape) in enumerate(zip(hs, (h_shape, c_shape))):
            if tuple(h.shape) != shape:
                label = f"hidden[{k}] size" if lstm else "hidden size"
                raise RuntimeError(f"Expected {label} {shape}, got {list(h.shape)}")
        return hs[0].unbind(0), (hs[1].unbind(0) if lstm else None)

    def _run(self, input, hx, name):
        if isinstance(input, PackedSequence):
            return self._run_packed(input, hx)
        if input.dim() not in (2, 3):
            tail = "D tensor instead" if name == "RNN" else "D instead"
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}{tail}")
        lstm = self.mode == "LSTM"
        batched = input.dim() == 3
        hs = None
        if hx is not None:
            hs = tuple(hx) if lstm else (hx,)
            want = 3 if batched else 2
            if any(h.dim() != want for h in hs):
                kind = "batched 3-D" if batched else "unbatched 2-D"
                what = "hx and cx" if lstm else "hx"
                got = f"({hs[0].dim()}-D, {hs[1].dim()}-D) tensors" if lstm \
                    else f"{hs[0].dim()}-D tensor"
                raise RuntimeError(f"For {kind} input, {what} should also be {want}-D but got "
                                   f"{got}")
            if not batched:
                hs = tuple(h.unsqueeze(1) for h in hs)
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        self._check_input(input)
        x = input.transpose(0, 1) if self.batch_first else input
        if x.shape[0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        h0, c0 = self._initial_states(hs, x.shape[1], x)
        out, hn, cn = self._layers(x, h0, c0, None)
        if self.batch_first:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(0 if self.batch_first else 1)
            hn = hn.squeeze(1)
            cn = cn.squeeze(1) if cn is not None else None
        return out, (hn if cn is None else (hn, cn))

    def _run_packed(self, input, hx):
        """A PackedSequence runs padded to (T, B, I), sorted longest first, with a mask: where
        a sequence has ended (or, in reverse, not yet begun) a step leaves its state as it was,
        so h_n holds each sequence's own last state."""
        data, batch_sizes, sorted_idx, unsorted_idx = input
        self._check_input(data)
        sizes = np.asarray(batch_sizes.tolist(), dtype=np.int64)
        T, B = len(sizes), int(sizes[0])
        mask = np.arange(B)[None, :] < sizes[:, None]
        rows = data._wrap(np.flatnonzero(mask.reshape(-1)))
        x = _creation.zeros(T * B, data.shape[-1], dtype=data.dtype, device=data.device) \
            .index_add(0, rows, data).reshape(T, B, data.shape[-1])
        hs = None
        if hx is not None:
            hs = tuple(hx) if self.mode == "LSTM" else (hx,)
            if sorted_idx is not None:
                hs = tuple(h.index_select(1, sorted_idx) for h in hs)
        h0, c0 = self._initial_states(hs, B, x)
        out, hn, cn = self._layers(x, h0, c0, x._wrap(x._xp.asarray(mask)))
        out = PackedSequence(out.reshape(T * B, out.shape[-1]).index_select(0, rows),
                             batch_sizes, sorted_idx, unsorted_idx)
        if unsorted_idx is not None:
            hn = hn.index_select(1, unsorted_idx)
            cn = cn.index_select(1, unsorted_idx) if cn is not None else None
        return out, (hn if cn is None else (hn, cn))

    def _layers(self, x, h0, c0, mask):
        """Every layer and direction over x (T, B, I): (output, h_n, c_n or None)."""
        directions = 2 if self.bidirectional else 1
        hn, cn = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(directions):
                k = layer * directions + d
                out, h, c = self._layer(x, h0[k], c0[k] if c0 is not None else None,
                                        self._all_weights[k], d == 1, mask)
                outs.append(out)
                hn.append(h)
                cn.append(c)
            x = outs[0] if directions == 1 else cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, stack(hn, 0), (stack(cn, 0) if c0 is not None else None)

    def _layer(self, x, h, c, names, reverse, mask):
        """One direction of one layer over the whole sequence x (T, B, I); ``mask`` (T, B),
        bool, marks the steps that run (packed sequences) or is None."""
        w = {n.split("_l")[0]: getattr(self, n) for n in names}
        T, B, n_in = x.shape
        w_hh, b_ih, b_hh, w_hr = w["weight_hh"], w.get("bias_ih"), w.get("bias_hh"), \
            w.get("weight_hr")
        if b_hh is not None and self.mode != "GRU":
            # b_hh adds to every step's gates as b_ih does: fold it into the input projection
            # (GRU's b_hn sits inside r * (...), so it stays in the step)
            b_ih, b_hh = b_ih + b_hh, None
        gi = F.linear(x.reshape(T * B, n_in), w["weight_ih"], b_ih)
        if c is not None:   # LSTM: the whole time loop is one op
            return _LSTMLayer.apply(gi.reshape(T, B, w_hh.shape[0]), h, c, w_hh, w_hr, reverse,
                                    None if mask is None else mask._data)
        # (T * B, gates) split into T views: its backward is one cat (unbind's would stack)
        steps = gi.split(B, 0) if B else gi.reshape(T, 0, w_hh.shape[0]).unbind(0)
        keep = None if mask is None else mask.unsqueeze(-1)
        outs = [None] * T
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            if self.mode == "GRU":
                h_new = _GRUStep.apply(steps[t], h, w_hh, b_hh)
            else:
                h_new = _RNNStep.apply(steps[t], h, w_hh, b_hh, self.mode == "RNN_RELU")
            h = h_new if keep is None else where(keep[t], h_new, h)
            outs[t] = h
        return cat(outs, 0).reshape(T, B, h.shape[-1]), h, c


class RNN(RNNBase):
    """Elman RNN: h_t = tanh or relu of (x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", *args,
                         **kwargs)

    def forward(self, input, hx=None):
        return self._run(input, hx, "RNN")


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o; c_t = f c_{t-1} + i g, h_t = o tanh(c_t)
    (times W_hr when proj_size > 0). Returns output, (h_n, c_n)."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx=None):
        return self._run(input, hx, "LSTM")


class GRU(RNNBase):
    """Gated recurrent unit: gates r, z, n; n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
    h_t = (1 - z) n + z h_{t-1}."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        return self._run(input, hx, "GRU")


# -- cells -----------------------------------------------------------------------------------

class RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias

        def new(*shape):
            return Parameter(_creation.empty(*shape, device=device, dtype=dtype))
        self.weight_ih = new(num_chunks * hidden_size, input_size)
        self.weight_hh = new(num_chunks * hidden_size, hidden_size)
        if bias:
            self.bias_ih = new(num_chunks * hidden_size)
            self.bias_hh = new(num_chunks * hidden_size)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input, hx, name, n_states):
        """Checks as PyTorch's; returns (2-d input, list of 2-d states, whether batched)."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        states = [] if hx is None else ([hx] if n_states == 1 else list(hx))
        for k, h in enumerate(states):
            if h.dim() not in (1, 2):
                what = "hidden" if n_states == 1 else f"hx[{k}]"
                raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {h.dim()}D "
                                 "instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
            states = [h.unsqueeze(0) for h in states]
        if not states:
            states = [_creation.zeros(input.shape[0], self.hidden_size, dtype=input.dtype,
                                      device=input.device) for _ in range(n_states)]
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} "
                               f"expected {self.input_size}")
        for k, h in enumerate(states):
            if h.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{k} "
                                   f"batch size {h.shape[0]}")
            if h.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {h.shape[1]}, "
                                   f"expected {self.hidden_size}")
        w = self.weight_ih.dtype
        for t in [input] + states:
            if t.dtype != w:
                raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                                   f"{t.dtype._short} and {w._short}")
        gi = F.linear(input, self.weight_ih, self.bias_ih)
        return gi, states, batched


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        gi, (h,), batched = self._prepare(input, hx, "RNNCell", 1)
        h = _RNNStep.apply(gi, h, self.weight_hh, self.bias_hh, self.nonlinearity == "relu")
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        gi, (h, c), batched = self._prepare(input, hx, "LSTMCell", 2)
        h, c = _LSTMStep.apply(gi, h, c, self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        gi, (h,), batched = self._prepare(input, hx, "GRUCell", 1)
        h = _GRUStep.apply(gi, h, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)
