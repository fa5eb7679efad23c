"""Recurrent layers: ``RNN``, ``GRU``, ``LSTM`` and their one-step cells.

Parameter names, shapes, gate order and initialization are PyTorch's, so a
PyTorch state_dict (as NumPy arrays) loads and gives the same outputs.

A layer runs, for each of its layers and directions:

1. the input projection ``x W_ih^T`` of the whole sequence, one matrix
   product of shape (L, N, I) @ (I, G*H) (``F.linear``; the bias ``b_ih`` is
   added per step, without a second (L, N, G*H) array);
2. the recurrence over time, one op for the whole sequence (``F.recurrence``,
   from ``mytorch.ops.rnn``): a loop that does, per step, the one product that
   must wait for the previous step, ``h W_hh^T``, and the gate equations, and
   whose backward is backpropagation through time in one call, with one product
   for W_hh's gradient over all steps.

The initial state (num_layers * num_directions, N, H) gives each layer and
direction its (N, H) slice; the final state is the last step's slice of each
direction's states, joined back along the first axis.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from mytorch import creation
from mytorch._tensor import Tensor
from mytorch.kernels.errors import ShapeError
from mytorch.nn import functional as F
from mytorch.nn import init
from mytorch.nn.module import Module
from mytorch.nn.parameter import Parameter, parameter_dtype
from mytorch.ops.rnn import STEPS
from mytorch.ops.shape import cat

__all__ = ["RNNBase", "RNN", "GRU", "LSTM", "RNNCellBase", "RNNCell", "GRUCell", "LSTMCell"]


def _check_nonlinearity(layer: str, nonlinearity: str) -> str:
    """PyTorch's mode name for an Elman RNN's nonlinearity."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(
            f"{layer}: Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
        )
    return "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"


def _uniform_init(module: Module, hidden_size: int) -> None:
    """Every parameter U(-1/sqrt(H), 1/sqrt(H)), PyTorch's default for recurrent layers."""
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    for param in module.parameters():
        init.uniform_(param, -bound, bound)


class RNNBase(Module):
    """What ``RNN``, ``GRU`` and ``LSTM`` share: parameters, checks and the loops.

    ``mode`` is one of 'RNN_TANH', 'RNN_RELU', 'GRU', 'LSTM' (PyTorch's names).
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        dtype = parameter_dtype(name, device, dtype)
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= float(dropout) <= 1):  # type: ignore[arg-type]
            raise ValueError(
                f"{name}: dropout should be a number in range [0, 1] representing the "
                f"probability of an element being zeroed, got {dropout!r}"
            )
        for arg, value in (("input_size", input_size), ("hidden_size", hidden_size),
                           ("num_layers", num_layers)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                raise TypeError(
                    f"{name}: {arg} should be of type int, got: {type(value).__name__}"
                )
            if value <= 0:
                raise ValueError(f"{name}: {arg} must be greater than zero, got {value}")
        if float(dropout) > 0 and num_layers == 1:  # type: ignore[arg-type]
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                "dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}", stacklevel=2,
            )
        self.mode = mode
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)  # type: ignore[arg-type]
        self.bidirectional = bidirectional
        self.proj_size = 0

        num_directions = 2 if bidirectional else 1
        gate_size = STEPS[mode].kernel.num_gates * hidden_size
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_input_size = input_size if layer == 0 else hidden_size * num_directions
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes: dict[str, tuple[int, ...]] = {
                    "weight_ih": (gate_size, layer_input_size),
                    "weight_hh": (gate_size, hidden_size),
                }
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                names = []
                for kind, shape in shapes.items():
                    setattr(self, kind + suffix,
                            Parameter(creation.empty(*shape, dtype=dtype)))
                    names.append(kind + suffix)
                self._all_weights.append(names)
        self._flat_weights_names = [param for names in self._all_weights for param in names]
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _uniform_init(self, self.hidden_size)

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """Per layer and direction: [weight_ih, weight_hh(, bias_ih, bias_hh)]."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """PyTorch compacts weights for cuDNN here; on NumPy there is nothing to do."""

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
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

    # -- checks -----------------------------------------------------------------------------
    def _check_input(self, input: Tensor) -> None:
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{name}: expected the input to be a Tensor, got {type(input).__name__}"
            )
        if input.ndim not in (2, 3):
            raise ValueError(
                f"{name}: Expected input to be 2D or 3D, got {input.ndim}D tensor instead "
                f"(input of shape {input.shape})"
            )
        if input.shape[-1] != self.input_size:
            raise ShapeError(
                f"{name}: input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.shape[-1]} (input of shape {input.shape})"
            )
        time_axis = 1 if self.batch_first and input.ndim == 3 else 0
        if input.shape[time_axis] == 0:
            raise ShapeError(
                f"{name}: Expected sequence length to be larger than 0 in RNN "
                f"(input of shape {input.shape})"
            )

    def _check_state(self, hx: Any, input: Tensor) -> tuple[Tensor, ...]:
        """The initial state as a tuple (``(h_0,)`` or ``(h_0, c_0)``), checked against
        the input: same number of dimensions, shape (num_layers * num_directions, N, H)."""
        name = type(self).__name__
        lstm = self.mode == "LSTM"
        if lstm and (not isinstance(hx, (tuple, list)) or len(hx) != 2
                     or not all(isinstance(s, Tensor) for s in hx)):
            raise TypeError(f"{name}: hx must be a tuple (h_0, c_0) of two Tensors")
        if not lstm and not isinstance(hx, Tensor):
            raise TypeError(f"{name}: hx must be a Tensor, got {type(hx).__name__}")
        state = tuple(hx) if lstm else (hx,)
        batched = input.ndim == 3
        if any(s.ndim != input.ndim for s in state):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            dims = ", ".join(f"{s.ndim}-D" for s in state)
            what = "hx and cx" if lstm else "hx"
            raise ShapeError(
                f"{name}: For {kind} input, {what} should also be {input.ndim}-D but got "
                f"({dims}) tensor(s) (input of shape {input.shape})"
            )
        batch = () if not batched else (input.shape[0 if self.batch_first else 1],)
        expected = (self.num_layers * (2 if self.bidirectional else 1), *batch, self.hidden_size)
        for k, s in enumerate(state):
            if s.shape != expected:
                which = f"hidden[{k}]" if lstm else "hidden"
                raise ShapeError(
                    f"{name}: Expected {which} size {expected}, got {s.shape} "
                    f"(input of shape {input.shape})"
                )
        return state

    # -- forward ------------------------------------------------------------------------------
    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Any]:
        self._check_input(input)
        state = None if hx is None else self._check_state(hx, input)
        batched = input.ndim == 3
        x = input if batched else input.unsqueeze(1)  # unbatched: (L, I) -> (L, 1, I)
        if batched and self.batch_first:
            x = x.transpose(0, 1)  # (N, L, I) -> (L, N, I): time first
        if state is not None and not batched:
            state = tuple(s.unsqueeze(1) for s in state)  # (D*layers, H) -> (D*layers, 1, H)
        output, final = self._run(x, state)
        if batched and self.batch_first:
            output = output.transpose(0, 1)  # (L, N, D*H) -> (N, L, D*H)
        if not batched:
            output = output.squeeze(1)
            final = tuple(s.squeeze(1) for s in final)
        return output, (final if self.mode == "LSTM" else final[0])

    def _run(self, x: Tensor, state: tuple[Tensor, ...] | None
             ) -> tuple[Tensor, tuple[Tensor, ...]]:
        """All layers and directions on time-major ``x`` (L, N, I).

        Returns the last layer's output (L, N, D*H) and the final state, each of its
        tensors (num_layers * D, N, H).
        """
        num_directions = 2 if self.bidirectional else 1
        count = self.num_layers * num_directions
        if state is None:
            zeros = Tensor._make(np.zeros((x.shape[1], self.hidden_size), dtype=x.dtype))
            num_states = 2 if self.mode == "LSTM" else 1
            initial = [(zeros,) * num_states] * count
        else:  # (D*layers, N, H) -> one (N, H) slice per layer and direction
            initial = [tuple(s[k] for s in state) for k in range(count)]
        final = []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0:
                x = F.dropout(x, self.dropout, self.training)
            outputs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                w_ih, w_hh, *biases = self.all_weights[k]
                b_ih, b_hh = biases if biases else (None, None)
                gi = F.linear(x, w_ih)  # (L, N, I) -> (L, N, G*H), all steps at once
                states = F.recurrence(self.mode, gi, initial[k], w_hh, b_ih, b_hh,
                                      reverse=direction == 1)  # each (L, N, H)
                outputs.append(states[0])
                last = slice(0, 1) if direction == 1 else slice(-1, None)  # the step run last
                final.append(tuple(s[last] for s in states))  # each (1, N, H)
            x = outputs[0] if num_directions == 1 else cat(outputs, 2)  # (L, N, D*H)
        # per state: D*layers x (1, N, H) -> (D*layers, N, H)
        return x, tuple(cat(list(states), 0) for states in zip(*final))


class RNN(RNNBase):
    r"""A multi-layer Elman RNN with tanh or ReLU nonlinearity.

    For each element of the input sequence each layer computes::

        h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh)

    where ``h_t`` is the hidden state at time t, ``x_t`` the input at time t
    (for layers after the first, the previous layer's output at time t, with
    dropout in training when ``dropout`` > 0) and ``h_(t-1)`` the hidden state
    at time t-1 or the initial state at time 0. With ``nonlinearity='relu'``,
    ReLU replaces tanh. With ``bidirectional=True`` a second set of weights
    reads the sequence backwards, and the two outputs are concatenated.

    Args:
        input_size: number of features of the input ``x``.
        hidden_size: number of features of the hidden state ``h``.
        num_layers: number of stacked recurrent layers (default 1).
        nonlinearity: ``'tanh'`` or ``'relu'`` (default ``'tanh'``).
        bias: whether to use the biases ``b_ih`` and ``b_hh`` (default True).
        batch_first: if True, input and output are (N, L, feature) instead of
            (L, N, feature); the hidden state is not affected (default False).
        dropout: probability of the dropout applied in training to the outputs
            of every layer but the last (default 0).
        bidirectional: whether to add a layer reading backwards (default False).
        dtype: dtype of the parameters (default float32).

    Inputs: input, h_0
        - **input**: ``(L, H_in)`` unbatched, ``(L, N, H_in)``, or ``(N, L, H_in)``
          when ``batch_first=True``.
        - **h_0**: ``(D * num_layers, H_out)`` or ``(D * num_layers, N, H_out)``;
          zeros if not given.

    Outputs: output, h_n
        - **output**: ``(L, D * H_out)``, ``(L, N, D * H_out)`` or, with
          ``batch_first=True``, ``(N, L, D * H_out)``: the last layer's ``h_t``
          for every t (both directions concatenated).
        - **h_n**: ``(D * num_layers, H_out)`` or ``(D * num_layers, N, H_out)``:
          the final hidden state of every layer and direction.

    Shape:
        N = batch size, L = sequence length, D = 2 if bidirectional else 1,
        H_in = input_size, H_out = hidden_size.

    Attributes:
        weight_ih_l[k]: ``(hidden_size, input_size)`` for k = 0, else
            ``(hidden_size, D * hidden_size)``.
        weight_hh_l[k]: ``(hidden_size, hidden_size)``.
        bias_ih_l[k], bias_hh_l[k]: ``(hidden_size,)``.
        The backward direction's parameters end in ``_reverse``. All start
        uniform on (-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

    >>> import mytorch
    >>> rnn = RNN(10, 20, 2)
    >>> output, h_n = rnn(mytorch.randn(5, 3, 10), mytorch.randn(2, 3, 20))
    >>> output.shape, h_n.shape
    ((5, 3, 20), (2, 3, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        mode = _check_nonlinearity("RNN", nonlinearity)
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)
        self.nonlinearity = nonlinearity


class GRU(RNNBase):
    r"""A multi-layer gated recurrent unit (GRU) RNN.

    For each element of the input sequence each layer computes::

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_(t-1) + b_hr)
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_(t-1) + b_hz)
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_(t-1) + b_hn))
        h_t = (1 - z_t) * n_t + z_t * h_(t-1)

    where ``r_t``, ``z_t``, ``n_t`` are the reset, update and new gates and
    ``*`` is the elementwise product. ``x_t`` is the input (for layers after the
    first, the previous layer's output, with dropout in training when
    ``dropout`` > 0); ``h_(t-1)`` the hidden state at t-1 or the initial state.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout,
        bidirectional, dtype: as in ``RNN``.

    Inputs: input, h_0
        As in ``RNN``.

    Outputs: output, h_n
        As in ``RNN``.

    Shape:
        N = batch size, L = sequence length, D = 2 if bidirectional else 1,
        H_in = input_size, H_out = hidden_size; input ``(L, N, H_in)`` (or
        ``(N, L, H_in)`` with ``batch_first``, or ``(L, H_in)``), h_0 and h_n
        ``(D * num_layers, N, H_out)``, output ``(L, N, D * H_out)``.

    Attributes:
        weight_ih_l[k]: ``(W_ir|W_iz|W_in)``, of shape ``(3*hidden_size, input_size)``
            for k = 0, else ``(3*hidden_size, D * hidden_size)``.
        weight_hh_l[k]: ``(W_hr|W_hz|W_hn)``, of shape ``(3*hidden_size, hidden_size)``.
        bias_ih_l[k]: ``(b_ir|b_iz|b_in)``, bias_hh_l[k]: ``(b_hr|b_hz|b_hn)``, each
            ``(3*hidden_size,)``. Backward-direction parameters end in ``_reverse``.
            All start uniform on (-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

    >>> import mytorch
    >>> gru = GRU(10, 20, 2, batch_first=True)
    >>> output, h_n = gru(mytorch.randn(3, 5, 10))
    >>> output.shape, h_n.shape
    ((3, 5, 20), (2, 3, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)


class LSTM(RNNBase):
    r"""A multi-layer long short-term memory (LSTM) RNN.

    For each element of the input sequence each layer computes::

        i_t = sigmoid(W_ii x_t + b_ii + W_hi h_(t-1) + b_hi)
        f_t = sigmoid(W_if x_t + b_if + W_hf h_(t-1) + b_hf)
        g_t = tanh(W_ig x_t + b_ig + W_hg h_(t-1) + b_hg)
        o_t = sigmoid(W_io x_t + b_io + W_ho h_(t-1) + b_ho)
        c_t = f_t * c_(t-1) + i_t * g_t
        h_t = o_t * tanh(c_t)

    where ``c_t`` is the cell state and ``i_t``, ``f_t``, ``g_t``, ``o_t`` the
    input, forget, cell and output gates. ``x_t`` is the input (for layers after
    the first, the previous layer's output, with dropout in training when
    ``dropout`` > 0).

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout,
        bidirectional, dtype: as in ``RNN``.
        proj_size: must be 0 (LSTM with projections is not implemented).

    Inputs: input, (h_0, c_0)
        - **input**: as in ``RNN``.
        - **h_0**, **c_0**: each ``(D * num_layers, H_out)`` or
          ``(D * num_layers, N, H_out)``; zeros if the pair is not given.

    Outputs: output, (h_n, c_n)
        - **output**: as in ``RNN``.
        - **h_n**, **c_n**: the final hidden and cell states, shaped as h_0.

    Shape:
        N = batch size, L = sequence length, D = 2 if bidirectional else 1,
        H_in = input_size, H_out = hidden_size.

    Attributes:
        weight_ih_l[k]: ``(W_ii|W_if|W_ig|W_io)``, of shape ``(4*hidden_size, input_size)``
            for k = 0, else ``(4*hidden_size, D * hidden_size)``.
        weight_hh_l[k]: ``(W_hi|W_hf|W_hg|W_ho)``, of shape ``(4*hidden_size, hidden_size)``.
        bias_ih_l[k], bias_hh_l[k]: ``(4*hidden_size,)``. Backward-direction
            parameters end in ``_reverse``. All start uniform on
            (-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

    >>> import mytorch
    >>> lstm = LSTM(10, 20, 2)
    >>> output, (h_n, c_n) = lstm(mytorch.randn(5, 3, 10))
    >>> output.shape, h_n.shape, c_n.shape
    ((5, 3, 20), (2, 3, 20), (2, 3, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        if proj_size != 0:
            raise ValueError(f"LSTM: proj_size={proj_size} is not supported (only 0)")
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)


# -- cells ----------------------------------------------------------------------------------------
class RNNCellBase(Module):
    """What the cells share: ``weight_ih`` (G*H, I), ``weight_hh`` (G*H, H), the biases
    (G*H,), PyTorch's initialization, the checks and the step."""

    mode: str

    def __init__(self, input_size: int, hidden_size: int, bias: bool, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        dtype = parameter_dtype(type(self).__name__, device, dtype)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gate_size = STEPS[self.mode].kernel.num_gates * hidden_size
        self.weight_ih = Parameter(creation.empty(gate_size, input_size, dtype=dtype))
        self.weight_hh = Parameter(creation.empty(gate_size, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(gate_size, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(gate_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _uniform_init(self, self.hidden_size)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def _step(self, input: Tensor, hx: Any) -> tuple[Tensor, ...]:
        """The new state from the input and the state (zeros when ``hx`` is None)."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{name}: expected the input to be a Tensor, got {type(input).__name__}"
            )
        if input.ndim not in (1, 2):
            raise ValueError(
                f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead "
                f"(input of shape {input.shape})"
            )
        lstm = self.mode == "LSTM"
        if hx is None:
            zeros = Tensor._make(np.zeros(input.shape[:-1] + (self.hidden_size,), input.dtype))
            state: tuple[Tensor, ...] = (zeros, zeros) if lstm else (zeros,)
        elif lstm:
            if (not isinstance(hx, (tuple, list)) or len(hx) != 2
                    or not all(isinstance(s, Tensor) for s in hx)):
                raise TypeError(f"{name}: hx must be a tuple (h_0, c_0) of two Tensors")
            state = tuple(hx)
        else:
            if not isinstance(hx, Tensor):
                raise TypeError(f"{name}: hx must be a Tensor, got {type(hx).__name__}")
            state = (hx,)
        for s in state:
            if s.ndim not in (1, 2):
                raise ValueError(
                    f"{name}: Expected hidden to be 1D or 2D, got {s.ndim}D instead "
                    f"(hidden of shape {s.shape})"
                )
        return F.run_cell(name, self.mode, input, state, self.weight_ih, self.weight_hh,
                          self.bias_ih, self.bias_hh)


class RNNCell(RNNCellBase):
    r"""An Elman RNN cell with tanh or ReLU nonlinearity::

        h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)

    With ``nonlinearity='relu'``, ReLU replaces tanh.

    Args:
        input_size: number of features of the input ``x``.
        hidden_size: number of features of the hidden state ``h``.
        bias: whether to use the biases ``b_ih`` and ``b_hh`` (default True).
        nonlinearity: ``'tanh'`` or ``'relu'`` (default ``'tanh'``).
        dtype: dtype of the parameters (default float32).

    Inputs: input, hidden
        - **input**: ``(N, H_in)`` or ``(H_in,)``.
        - **hidden**: ``(N, H_out)`` or ``(H_out,)``; zeros if not given.

    Outputs: h'
        - **h'**: ``(N, H_out)`` or ``(H_out,)``: the next hidden state.

    Shape:
        N = batch size, H_in = input_size, H_out = hidden_size.

    Attributes:
        weight_ih: ``(hidden_size, input_size)``; weight_hh: ``(hidden_size, hidden_size)``;
        bias_ih, bias_hh: ``(hidden_size,)``. All start uniform on
        (-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

    >>> import mytorch
    >>> cell = RNNCell(10, 20)
    >>> h = mytorch.zeros(3, 20)
    >>> for x_t in mytorch.randn(6, 3, 10):
    ...     h = cell(x_t, h)
    >>> h.shape
    (3, 20)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        self.mode = _check_nonlinearity("RNNCell", nonlinearity)
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step(input, hx)[0]


class GRUCell(RNNCellBase):
    r"""A gated recurrent unit (GRU) cell::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    Args:
        input_size, hidden_size, bias, dtype: as in ``RNNCell``.

    Inputs: input, hidden
        As in ``RNNCell``.

    Outputs: h'
        As in ``RNNCell``.

    Shape:
        input ``(N, H_in)`` or ``(H_in,)``; hidden and h' ``(N, H_out)`` or ``(H_out,)``.

    Attributes:
        weight_ih: ``(W_ir|W_iz|W_in)``, ``(3*hidden_size, input_size)``;
        weight_hh: ``(W_hr|W_hz|W_hn)``, ``(3*hidden_size, hidden_size)``;
        bias_ih, bias_hh: ``(3*hidden_size,)``. All start uniform on
        (-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

    >>> import mytorch
    >>> cell = GRUCell(10, 20)
    >>> cell(mytorch.randn(3, 10)).shape
    (3, 20)
    """

    mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step(input, hx)[0]


class LSTMCell(RNNCellBase):
    r"""A long short-term memory (LSTM) cell::

        i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)
        f = sigmoid(W_if x + b_if + W_hf h + b_hf)
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)
        o = sigmoid(W_io x + b_io + W_ho h + b_ho)
        c' = f * c + i * g
        h' = o * tanh(c')

    Args:
        input_size, hidden_size, bias, dtype: as in ``RNNCell``.

    Inputs: input, (h_0, c_0)
        - **input**: ``(N, H_in)`` or ``(H_in,)``.
        - **h_0**, **c_0**: each ``(N, H_out)`` or ``(H_out,)``; zeros if the pair
          is not given.

    Outputs: (h_1, c_1)
        - the next hidden and cell states, shaped as h_0.

    Attributes:
        weight_ih: ``(W_ii|W_if|W_ig|W_io)``, ``(4*hidden_size, input_size)``;
        weight_hh: ``(W_hi|W_hf|W_hg|W_ho)``, ``(4*hidden_size, hidden_size)``;
        bias_ih, bias_hh: ``(4*hidden_size,)``. All start uniform on
        (-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

    >>> import mytorch
    >>> cell = LSTMCell(10, 20)
    >>> h, c = cell(mytorch.randn(3, 10))
    >>> h.shape, c.shape
    ((3, 20), (3, 20))
    """

    mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
                ) -> tuple[Tensor, Tensor]:
        h_new, c_new = self._step(input, hx)
        return h_new, c_new
