"""The recurrent cells (torch.nn.RNNCell, LSTMCell, GRUCell) and the one-step functions the
multi-layer layers (nn/rnn.py) share with them. Each step is composed of recorded ops
(``F.linear``, sigmoid, tanh, chunk, ...) in torch's order, so autograd records it and it
runs on every device. A step takes the input's projection ``W_ih x + b_ih`` already made
(the layers project a whole sequence at once, as torch does on the CPU) and a tuple of
states, and returns the new tuple of states."""
import math

import nbtensor as torch
from nbtensor.nn import functional as F
from nbtensor.nn import init
from nbtensor.nn.module import Module
from nbtensor.nn.parameter import Parameter

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def tanh_step(gi, state, w_hh, b_hh, w_hr=None):
    """Elman step: (tanh(W_hh h + b_hh + gi),)."""
    return (torch.tanh(F.linear(state[0], w_hh, b_hh) + gi),)


def relu_step(gi, state, w_hh, b_hh, w_hr=None):
    """Elman step with ReLU: (relu(W_hh h + b_hh + gi),)."""
    return (torch.relu(F.linear(state[0], w_hh, b_hh) + gi),)


def lstm_step(gi, state, w_hh, b_hh, w_hr=None):
    """LSTM step, gates in torch's order i, f, g, o: c' = f*c + i*g, h' = o*tanh(c'),
    then h' projected by `w_hr` when given (``proj_size``); returns (h', c')."""
    h, c = state
    i, f, g, o = (F.linear(h, w_hh, b_hh) + gi).chunk(4, 1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    if w_hr is not None:
        h = torch.matmul(h, w_hr.t())
    return h, c


def gru_step(gi, state, w_hh, b_hh, w_hr=None):
    """GRU step, gates in torch's order r, z, n: r = σ(gi_r + gh_r), z = σ(gi_z + gh_z),
    n = tanh(gi_n + r*(W_hn h + b_hn)), h' = (h - n)*z + n (= (1-z)*n + z*h)."""
    h = state[0]
    i_r, i_z, i_n = gi.chunk(3, 1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, 1)
    r = torch.sigmoid(h_r + i_r)
    z = torch.sigmoid(h_z + i_z)
    n = torch.tanh(i_n + r * h_n)
    return ((h - n) * z + n,)


def step_count(step):
    """How many states `step` carries: 2 for the LSTM's (h, c), else 1."""
    return 2 if step is lstm_step else 1


def reset_uniform(module):
    """torch's initialisation of the recurrent modules: every parameter, in order, from
    U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)). nbtensor makes one draw for them all and
    copies it out (a GPU fill launches a full grid whatever its size: 16 draws for a
    2-layer bidirectional LSTM cost 16 launches); the values are not torch's either way,
    as nbtensor's generator is not torch's."""
    bound = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    params = list(module.parameters())
    if len({(p.dtype, p.device) for p in params}) != 1:  # (mixed: one draw each)
        for p in params:
            init.uniform_(p, -bound, bound)
        return
    with torch.no_grad():
        flat = torch.empty(sum(p.numel() for p in params), dtype=params[0].dtype, device=params[0].device)
        init.uniform_(flat, -bound, bound)
        start = 0
        for p in params:
            p.copy_(flat[start:start + p.numel()].view(p.shape))
            start += p.numel()


class RNNCellBase(Module):
    """What the cells share: `weight_ih` (chunks * hidden, input), `weight_hh`
    (chunks * hidden, hidden) and, with `bias`, `bias_ih` and `bias_hh`; torch's checks of
    the input and the states, and unbatched (1-D) inputs."""

    _name = "RNNCell"

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(torch.empty((gates, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(torch.empty((gates, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(torch.empty(gates, device=device, dtype=dtype))
            self.bias_hh = Parameter(torch.empty(gates, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self):
        reset_uniform(self)

    def _check_dim(self, t, what):
        if t.dim() not in (1, 2):
            raise ValueError(f"{self._name}: Expected {what} to be 1D or 2D, got {t.dim()}D instead")

    def _one_state(self, step, input, hx):
        """`step` run by a cell with one state, h (`step` None: an unknown nonlinearity)."""
        self._check_dim(input, "input")
        if hx is not None:
            self._check_dim(hx, "hidden")
        if step is None:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._run(step, input, None if hx is None else (hx,))[0]

    def _run(self, step, input, states):
        """`step` applied to `input` and `states` (a tuple, or None for zeros), with torch's
        checks; unbatched (1-D) input gives unbatched states."""
        self._check_dim(input, "input")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if states is None:
            zeros = torch.zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)
            states = (zeros,) * step_count(step)
        elif not batched:
            states = tuple(s.unsqueeze(0) for s in states)
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected {self.input_size}")
        for k, s in enumerate(states):
            if input.shape[0] != s.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{k} batch size "
                                   f"{s.shape[0]}")
            if s.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {s.shape[1]}, "
                                   f"expected {self.hidden_size}")
        out = step(F.linear(input, self.weight_ih, self.bias_ih), states, self.weight_hh, self.bias_hh)
        return out if batched else tuple(s.squeeze(0) for s in out)


class RNNCell(RNNCellBase):
    """An Elman cell: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu, with
    ``nonlinearity='relu'``). Input (N, input_size) or (input_size,), state likewise."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        return self._one_state({"tanh": tanh_step, "relu": relu_step}.get(self.nonlinearity), input, hx)


class LSTMCell(RNNCellBase):
    """A long short-term memory cell: ``cell(x, (h, c))`` gives (h', c') (gates i, f, g, o
    stacked in that order in the weights' rows)."""

    _name = "LSTMCell"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        self._check_dim(input, "input")
        if hx is not None:
            for k, value in enumerate(hx):
                self._check_dim(value, f"hx[{k}]")
            if len(hx) != 2:
                raise RuntimeError("lstm_cell expects two hidden states")
        return self._run(lstm_step, input, None if hx is None else tuple(hx))


class GRUCell(RNNCellBase):
    """A gated recurrent unit cell: h' = (1 - z) * n + z * h with
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) (gates r, z, n in the weights' rows)."""

    _name = "GRUCell"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._one_state(gru_step, input, hx)
