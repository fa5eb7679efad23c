"""``device=`` and ``dtype=`` mean the same in every layer constructor (one helper serves all)."""

import numpy as np
import pytest

import mytorch
from mytorch import nn

# every layer with parameters, built with the extra keyword arguments ``kw``
LAYERS = {
    "Linear": lambda **kw: nn.Linear(3, 2, **kw),
    "Bilinear": lambda **kw: nn.Bilinear(3, 4, 2, **kw),
    "Conv1d": lambda **kw: nn.Conv1d(2, 3, 3, **kw),
    "Conv2d": lambda **kw: nn.Conv2d(2, 3, 3, **kw),
    "ConvTranspose1d": lambda **kw: nn.ConvTranspose1d(2, 3, 3, **kw),
    "ConvTranspose2d": lambda **kw: nn.ConvTranspose2d(2, 3, 3, **kw),
    "BatchNorm1d": lambda **kw: nn.BatchNorm1d(3, **kw),
    "BatchNorm2d": lambda **kw: nn.BatchNorm2d(3, **kw),
    "LayerNorm": lambda **kw: nn.LayerNorm(4, **kw),
    "GroupNorm": lambda **kw: nn.GroupNorm(2, 4, **kw),
    "Embedding": lambda **kw: nn.Embedding(5, 3, **kw),
    "RNN": lambda **kw: nn.RNN(3, 4, num_layers=2, **kw),
    "GRU": lambda **kw: nn.GRU(3, 4, bidirectional=True, **kw),
    "LSTM": lambda **kw: nn.LSTM(3, 4, **kw),
    "RNNCell": lambda **kw: nn.RNNCell(3, 4, **kw),
    "GRUCell": lambda **kw: nn.GRUCell(3, 4, **kw),
    "LSTMCell": lambda **kw: nn.LSTMCell(3, 4, **kw),
}
NAMES = sorted(LAYERS)


def floating_state(layer):
    """The parameters and the floating buffers (not e.g. BatchNorm's step counter)."""
    return {k: v for k, v in layer.state_dict().items() if v.dtype.kind == "f"}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [mytorch.float64, "float64", np.float64])
def test_dtype_sets_every_parameter_and_buffer(name, dtype):
    layer = LAYERS[name](dtype=dtype)
    state = floating_state(layer)
    assert state and all(v.dtype == np.float64 for v in state.values()), name
    assert all(v.dtype == np.float32 for v in floating_state(LAYERS[name]()).values())


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("device", ["cpu", "cpu:0", mytorch.device("cpu"), None])
def test_the_cpu_is_accepted_everywhere(name, device):
    layer = LAYERS[name](device=device)
    assert all(v.dtype == np.float32 for v in floating_state(layer).values())


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "mps"])
def test_other_devices_raise_the_same_clear_error_everywhere(name, device):
    with pytest.raises(RuntimeError, match=rf"^{name}: mytorch runs on the CPU only, got device "
                                           rf"'{device}'$"):
        LAYERS[name](device=device)


@pytest.mark.parametrize("name", NAMES)
def test_integer_dtypes_are_refused_everywhere(name):
    # PyTorch: "Only Tensors of floating point and complex dtype can require gradients"
    with pytest.raises(TypeError, match=rf"^{name}: parameters need a floating point dtype, "
                                        r"got dtype=int64$"):
        LAYERS[name](dtype=mytorch.int64)


def test_layers_without_parameters_still_raise_on_a_gpu_device():
    # affine=False and no running stats: nothing is allocated, the device is still checked
    with pytest.raises(RuntimeError, match="BatchNorm1d: mytorch runs on the CPU only"):
        nn.BatchNorm1d(3, affine=False, track_running_stats=False, device="cuda")
    with pytest.raises(RuntimeError, match="LayerNorm: mytorch runs on the CPU only"):
        nn.LayerNorm(4, elementwise_affine=False, device="cuda")
