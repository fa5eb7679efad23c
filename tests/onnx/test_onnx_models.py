"""Recurrent layers, every model of the zoo, and the export's interface and errors."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from onnx_check import check, onnx, randn

import mytorch
import mytorch.nn as nn
from mytorch.models import MODELS, get_model, scanning_mlp_to_conv1d


# -- recurrent layers ------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("options", [
    dict(), dict(num_layers=2, batch_first=True), dict(bidirectional=True),
    dict(num_layers=2, bidirectional=True, bias=False),
], ids=str)
def test_recurrent_layer(mode: str, options: dict[str, Any]) -> None:
    layer = getattr(nn, mode)(4, 5, **options)
    seq_axis, batch_axis = (1, 0) if options.get("batch_first") else (0, 1)

    def inputs(n: int) -> list[np.ndarray]:
        shape = [0, 0, 4]
        shape[seq_axis], shape[batch_axis] = 6, n
        return [randn(*shape, seed=n)]

    proto = check(layer, inputs, batch_axes=[batch_axis])
    assert [node.op_type for node in proto.graph.node].count(mode) == layer.num_layers


@pytest.mark.parametrize("mode", ["RNN", "GRU", "LSTM"])
def test_recurrent_layer_with_initial_state(mode: str) -> None:
    layer = getattr(nn, mode)(3, 4, num_layers=2, bidirectional=mode == "GRU",
                              nonlinearity="relu") if mode == "RNN" else \
        getattr(nn, mode)(3, 4, num_layers=2, bidirectional=mode == "GRU")
    states = 4 if mode == "GRU" else 2

    class WithState(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = layer

        def forward(self, x: Any, h: Any, c: Any) -> Any:
            return self.rnn(x, hx=(h, c) if mode == "LSTM" else h)  # a keyword argument

    check(WithState(), lambda n: [randn(5, n, 3, seed=n), randn(states, n, 4, seed=n + 1),
                                  randn(states, n, 4, seed=n + 2)], batch_axes=[1, 1, 1])


@pytest.mark.parametrize("cell", [nn.RNNCell(3, 4), nn.RNNCell(3, 4, nonlinearity="relu"),
                                  nn.GRUCell(3, 4), nn.LSTMCell(3, 4, bias=False)], ids=repr)
def test_recurrent_cell_steps(cell: nn.Module) -> None:
    class Unrolled(nn.Module):  # three steps from a given state, then three from zeros
        def __init__(self) -> None:
            super().__init__()
            self.cell = cell

        def forward(self, x: Any, h: Any) -> Any:
            state = (h, h * 0.5) if isinstance(self.cell, nn.LSTMCell) else h
            for x_t in (x[:, 0], x[:, 1], x[:, 2]):
                state = self.cell(x_t, state)
            first = state if isinstance(state, mytorch.Tensor) else state[0]
            return first, self.cell(x[:, 0] + first.sum(1, keepdim=True))

    proto = check(Unrolled(), lambda n: [randn(n, 3, 3, seed=n), randn(n, 4, seed=n + 1)])
    kind = type(cell).__name__[:-4]  # RNN, GRU or LSTM
    assert [node.op_type for node in proto.graph.node].count(kind) == 4


def test_unbatched_gru_and_lstm_cell() -> None:
    check(nn.GRU(3, 4, batch_first=True), lambda n: [randn(7, 3, seed=n)], batch_axes=[None])
    check(nn.LSTMCell(3, 4), lambda n: [randn(3, seed=n)], batch_axes=[None])


# -- the model zoo ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(MODELS))
def test_zoo_model(name: str) -> None:
    mytorch.manual_seed(0)
    model = get_model(name)
    for module in model.modules():  # batch norms with statistics of their own
        if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
            module.running_mean.copy_(mytorch.randn(module.num_features) * 0.1)
            module.running_var.copy_(mytorch.rand(module.num_features) + 0.5)
    check(model, lambda n: [randn(n, *model.input_shape, seed=n)])


@pytest.mark.parametrize("shared", [False, True])
def test_scanning_mlp_as_conv1d(shared: bool) -> None:
    mlp = nn.Sequential(nn.Linear(2 * 3, 8), nn.ReLU(), nn.Linear(8 if not shared else 16, 4))
    model = (scanning_mlp_to_conv1d(mlp, kernel_size=(2, 2), stride=(1, 2), shared=True)
             if shared else scanning_mlp_to_conv1d(mlp, kernel_size=2, stride=1))
    check(model, lambda n: [randn(n, 3, 12, seed=n)])


# -- interface -------------------------------------------------------------------------------
def test_writes_a_file_atomically_with_named_outputs(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(3, 2))
    path = tmp_path / "model.onnx"
    mytorch.onnx.export(model, mytorch.randn(2, 3), path, input_names=["x"],
                        output_names=["logits"], dynamic_axes={"x": [0], "logits": {0: "n"}})
    loaded = onnx.load(str(path))
    assert [i.name for i in loaded.graph.input] == ["x"]
    assert [o.name for o in loaded.graph.output] == ["logits"]
    assert loaded.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "x_dim0"
    assert loaded.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


def test_output_that_is_an_input_or_repeated() -> None:
    class Twice(nn.Module):
        def forward(self, x: Any) -> Any:
            y = x * 2
            return x, y, y

    check(Twice(), lambda n: [randn(n, 3, seed=n)])


def test_without_constant_folding_the_parameter_ops_are_written() -> None:
    W = nn.Parameter(mytorch.randn(4, 3))

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.W = W

        def forward(self, x: Any) -> Any:
            return x @ (self.W.T * 2)

    folded = check(Model(), lambda n: [randn(n, 3, seed=n)])
    assert [node.op_type for node in folded.graph.node] == ["MatMul"]
    kept = check(Model(), lambda n: [randn(n, 3, seed=n)], do_constant_folding=False)
    assert [node.op_type for node in kept.graph.node] == ["Transpose", "Mul", "MatMul"]
    assert [i.name for i in kept.graph.initializer][0] == "W"


@pytest.mark.parametrize("kwargs, message", [
    (dict(opset_version=16), "opset_version must be in"),
    (dict(dynamic_axes={"nope": [0]}), "dynamic_axes names 'nope'"),
    (dict(dynamic_axes={"input": [2]}), "dynamic axis 2 of 'input' is out of range"),
    (dict(input_names=["a", "b"]), "1 distinct input_names needed"),
])
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mytorch.onnx.export(nn.Linear(3, 2), mytorch.randn(2, 3), io.BytesIO(), **kwargs)
