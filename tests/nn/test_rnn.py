"""Recurrent layers and cells against PyTorch with copied weights.

Each case compares forward outputs and final states, then the gradients of the
input, of the initial state and of every parameter under one random upstream
gradient. Then: float64 gradcheck and gradgradcheck of every cell (which runs
the fused steps' backward as a Tensor graph), double backward of whole layers
against PyTorch, inter-layer dropout, initialization, state_dict names and
shapes, reprs, and every error case.
"""

import itertools
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import mytorch
from harness import TOL
from mytorch.autograd import gradcheck, gradgradcheck
from mytorch.nn.modules import rnn as mt_rnn
from mytorch.ops import rnn as mt_ops
from mytorch.ops.dropout import dropout

TORCH_DTYPE = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}
NUM_STATES = {"RNN": 1, "GRU": 1, "LSTM": 2, "RNNCell": 1, "GRUCell": 1, "LSTMCell": 2}


def make_pair(kind, dtype, *args, **kwargs):
    """The same layer in mytorch and in torch, torch's weights copied into mytorch's."""
    th = getattr(torch.nn, kind)(*args, **kwargs).to(TORCH_DTYPE[np.dtype(dtype)])
    mt = getattr(mt_rnn, kind)(*args, **kwargs, dtype=dtype)
    mt.load_state_dict({k: v.detach().numpy() for k, v in th.state_dict().items()})
    return mt, th


def flat(outputs):
    if isinstance(outputs, (tuple, list)):
        return [o for item in outputs for o in flat(item)]
    return [outputs]


def call(layer, kind, x, state):
    """``layer(x)``, ``layer(x, h)`` or ``layer(x, (h, c))``: outputs flattened."""
    if not state:
        return flat(layer(x))
    return flat(layer(x, tuple(state) if NUM_STATES[kind] == 2 else state[0]))


def check_against_torch(kind, mt, th, arrays, seed=0):
    """Outputs, and the gradients of every input array and every parameter, must match."""
    tol = TOL[arrays[0].dtype]
    mt_in = [mytorch.tensor(a, requires_grad=True) for a in arrays]
    th_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    mt_out = call(mt, kind, mt_in[0], mt_in[1:])
    th_out = call(th, kind, th_in[0], th_in[1:])
    assert len(mt_out) == len(th_out)
    for k, (m, t) in enumerate(zip(mt_out, th_out)):
        assert m.shape == tuple(t.shape), f"output {k}: shape {m.shape} vs {tuple(t.shape)}"
        assert m.dtype == arrays[0].dtype, f"output {k}: dtype {m.dtype}"
        np.testing.assert_allclose(m.numpy(), t.detach().numpy(), **tol, err_msg=f"output {k}")

    rng = np.random.default_rng(seed)
    upstream = [rng.standard_normal(t.shape).astype(arrays[0].dtype) for t in th_out]
    sum((m * mytorch.tensor(u)).sum() for m, u in zip(mt_out, upstream)).backward()
    sum((t * torch.tensor(u)).sum() for t, u in zip(th_out, upstream)).backward()
    for k, (m, t) in enumerate(zip(mt_in, th_in)):
        assert m.grad is not None and m.grad.dtype == arrays[0].dtype, f"input {k} grad"
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), **tol,
                                   err_msg=f"grad of input {k}")
    th_params = dict(th.named_parameters())
    mt_params = dict(mt.named_parameters())
    assert list(mt_params) == list(th_params)
    for name, p in mt_params.items():
        assert p.grad is not None and p.grad.dtype == arrays[0].dtype, f"{name} grad"
        np.testing.assert_allclose(p.grad.numpy(), th_params[name].grad.numpy(), **tol,
                                   err_msg=f"grad of {name}")


# -- layers ------------------------------------------------------------------------------------
LAYER_KINDS = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("GRU", {}), ("LSTM", {})]
# (batched, batch_first): unbatched input is (L, H_in) whatever batch_first says
LAYOUTS = [(True, False), (True, True), (False, False), (False, True)]
L, N, I, H = 5, 3, 4, 6


def layer_arrays(kind, dtype, num_layers, bidirectional, batched, batch_first, with_h0, seed=0):
    rng = np.random.default_rng(seed)
    x_shape = ((N, L, I) if batch_first else (L, N, I)) if batched else (L, I)
    count = num_layers * (2 if bidirectional else 1)
    h_shape = (count, N, H) if batched else (count, H)
    arrays = [rng.uniform(-2, 2, x_shape)]
    if with_h0:
        arrays += [rng.uniform(-1, 1, h_shape) for _ in range(NUM_STATES[kind])]
    return [a.astype(dtype) for a in arrays]


STACKS = [(1, False), (1, True), (2, False), (2, True)]  # (num_layers, bidirectional)
OPTIONS = [(True, False), (False, True), (True, True), (False, False)]  # (bias, with_h0)


def layer_cases():
    """Every kind x stack x layout x dtype; (bias, h0) set by a Latin square over stack and
    layout, so each of its four combinations meets every stack and every layout."""
    params = []
    for (kind, options), (s, stack), (t, layout), dtype in itertools.product(
            LAYER_KINDS, enumerate(STACKS), enumerate(LAYOUTS), (np.float32, np.float64)):
        bias, with_h0 = OPTIONS[(s + t) % 4]
        name = (f"{kind}{options.get('nonlinearity', '')}-{stack[0]}layer"
                f"{'-bi' if stack[1] else ''}-{'batched' if layout[0] else 'unbatched'}"
                f"{'-batch_first' if layout[1] else ''}-{'bias' if bias else 'no_bias'}"
                f"-{'h0' if with_h0 else 'no_h0'}-{np.dtype(dtype).name}")
        params.append(pytest.param(kind, options, *stack, *layout, bias, with_h0, dtype, id=name))
    return params


@pytest.mark.parametrize("kind, options, num_layers, bidirectional, batched, batch_first, bias, "
                         "with_h0, dtype", layer_cases())
def test_layer_matches_torch(kind, options, num_layers, bidirectional, batched, batch_first,
                             bias, with_h0, dtype):
    mt, th = make_pair(kind, dtype, I, H, num_layers, bias=bias, batch_first=batch_first,
                       bidirectional=bidirectional, **options)
    arrays = layer_arrays(kind, dtype, num_layers, bidirectional, batched, batch_first, with_h0)
    check_against_torch(kind, mt, th, arrays)


@given(kind=st.sampled_from(["RNN", "GRU", "LSTM"]), length=st.integers(1, 7),
       batch=st.integers(0, 4), input_size=st.integers(1, 5), hidden=st.integers(1, 5),
       num_layers=st.integers(1, 3), bidirectional=st.booleans(), seed=st.integers(0, 2**16))
def test_layer_hypothesis_sizes(kind, length, batch, input_size, hidden, num_layers,
                                bidirectional, seed):
    mt, th = make_pair(kind, np.float64, input_size, hidden, num_layers,
                       bidirectional=bidirectional)
    x = np.random.default_rng(seed).uniform(-2, 2, (length, batch, input_size))
    check_against_torch(kind, mt, th, [x], seed)


def test_long_sequence_backpropagates_through_time():
    """200 steps: the gradient of the first input must still match torch's."""
    mt, th = make_pair("GRU", np.float64, 3, 4)
    x = np.random.default_rng(0).standard_normal((200, 2, 3))
    check_against_torch("GRU", mt, th, [x])


@pytest.mark.parametrize("kind, options", [("GRU", {}), ("LSTM", {}), ("RNN", {}),
                                           ("RNN", {"nonlinearity": "relu"})])
def test_layer_double_backward_matches_torch(kind, options):
    """A gradient penalty through the whole layer: d/dW of |d(out)/dx|^2."""
    mt, th = make_pair(kind, np.float64, 3, 4, 2, bidirectional=True, **options)
    x = np.random.default_rng(1).standard_normal((4, 2, 3))
    mx, tx = mytorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (mg,) = mytorch.autograd.grad(mt(mx)[0].tanh().sum(), mx, create_graph=True)
    (tg,) = torch.autograd.grad(th(tx)[0].tanh().sum(), tx, create_graph=True)
    np.testing.assert_allclose(mg.numpy(), tg.detach().numpy(), rtol=1e-10, atol=1e-12)
    (mg * mg).sum().backward()
    (tg * tg).sum().backward()
    th_params = dict(th.named_parameters())
    for name, p in mt.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), th_params[name].grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=name)


def test_retain_graph_gives_the_same_gradients_twice():
    mt = mt_rnn.LSTM(3, 4, 2)
    x = mytorch.randn(5, 2, 3, requires_grad=True)
    output, (h_n, c_n) = mt(x)
    loss = output.sum() + c_n.sum()
    loss.backward(retain_graph=True)
    first = [p.grad.numpy().copy() for p in mt.parameters()] + [x.grad.numpy().copy()]
    loss.backward()
    second = [p.grad.numpy() for p in mt.parameters()] + [x.grad.numpy()]
    for a, b in zip(first, second):
        np.testing.assert_allclose(b, 2 * a, rtol=1e-6)


def test_no_grad_records_nothing():
    mt = mt_rnn.GRU(3, 4)
    with mytorch.no_grad():
        output, h_n = mt(mytorch.randn(5, 2, 3))
    assert not output.requires_grad and output.grad_fn is None and h_n.grad_fn is None


# -- cells -------------------------------------------------------------------------------------
CELL_KINDS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("GRUCell", {}),
              ("LSTMCell", {})]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("with_h0", [False, True], ids=["no_h0", "h0"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("kind, options", CELL_KINDS,
                         ids=["rnn_tanh", "rnn_relu", "gru", "lstm"])
def test_cell_matches_torch(kind, options, batched, bias, with_h0, dtype):
    mt, th = make_pair(kind, dtype, I, H, bias=bias, **options)
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(-2, 2, (N, I) if batched else (I,))]
    if with_h0:
        arrays += [rng.uniform(-1, 1, (N, H) if batched else (H,))
                   for _ in range(NUM_STATES[kind])]
    check_against_torch(kind, mt, th, [a.astype(dtype) for a in arrays])


FUNCTIONAL_CELLS = [
    (mt_ops.rnn_tanh_cell, torch.rnn_tanh_cell, 1), (mt_ops.rnn_relu_cell, torch.rnn_relu_cell, 1),
    (mt_ops.gru_cell, torch.gru_cell, 3), (mt_ops.lstm_cell, torch.lstm_cell, 4),
]


def cell_arrays(gates, lstm, bias, batch=2, input_size=3, hidden=2, seed=0):
    """input, state(s), w_ih, w_hh(, b_ih, b_hh) for a functional cell, float64."""
    rng = np.random.default_rng(seed)
    shapes = [(batch, input_size), (batch, hidden)] + [(batch, hidden)] * lstm
    shapes += [(gates * hidden, input_size), (gates * hidden, hidden)]
    shapes += [(gates * hidden,)] * 2 * bias
    return [rng.uniform(-1.5, 1.5, s) for s in shapes]


def functional(fn, lstm):
    """The functional cell with its arguments flat: (x, h(, c), w_ih, w_hh(, b_ih, b_hh))."""
    def run(x, *rest):
        state, weights = (tuple(rest[:2]), rest[2:]) if lstm else (rest[0], rest[1:])
        return fn(x, state, *weights)
    return run


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("mt_fn, th_fn, gates", FUNCTIONAL_CELLS,
                         ids=["rnn_tanh", "rnn_relu", "gru", "lstm"])
def test_functional_cell_matches_torch(mt_fn, th_fn, gates, bias):
    lstm = gates == 4
    arrays = cell_arrays(gates, lstm, bias)
    mt_in = [mytorch.tensor(a, requires_grad=True) for a in arrays]
    th_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    mt_out = flat(functional(mt_fn, lstm)(*mt_in))
    th_out = flat(functional(th_fn, lstm)(*th_in))
    for m, t in zip(mt_out, th_out):
        np.testing.assert_allclose(m.numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)
    sum((m * (k + 1)).sum() for k, m in enumerate(mt_out)).backward()
    sum((t * (k + 1)).sum() for k, t in enumerate(th_out)).backward()
    for m, t in zip(mt_in, th_in):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("second_order", [False, True], ids=["gradcheck", "gradgradcheck"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("mt_fn, th_fn, gates", FUNCTIONAL_CELLS,
                         ids=["rnn_tanh", "rnn_relu", "gru", "lstm"])
def test_cell_gradcheck(mt_fn, th_fn, gates, batched, second_order):
    lstm = gates == 4
    arrays = cell_arrays(gates, lstm, bias=True, seed=3)
    if not batched:
        arrays = [a[0] if k < 2 + lstm else a for k, a in enumerate(arrays)]
    inputs = tuple(mytorch.tensor(a, requires_grad=True) for a in arrays)
    check = gradgradcheck if second_order else gradcheck
    assert check(functional(mt_fn, lstm), inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("mt_fn, th_fn, gates", FUNCTIONAL_CELLS,
                         ids=["rnn_tanh", "rnn_relu", "gru", "lstm"])
def test_create_graph_gives_the_same_gradients(mt_fn, th_fn, gates):
    """The backward recorded as a graph (on Tensors) and the fast one (on arrays) agree."""
    lstm = gates == 4
    inputs = [mytorch.tensor(a, requires_grad=True)
              for a in cell_arrays(gates, lstm, bias=True, seed=5)]
    loss = sum((o * (k + 1)).sum() for k, o in enumerate(flat(functional(mt_fn, lstm)(*inputs))))
    graph = mytorch.autograd.grad(loss, inputs, retain_graph=True, create_graph=True)
    fast = mytorch.autograd.grad(loss, inputs)
    assert any(g.requires_grad for g in graph)  # (relu's input gradient is constant)
    for g, f in zip(graph, fast):
        np.testing.assert_allclose(g.numpy(), f.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_layer_gradcheck(kind):
    layer = mt_rnn.__dict__[kind](2, 2, 2, bidirectional=True, dtype=np.float64)
    x = mytorch.tensor(np.random.default_rng(0).standard_normal((3, 2, 2)), requires_grad=True)
    assert gradcheck(lambda x: flat(layer(x)), (x,))


# -- dropout between layers ---------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.4, 1.0])
def test_dropout_is_applied_between_layers_in_training(p):
    """Two stacked layers with dropout equal one layer, dropout drawn the same way, one layer."""
    two = mt_rnn.GRU(3, 4, 2, dropout=p, dtype=np.float64)
    first = mt_rnn.GRU(3, 4, dtype=np.float64)
    second = mt_rnn.GRU(4, 4, dtype=np.float64)
    for k, layer in enumerate((first, second)):
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(layer, f"{name}_l0").data = getattr(two, f"{name}_l{k}").data
    x = mytorch.randn(5, 2, 3, dtype=np.float64)
    mytorch.manual_seed(7)
    output, h_n = two(x)
    mytorch.manual_seed(7)
    y0, h0 = first(x)
    y1, h1 = second(dropout(y0, p, True))
    np.testing.assert_allclose(output.numpy(), y1.numpy(), rtol=1e-12)
    np.testing.assert_allclose(h_n.numpy(), np.concatenate([h0.numpy(), h1.numpy()]), rtol=1e-12)

    two.eval()  # no dropout: layer 1 reads layer 0's output unchanged
    y1_eval, _ = second(y0)
    np.testing.assert_allclose(two(x)[0].numpy(), y1_eval.numpy(), rtol=1e-12)


def test_dropout_with_one_layer_warns_like_torch():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        mt_rnn.GRU(3, 4, dropout=0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mt_rnn.GRU(3, 4, 2, dropout=0.3)


# -- parameters: names, shapes, initialization, repr ---------------------------------------------
@pytest.mark.parametrize("kind, args, kwargs", [
    ("RNN", (5, 7, 2), {"bidirectional": True}), ("GRU", (5, 7, 3), {"bias": False}),
    ("LSTM", (5, 7, 2), {"bidirectional": True}), ("RNNCell", (5, 7), {}),
    ("GRUCell", (5, 7), {"bias": False}), ("LSTMCell", (5, 7), {}),
])
def test_parameter_names_shapes_and_initialization(kind, args, kwargs):
    mt = getattr(mt_rnn, kind)(*args, **kwargs)
    th = getattr(torch.nn, kind)(*args, **kwargs)
    assert [(k, tuple(v.shape)) for k, v in mt.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in th.state_dict().items()]
    values = np.concatenate([p.numpy().ravel() for p in mt.parameters()])
    assert values.dtype == np.float32
    bound = 1 / np.sqrt(7)
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.95 * bound  # spread over the whole interval
    np.testing.assert_allclose(values.std(), bound / np.sqrt(3), rtol=0.1)  # U(-b, b)


def test_all_weights_groups_parameters_per_layer_and_direction():
    mt = mt_rnn.LSTM(3, 4, 2, bidirectional=True)
    th = torch.nn.LSTM(3, 4, 2, bidirectional=True)
    assert [[tuple(p.shape) for p in group] for group in mt.all_weights] == \
        [[tuple(p.shape) for p in group] for group in th.all_weights]
    assert mt._flat_weights_names == th._flat_weights_names


@pytest.mark.parametrize("kind, args, kwargs", [
    ("RNN", (8, 16), {}), ("GRU", (8, 16, 2), {}), ("LSTM", (8, 16), {}),
    ("RNN", (8, 16, 2, "relu", False, True, 0.5, True), {}),
    ("LSTM", (8, 16), {"batch_first": True, "bias": False}),
    ("RNNCell", (8, 16), {}), ("RNNCell", (8, 16), {"bias": False, "nonlinearity": "relu"}),
    ("GRUCell", (8, 16), {}), ("LSTMCell", (8, 16), {"bias": False}),
])
def test_repr_matches_torch(kind, args, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repr(getattr(mt_rnn, kind)(*args, **kwargs)) == \
            repr(getattr(torch.nn, kind)(*args, **kwargs))


def test_module_to_float64_computes_in_float64():
    mt = mt_rnn.GRU(3, 4).double()
    output, h_n = mt(mytorch.randn(5, 2, 3, dtype=np.float64))
    assert output.dtype == np.float64 and h_n.dtype == np.float64


def test_empty_batch():
    output, (h_n, c_n) = mt_rnn.LSTM(3, 4, 2, bidirectional=True)(mytorch.zeros(5, 0, 3))
    assert output.shape == (5, 0, 8) and h_n.shape == (4, 0, 4) and c_n.shape == (4, 0, 4)


# -- errors ----------------------------------------------------------------------------------
def assert_names(info, fragments):
    """The error message contains every fragment (layer or op name, shapes, reason)."""
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


@pytest.mark.parametrize("make, x, hx, error, fragments", [
    (lambda: mt_rnn.RNN(8, 16), (2, 3, 4, 8), None, ValueError,
     ["RNN", "Expected input to be 2D or 3D, got 4D", "(2, 3, 4, 8)"]),
    (lambda: mt_rnn.GRU(8, 16), (8,), None, ValueError, ["GRU", "got 1D", "(8,)"]),
    (lambda: mt_rnn.LSTM(8, 16), (5, 3, 7), None, RuntimeError,
     ["LSTM", "input.size(-1) must be equal to input_size. Expected 8, got 7", "(5, 3, 7)"]),
    (lambda: mt_rnn.RNN(8, 16, 2), (5, 3, 8), [(1, 3, 16)], RuntimeError,
     ["RNN", "Expected hidden size (2, 3, 16), got (1, 3, 16)"]),
    (lambda: mt_rnn.GRU(8, 16, batch_first=True), (3, 5, 8), [(1, 5, 16)], RuntimeError,
     ["GRU", "Expected hidden size (1, 3, 16), got (1, 5, 16)"]),
    (lambda: mt_rnn.RNN(8, 16), (5, 3, 8), [(1, 16)], RuntimeError,
     ["RNN", "For batched 3-D input, hx should also be 3-D", "2-D"]),
    (lambda: mt_rnn.RNN(8, 16), (5, 8), [(1, 3, 16)], RuntimeError,
     ["RNN", "For unbatched 2-D input, hx should also be 2-D", "3-D"]),
    (lambda: mt_rnn.GRU(8, 16), (5, 8), [(1, 17)], RuntimeError,
     ["GRU", "Expected hidden size (1, 16), got (1, 17)"]),
    (lambda: mt_rnn.LSTM(8, 16), (5, 3, 8), [(1, 3, 16), (1, 3, 15)], RuntimeError,
     ["LSTM", "Expected hidden[1] size (1, 3, 16), got (1, 3, 15)"]),
    (lambda: mt_rnn.LSTM(8, 16), (5, 3, 8), [(1, 16), (1, 16)], RuntimeError,
     ["LSTM", "hx and cx should also be 3-D"]),
    (lambda: mt_rnn.LSTM(8, 16), (5, 3, 8), (1, 3, 16), TypeError,
     ["LSTM", "tuple (h_0, c_0)"]),
    (lambda: mt_rnn.GRU(8, 16), (5, 3, 8), [(1, 3, 16), (1, 3, 16)], TypeError,
     ["GRU", "hx must be a Tensor"]),
    (lambda: mt_rnn.GRU(8, 16), (0, 3, 8), None, RuntimeError,
     ["GRU", "sequence length to be larger than 0", "(0, 3, 8)"]),
    (lambda: mt_rnn.GRUCell(8, 16), (2, 3, 8), None, ValueError,
     ["GRUCell", "Expected input to be 1D or 2D, got 3D", "(2, 3, 8)"]),
    (lambda: mt_rnn.RNNCell(8, 16), (3, 7), None, RuntimeError,
     ["RNNCell", "input has inconsistent input_size: got 7 expected 8", "(3, 7)"]),
    (lambda: mt_rnn.GRUCell(8, 16), (3, 8), [(3, 15)], RuntimeError,
     ["GRUCell", "hidden0 has inconsistent hidden_size: got 15, expected 16", "(3, 15)"]),
    (lambda: mt_rnn.GRUCell(8, 16), (3, 8), [(4, 16)], RuntimeError,
     ["GRUCell", "Input batch size 3 doesn't match hidden0 batch size 4"]),
    (lambda: mt_rnn.RNNCell(8, 16), (3, 8), [(16,)], RuntimeError,
     ["RNNCell", "hidden0 should also be 2-D", "(16,)"]),
    (lambda: mt_rnn.RNNCell(8, 16), (3, 8), [(1, 3, 16)], ValueError,
     ["RNNCell", "Expected hidden to be 1D or 2D, got 3D", "(1, 3, 16)"]),
    (lambda: mt_rnn.LSTMCell(8, 16), (3, 8), [(3, 16), (3, 15)], RuntimeError,
     ["LSTMCell", "hidden1 has inconsistent hidden_size: got 15, expected 16"]),
    (lambda: mt_rnn.LSTMCell(8, 16), (3, 8), (3, 16), TypeError,
     ["LSTMCell", "tuple (h_0, c_0)"]),
])
def test_forward_errors(make, x, hx, error, fragments):
    layer = make()
    if hx is None:
        state = None
    elif isinstance(hx, tuple):  # a bare Tensor where a pair is expected
        state = mytorch.zeros(*hx)
    else:
        states = [mytorch.zeros(*s) for s in hx]
        state = tuple(states) if len(states) > 1 else states[0]
    with pytest.raises(error) as info:
        layer(mytorch.zeros(*x), state)
    assert_names(info, fragments)


@pytest.mark.parametrize("make, error, fragments", [
    (lambda: mt_rnn.RNN(8, 16, nonlinearity="sigmoid"), ValueError,
     ["RNN", "Unknown nonlinearity 'sigmoid'"]),
    (lambda: mt_rnn.RNNCell(8, 16, nonlinearity="sigmoid"), ValueError,
     ["RNNCell", "Unknown nonlinearity 'sigmoid'"]),
    (lambda: mt_rnn.GRU(8, 0), ValueError, ["GRU", "hidden_size must be greater than zero, got 0"]),
    (lambda: mt_rnn.GRU(0, 8), ValueError, ["GRU", "input_size must be greater than zero, got 0"]),
    (lambda: mt_rnn.LSTM(8, 16, num_layers=0), ValueError,
     ["LSTM", "num_layers must be greater than zero, got 0"]),
    (lambda: mt_rnn.RNN(8, 16.5), TypeError,
     ["RNN", "hidden_size should be of type int, got: float"]),
    (lambda: mt_rnn.GRU(8, 16, 2, dropout=1.5), ValueError,
     ["GRU", "dropout should be a number in range [0, 1]", "1.5"]),
    (lambda: mt_rnn.GRU(8, 16, 2, dropout=True), ValueError, ["dropout should be a number in"]),
    (lambda: mt_rnn.LSTM(8, 16, proj_size=4), ValueError, ["LSTM", "proj_size=4"]),
])
def test_constructor_errors(make, error, fragments):
    with pytest.raises(error) as info:
        make()
    assert_names(info, fragments)


@pytest.mark.parametrize("args, error, fragments", [
    (((3, 8), (3, 16), (48, 8), (16, 16)), ValueError,
     ["gru_cell", "(3*hidden_size, input_size)", "(48, 8) and (16, 16)"]),
    (((3, 8), (3, 16), (48, 9), (48, 16)), RuntimeError,
     ["gru_cell", "input has inconsistent input_size: got 8 expected 9"]),
])
def test_functional_cell_errors(args, error, fragments):
    with pytest.raises(error) as info:
        mt_ops.gru_cell(*(mytorch.zeros(*s) for s in args))
    assert_names(info, fragments)


def test_lstm_cell_needs_a_pair():
    with pytest.raises(TypeError) as info:
        mt_ops.lstm_cell(mytorch.zeros(3, 8), mytorch.zeros(3, 16), mytorch.zeros(64, 8),
                         mytorch.zeros(64, 16))
    assert_names(info, ["lstm_cell", "pair"])


@pytest.mark.parametrize("run, error", [
    (lambda nn, zeros: nn.GRU(8, 16)(zeros(2, 3, 4, 8)), ValueError),
    (lambda nn, zeros: nn.GRU(8, 16)(zeros(5, 3, 7)), RuntimeError),
    (lambda nn, zeros: nn.RNN(8, 16, 2)(zeros(5, 3, 8), zeros(1, 3, 16)), RuntimeError),
    (lambda nn, zeros: nn.GRUCell(8, 16)(zeros(3, 8), zeros(4, 16)), RuntimeError),
    (lambda nn, zeros: nn.LSTMCell(8, 16)(zeros(3, 7)), RuntimeError),
    (lambda nn, zeros: nn.GRU(8, 0), ValueError),
])
def test_error_types_are_torchs(run, error):
    """Spot checks that the error types above are the ones torch raises."""
    for nn, zeros in ((torch.nn, torch.zeros), (mt_rnn, mytorch.zeros)):
        with pytest.raises(error):
            run(nn, zeros)


def test_layer_grid_covers_every_pair_of_options():
    """Every kind x stack x layout x dtype runs, and each (bias, h0) combination meets every
    kind, every stack and every layout."""
    # values: kind, options, num_layers, bidirectional, batched, batch_first, bias, h0, dtype
    cases = [(v[0] + str(v[1]), v[2:4], v[4:6], v[6:8], v[8])
             for v in (p.values for p in layer_cases())]
    assert len({(k, stack, layout, dtype) for k, stack, layout, _, dtype in cases}) == \
        len(LAYER_KINDS) * len(STACKS) * len(LAYOUTS) * 2
    assert len({(k, options) for k, _, _, options, _ in cases}) == len(LAYER_KINDS) * 4
    assert {(stack, options) for _, stack, _, options, _ in cases} == \
        set(itertools.product(STACKS, OPTIONS))
    assert {(layout, options) for _, _, layout, options, _ in cases} == \
        set(itertools.product(LAYOUTS, OPTIONS))


@pytest.mark.parametrize("kind", ["RNNCell", "GRUCell", "LSTMCell"])
def test_cell_output_changed_in_place_before_backward_raises(kind):
    """A step's chain rule reads gate values that can live in its output's memory (an Elman
    cell's cache is its output): the op saves its outputs, so a later in-place change of one
    is refused at backward, as in PyTorch, instead of giving a wrong gradient."""
    x = mytorch.randn(2, 3, requires_grad=True)
    out = getattr(mytorch.nn, kind)(3, 4)(x)
    h = out[0] if isinstance(out, tuple) else out
    h.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        h.sum().backward()
