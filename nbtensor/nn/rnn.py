"""The multi-layer recurrent layers (torch.nn.RNN, LSTM, GRU) of D2L chapters 9–10: each
layer and direction runs its cell's step (nn/rnn_cells.py) over the time steps, the input's
projection ``W_ih x + b_ih`` made for the whole sequence at once as torch does on the CPU.
Parameters, their names (``weight_ih_l0``, ``bias_hh_l1_reverse``, ``weight_hr_l0``),
shapes, initialisation, repr and shape errors are torch's; inputs may be batched (time
first, or batch first with `batch_first`), unbatched, or a PackedSequence."""
import numbers
import warnings

import nbtensor as torch
from nbtensor.nn import functional as F
from nbtensor.nn.module import Module
from nbtensor.nn.parameter import Parameter
from nbtensor.nn.rnn_cells import gru_step, lstm_step, relu_step, reset_uniform, tanh_step
from nbtensor.nn.utils.rnn import PackedSequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
# The settings the repr shows when they differ from these defaults, in torch's order.
_REPR_DEFAULTS = [("proj_size", 0), ("num_layers", 1), ("bias", True), ("batch_first", False), ("dropout", 0),
                  ("bidirectional", False)]
_STEPS = {"LSTM": lstm_step, "GRU": gru_step, "RNN_TANH": tanh_step, "RNN_RELU": relu_step}


def _check_arguments(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size):
    """torch's checks of the constructor's arguments (and its warning for a dropout that
    has no layer to follow)."""
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
        raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                         "being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                      f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                      stacklevel=4)
    for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                              ("input_size", input_size, int), ("hidden_size", hidden_size, int)):
        if not isinstance(value, kind):
            raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")
        if kind is int and value <= 0:
            raise ValueError(f"{name} must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


def _no_projection(kwargs):
    """RNN and GRU take no `proj_size` (nor any other extra keyword)."""
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    for name in kwargs:
        raise TypeError(f"RNNBase.__init__() got an unexpected keyword argument '{name}'")


def _lstm_states(hx):
    """(h_0, c_0) from an LSTM's `hx`: a pair, or (as torch reads it) anything indexable
    whose items 0 and 1 are the two states (too few items raise IndexError)."""
    if isinstance(hx, (tuple, list)) and len(hx) > 2:
        raise RuntimeError("lstm expects two hidden states")
    return hx[0], hx[1]


class RNNBase(Module):
    """What RNN, LSTM and GRU share: per layer and direction the parameters ``weight_ih_l{k}``
    (gates * hidden, input), ``weight_hh_l{k}`` (gates * hidden, hidden or proj_size),
    ``bias_ih_l{k}`` and ``bias_hh_l{k}`` with `bias`, ``weight_hr_l{k}`` with `proj_size`
    (``_reverse`` for the backward direction), all from U(-1/sqrt(hidden), 1/sqrt(hidden));
    dropout on the outputs of every layer but the last while training."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        _check_arguments(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size)
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        directions = 2 if bidirectional else 1
        gates, out_size = _GATES[mode] * hidden_size, proj_size or hidden_size
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gates, layer_input)), ("weight_hh", (gates, out_size))]
                if bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = [name + suffix for name, _ in shapes]
                for name, (_, shape) in zip(names, shapes):
                    setattr(self, name, Parameter(torch.empty(shape, device=device, dtype=dtype)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        """The parameters in torch's flat order (read afresh: assigning one is seen)."""
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters, one list per layer and direction."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self):
        """Nothing to do: torch packs the weights for cuDNN here; nbtensor has no cuDNN."""

    def reset_parameters(self):
        reset_uniform(self)

    def extra_repr(self):
        shown = [(name, getattr(self, name)) for name, default in _REPR_DEFAULTS if getattr(self, name) != default]
        return f"{self.input_size}, {self.hidden_size}" + "".join(f", {name}={value}" for name, value in shown)

    # ------------------------------------------------------------ checks
    def _state_sizes(self):
        """The feature size of each state: (h,) or, for the LSTM, (h, c)."""
        out_size = self.proj_size or self.hidden_size
        return (out_size, self.hidden_size) if self.mode == "LSTM" else (out_size,)

    def _check_forward(self, input, states, batch):
        """torch's check_forward_args: the input's dtype, dimensions and feature size, then
        each state's shape."""
        weight = self._flat_weights[0]
        if input.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype (torch.{input.dtype.name}) does not match weight dtype "
                             f"(torch.{weight.dtype.name}). Convert input: input.to(torch.{weight.dtype.name}), "
                             f"or convert model: model.to(torch.{input.dtype.name})")
        packed_dims = 2 if isinstance(batch, list) else 3
        if input.dim() != packed_dims:
            raise RuntimeError(f"input must have {packed_dims} dimensions, got {input.dim()}")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.shape[-1]}")
        mini_batch = batch[0] if isinstance(batch, list) else batch
        rows = self.num_layers * (2 if self.bidirectional else 1)
        for k, (state, size) in enumerate(zip(states, self._state_sizes())):
            expected = (rows, mini_batch, size)
            if tuple(state.shape) != expected:
                what = "hidden size" if len(states) == 1 else f"hidden[{k}] size"
                raise RuntimeError(f"Expected {what} {expected}, got {list(state.shape)}")

    def _check_state_dims(self, hx, batched):
        """torch's check that the states are 3-D for batched input, 2-D for unbatched."""
        want = 3 if batched else 2
        kind = "batched 3-D" if batched else "unbatched 2-D"
        if any(s.dim() != want for s in hx):
            if self.mode == "LSTM":
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {hx[0].dim()}-D tensor")

    # ------------------------------------------------------------ running
    def _layer_weights(self, k):
        """(w_ih, w_hh, b_ih, b_hh, w_hr) of layer-and-direction `k` (None where absent)."""
        names = self._all_weights[k]
        w = {name.split("_l")[0]: getattr(self, name) for name in names}
        return w["weight_ih"], w["weight_hh"], w.get("bias_ih"), w.get("bias_hh"), w.get("weight_hr")

    def _run_direction(self, x, states, k, batch_sizes, reverse):
        """One layer-direction over the sequence `x` (time first, or packed data when
        `batch_sizes` is a list): (its outputs joined, its final states)."""
        w_ih, w_hh, b_ih, b_hh, w_hr = self._layer_weights(k)
        step = _STEPS[self.mode]
        gi = F.linear(x, w_ih, b_ih)
        inputs = gi.split(batch_sizes, 0) if batch_sizes is not None else gi.unbind(0)
        outputs = [None] * len(inputs)
        for t in (reversed(range(len(inputs))) if reverse else range(len(inputs))):
            running = inputs[t].shape[0]
            if running == states[0].shape[0]:
                states = step(inputs[t], states, w_hh, b_hh, w_hr)
                outputs[t] = states[0]
            else:  # packed: only the first `running` sequences have a step t; the others keep theirs
                new = step(inputs[t], tuple(s[:running] for s in states), w_hh, b_hh, w_hr)
                states = tuple(torch.cat([n, s[running:]]) for n, s in zip(new, states))
                outputs[t] = new[0]
        joined = torch.cat(outputs) if batch_sizes is not None else torch.stack(outputs)
        return joined, states

    def _run(self, x, hx, batch_sizes):
        """Every layer over `x` (time first or packed data) from the states `hx` (a tuple of
        (layers * directions, N, size) tensors): (output, final states)."""
        directions = 2 if self.bidirectional else 1
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for d in range(directions):
                k = layer * directions + d
                out, states = self._run_direction(x, tuple(s[k] for s in hx), k, batch_sizes, d == 1)
                outs.append(out)
                finals.append(states)
            x = outs[0] if directions == 1 else torch.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, tuple(torch.stack(column) for column in zip(*finals))

    def forward(self, input, hx=None):
        """(output, h_n) (the LSTM: (output, (h_n, c_n))). `input` is (L, N, input_size),
        (N, L, input_size) with `batch_first`, (L, input_size) unbatched, or a
        PackedSequence; `hx` defaults to zeros."""
        lstm = self.mode == "LSTM"
        states = None if hx is None else (_lstm_states(hx) if lstm else (hx,))
        if isinstance(input, PackedSequence):
            data, sizes, sorted_indices, unsorted_indices = input
            batch_sizes = [int(b) for b in sizes.tolist()]
            batch = batch_sizes
            if states is not None and sorted_indices is not None:
                states = tuple(s.index_select(1, sorted_indices) for s in states)
            x = data
        else:
            if input.dim() not in (2, 3):
                if lstm:
                    raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D instead")
                tensor = " tensor" if self.mode != "GRU" else ""
                raise ValueError(f"{self._get_name()}: Expected input to be 2D or 3D, got {input.dim()}D{tensor} "
                                 "instead")
            batched, batch_sizes, unsorted_indices = input.dim() == 3, None, None
            if not batched:
                input = input.unsqueeze(0 if self.batch_first else 1)
            if states is not None:
                self._check_state_dims(states, batched)
                if not batched:
                    states = tuple(s.unsqueeze(1) for s in states)
            batch = input.shape[0 if self.batch_first else 1]
            x = input.transpose(0, 1) if self.batch_first else input
        if states is None:
            rows = self.num_layers * (2 if self.bidirectional else 1)
            states = tuple(torch.zeros(rows, batch if isinstance(batch, int) else batch[0], size,
                                       dtype=x.dtype, device=x.device) for size in self._state_sizes())
        self._check_forward(x if batch_sizes is not None else input, states, batch)
        output, finals = self._run(x, states, batch_sizes)
        if batch_sizes is not None:
            output = PackedSequence(output, input.batch_sizes, input.sorted_indices, input.unsorted_indices)
            if unsorted_indices is not None:
                finals = tuple(s.index_select(1, unsorted_indices) for s in finals)
        else:
            if self.batch_first:
                output = output.transpose(0, 1)
            if not batched:
                output = output.squeeze(0 if self.batch_first else 1)
                finals = tuple(s.squeeze(1) for s in finals)
        return output, (finals if lstm else finals[0])


class RNN(RNNBase):
    """An Elman RNN of `num_layers` layers: h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh)
    (relu with ``nonlinearity='relu'``)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, **kwargs):
        _no_projection(kwargs)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_" + nonlinearity.upper(), input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """A long short-term memory RNN of `num_layers` layers (gates i, f, g, o); with
    `proj_size` each h_t is projected by ``weight_hr`` to that size."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """A gated recurrent unit RNN of `num_layers` layers (gates r, z, n;
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)))."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None, **kwargs):
        _no_projection(kwargs)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
