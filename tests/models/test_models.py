"""The model zoo: every registered model builds, runs forward and backward; each matches a
PyTorch twin built here (same state_dict keys and shapes, same outputs and gradients, same
parameter counts); summary() tables; the registry; the scanning-MLP converters against an
explicit scan of the MLP over every window, both kinds, from a Sequential and from weights."""

import doctest
import importlib

import numpy as np
import pytest
import torch
import torch.nn as tnn

import mytorch
import mytorch.datasets
import mytorch.nn as nn
from mytorch import models
from mytorch.models import (
    MNIST1DCNN,
    MNIST1DGRU,
    MODELS,
    AlexNetSmall,
    CourseCNN,
    DigitsCNN,
    LeNet5,
    ResNet20,
    VGG11Small,
    scanning_mlp_to_conv1d,
)
from mytorch.nn.modules.normalization import BatchNorm1d, BatchNorm2d


# -- PyTorch twins ---------------------------------------------------------------------------
class Twin(tnn.Module):
    """A torch module with the given named children and forward function."""

    def __init__(self, forward, **children):
        super().__init__()
        for name, child in children.items():
            self.add_module(name, child)
        self._forward = forward

    def forward(self, x):
        return self._forward(self, x)


def torch_lenet5(num_classes=10, in_channels=1, padding=2, flat=16 * 5 * 5):
    return Twin(
        lambda m, x: m.classifier(m.features(x)),
        features=tnn.Sequential(
            tnn.Conv2d(in_channels, 6, 5, padding=padding), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2)),
        classifier=tnn.Sequential(
            tnn.Flatten(), tnn.Linear(flat, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(),
            tnn.Linear(84, num_classes)),
    )


def torch_course_cnn(in_channels, channels, kernels, strides, activations, flat, num_classes):
    layers = []
    for c_in, c_out, k, s, act in zip([in_channels, *channels[:-1]], channels, kernels, strides,
                                      activations):
        layers += [tnn.Conv1d(c_in, c_out, k, s), act]
    return Twin(lambda m, x: m.linear(m.flatten(m.convolutions(x))),
                convolutions=tnn.Sequential(*layers), flatten=tnn.Flatten(),
                linear=tnn.Linear(flat, num_classes))


class TorchShortcutA(tnn.Module):
    def __init__(self, extra, stride):
        super().__init__()
        self.extra, self.stride = extra, stride

    def forward(self, x):
        x = x[:, :, ::self.stride, ::self.stride]
        return torch.nn.functional.pad(x, (0, 0, 0, 0, self.extra // 2,
                                           self.extra - self.extra // 2))


class TorchBlock(tnn.Module):
    def __init__(self, c_in, c_out, stride, shortcut):
        super().__init__()
        self.conv1 = tnn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(c_out)
        self.conv2 = tnn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(c_out)
        if stride == 1 and c_in == c_out:
            self.shortcut = tnn.Identity()
        elif shortcut == "A":
            self.shortcut = TorchShortcutA(c_out - c_in, stride)
        else:
            self.shortcut = tnn.Sequential(tnn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                           tnn.BatchNorm2d(c_out))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


def torch_resnet20(shortcut="A", num_classes=10):
    stages, c = [], 16
    for width, stride in ((16, 1), (32, 2), (64, 2)):
        blocks = []
        for i in range(3):
            blocks.append(TorchBlock(c, width, stride if i == 0 else 1, shortcut))
            c = width
        stages.append(tnn.Sequential(*blocks))

    def forward(m, x):
        x = torch.relu(m.bn1(m.conv1(x)))
        return m.fc(m.avgpool(m.layer3(m.layer2(m.layer1(x)))).flatten(1))

    return Twin(forward, conv1=tnn.Conv2d(3, 16, 3, 1, 1, bias=False), bn1=tnn.BatchNorm2d(16),
                layer1=stages[0], layer2=stages[1], layer3=stages[2],
                avgpool=tnn.AdaptiveAvgPool2d(1), fc=tnn.Linear(64, num_classes))


def torch_mnist1d_cnn():
    layers = []
    for c_in, c_out, k, s in ((1, 32, 5, 1), (32, 64, 3, 2), (64, 64, 3, 2)):
        layers += [tnn.Conv1d(c_in, c_out, k, s, padding=k // 2), tnn.BatchNorm1d(c_out),
                   tnn.ReLU()]
    return Twin(lambda m, x: m.classifier(m.features(x)), features=tnn.Sequential(*layers),
                classifier=tnn.Sequential(tnn.Flatten(), tnn.Linear(640, 10)))


def torch_mnist1d_gru(hidden):
    return Twin(lambda m, x: m.fc(m.gru(x.reshape(x.shape[0], -1, 1))[1][-1]),
                gru=tnn.GRU(1, hidden, batch_first=True), fc=tnn.Linear(hidden, 10))


def torch_digits_cnn():
    return Twin(
        lambda m, x: m.classifier(m.features(x)),
        features=tnn.Sequential(tnn.Conv2d(1, 16, 3, padding=1), tnn.ReLU(),
                                tnn.Conv2d(16, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2)),
        classifier=tnn.Sequential(tnn.Flatten(), tnn.Linear(512, 64), tnn.ReLU(),
                                  tnn.Dropout(0.25), tnn.Linear(64, 10)),
    )


def torch_vgg11_small():
    layers, c = [], 3
    for stage in ((16,), (32,), (64, 64), (128, 128), (128, 128)):
        for width in stage:
            layers += [tnn.Conv2d(c, width, 3, padding=1), tnn.BatchNorm2d(width), tnn.ReLU()]
            c = width
        layers.append(tnn.MaxPool2d(2))
    return Twin(lambda m, x: m.classifier(m.features(x)), features=tnn.Sequential(*layers),
                classifier=tnn.Sequential(
                    tnn.Flatten(), tnn.Linear(128, 256), tnn.ReLU(), tnn.Dropout(),
                    tnn.Linear(256, 256), tnn.ReLU(), tnn.Dropout(), tnn.Linear(256, 10)))


def torch_alexnet_small():
    return Twin(
        lambda m, x: m.classifier(m.features(x)),
        features=tnn.Sequential(
            tnn.Conv2d(3, 24, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(3, 2),
            tnn.Conv2d(24, 64, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(3, 2),
            tnn.Conv2d(64, 96, 3, padding=1), tnn.ReLU(),
            tnn.Conv2d(96, 96, 3, padding=1), tnn.ReLU(),
            tnn.Conv2d(96, 64, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(3, 2)),
        classifier=tnn.Sequential(
            tnn.Flatten(), tnn.Dropout(), tnn.Linear(576, 256), tnn.ReLU(), tnn.Dropout(),
            tnn.Linear(256, 256), tnn.ReLU(), tnn.Linear(256, 10)),
    )


COURSE = dict(in_channels=3, num_classes=5, channels=(8, 6, 4), kernel_sizes=(4, 3, 2),
              strides=(1, 2, 3), input_width=37)
COURSE_WIDTHS = (34, 16, 5)  # (37 - 4) + 1, (34 - 3) // 2 + 1, (16 - 2) // 3 + 1

# (mytorch model, torch twin, input shape of one sample, whether outputs are deterministic in
# training mode, so that the training-mode pass and the gradients can be compared too)
TWINS = {
    "lenet5": (lambda: LeNet5(), lambda: torch_lenet5(), (1, 28, 28), True),
    "lenet5_32x32_rgb": (lambda: LeNet5(num_classes=7, in_channels=3, input_size=32),
                         lambda: torch_lenet5(7, 3, padding=0), (3, 32, 32), True),
    "course_cnn": (
        lambda: CourseCNN(**COURSE, activations=("tanh", "relu", nn.Sigmoid())),
        lambda: torch_course_cnn(3, (8, 6, 4), (4, 3, 2), (1, 2, 3),
                                 (tnn.Tanh(), tnn.ReLU(), tnn.Sigmoid()), 4 * 5, 5),
        (3, 37), True),
    "resnet20": (lambda: ResNet20(), lambda: torch_resnet20("A"), (3, 32, 32), True),
    "resnet20_b": (lambda: ResNet20(shortcut="B"), lambda: torch_resnet20("B"), (3, 32, 32),
                   True),
    "mnist1d_cnn": (lambda: MNIST1DCNN(), torch_mnist1d_cnn, (1, 40), True),
    "mnist1d_gru": (lambda: MNIST1DGRU(hidden_size=16), lambda: torch_mnist1d_gru(16), (1, 40),
                    True),
    "digits_cnn": (lambda: DigitsCNN(), torch_digits_cnn, (1, 8, 8), False),
    "vgg11_small": (lambda: VGG11Small(), torch_vgg11_small, (3, 32, 32), False),
    "alexnet_small": (lambda: AlexNetSmall(), torch_alexnet_small, (3, 32, 32), False),
}


def load_into_twin(model, twin, rng):
    """Random running statistics in mine, then my whole state_dict into the torch twin
    (strict: the keys and shapes must be the same)."""
    for module in model.modules():
        if isinstance(module, (BatchNorm1d, BatchNorm2d)):
            module.running_mean = rng.standard_normal(module.num_features)
            module.running_var = rng.uniform(0.5, 2.0, module.num_features)
    twin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})


@pytest.mark.parametrize("name", TWINS)
def test_model_matches_torch_twin(name):
    make, make_twin, shape, deterministic = TWINS[name]
    model, twin = make().double(), make_twin().double()
    rng = np.random.default_rng(0)
    load_into_twin(model, twin, rng)
    assert model.num_parameters() == sum(p.numel() for p in twin.parameters())
    assert model.input_shape == shape
    x = rng.standard_normal((2, *shape))
    tol = dict(rtol=1e-9, atol=1e-11)
    model.eval(), twin.eval()
    with torch.no_grad():
        expected = twin(torch.tensor(x)).numpy()
    np.testing.assert_allclose(model(mytorch.tensor(x)).numpy(), expected, **tol)
    if not deterministic:
        return
    model.train(), twin.train()
    out, t_out = model(mytorch.tensor(x)), twin(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), **tol)
    g = rng.standard_normal(out.shape)
    (out * mytorch.tensor(g)).sum().backward()
    (t_out * torch.tensor(g)).sum().backward()
    t_params = dict(twin.named_parameters())
    for key, param in model.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), t_params[key].grad.numpy(), **tol,
                                   err_msg=key)


def test_known_parameter_counts():
    # LeNet-5: 156 + 2,416 + 48,120 + 10,164 + 850; ResNet-20 (option A): He et al.'s 0.27M
    assert LeNet5().num_parameters() == 61_706
    assert ResNet20().num_parameters() == 269_722
    assert ResNet20(shortcut="B").num_parameters() == 272_474


@pytest.mark.parametrize("name", MODELS)
def test_registered_model_trains_one_step(name):
    spec = MODELS[name]
    mytorch.manual_seed(0)
    model = models.get_model(name)
    assert model.input_shape == spec.input_shape
    assert spec.dataset in mytorch.datasets.DATASETS
    x = mytorch.tensor(np.random.default_rng(1).standard_normal((2, *spec.input_shape))
                       .astype(np.float32))
    out = model(x)
    assert out.shape == (2, 10) and out.dtype == np.float32
    out.sum().backward()
    for key, param in model.named_parameters():
        assert param.grad is not None and param.grad.shape == param.shape, key
        assert np.isfinite(param.grad.numpy()).all(), key


def test_flat_inputs_accepted():
    x = mytorch.zeros(3, 40)
    assert MNIST1DCNN()(x).shape == (3, 10)
    assert MNIST1DGRU(hidden_size=8)(x).shape == (3, 10)
    assert DigitsCNN()(mytorch.zeros(3, 64)).shape == (3, 10)


def test_registry():
    assert models.DEFAULT_MODEL in MODELS
    assert list(models.available()) == list(MODELS)
    assert all(isinstance(text, str) and text for text in models.available().values())
    assert isinstance(models.get_model("ResNet20"), ResNet20)
    assert isinstance(models.get_model("VGG11-Small"), VGG11Small)
    lenet = models.get_model("lenet_5", num_classes=3)
    assert lenet(mytorch.zeros(1, 1, 28, 28)).shape == (1, 3)
    with pytest.raises(ValueError, match="unknown model 'resnet50'.*lenet5"):
        models.get_model("resnet50")


# -- summary -------------------------------------------------------------------------------------
def test_summary_table():
    model = LeNet5()
    text = model.summary()
    lines = text.splitlines()
    assert lines[0] == "LeNet5 (input (1, 1, 28, 28))"
    assert "Total params: 61,706" in lines
    assert "Trainable params: 61,706" in lines
    assert "Non-trainable params: 0" in lines
    rows = [line.split() for line in lines if line.startswith(("features", "classifier"))]
    assert len(rows) == 12  # every layer once, in the order they ran
    assert rows[0] == ["features.0", "(Conv2d)", "(1,", "6,", "28,", "28)", "156"]
    assert rows[3] == ["features.3", "(Conv2d)", "(1,", "16,", "10,", "10)", "2,416"]
    assert rows[-1] == ["classifier.5", "(Linear)", "(1,", "10)", "850"]
    assert sum(int(row[-1].replace(",", "")) for row in rows) == 61_706


def test_summary_leaves_model_as_it_was():
    model = MNIST1DCNN()
    model.features[0].requires_grad_(False)  # 192 frozen parameters
    model.features.eval()  # a mixed mode must come back as it was
    bn = model.features[1]
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    text = model.summary()
    assert "Total params: 25,482" in text
    assert "Trainable params: 25,290" in text and "Non-trainable params: 192" in text
    assert model.training and not model.features.training and model.classifier.training
    assert all(not m._forward_hooks for m in model.modules())
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key], err_msg=key)
    assert int(bn.num_batches_tracked.item()) == 0


def test_summary_other_input_and_dtype():
    text = ResNet20().double().summary((3, 16, 16))
    assert "ResNet20 (input (1, 3, 16, 16))" in text
    assert "layer3.2.conv2 (Conv2d)" in text and "(1, 64, 4, 4)" in text
    assert "layer2.0.shortcut (ShortcutA)" in text
    gru = MNIST1DGRU(hidden_size=8).summary()
    assert "(1, 40, 8), (1, 1, 8)" in gru  # a layer with two outputs shows both shapes
    # the function serves any module
    text = models.summary(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), (4,))
    assert "0 (Linear)" in text and "Total params: 15" in text


# -- LeNet-5 and the course CNN: sizes from the formulas ----------------------------------------
@pytest.mark.parametrize("size, padding, flat", [(28, 2, 400), (32, 0, 400), (36, 0, 576)])
def test_lenet5_sizes(size, padding, flat):
    model = LeNet5(input_size=size)
    assert model.features[0].padding == (padding, padding)
    assert model.classifier[1].in_features == flat
    assert model(mytorch.zeros(1, 1, size, size)).shape == (1, 10)


def test_course_cnn_widths():
    model = CourseCNN(**COURSE, activations=("relu",) * 3)
    assert model.output_widths == COURSE_WIDTHS
    assert model.linear.in_features == 4 * COURSE_WIDTHS[-1]
    # the course's homework network: 24 x 128 -> widths 124, 60, 30 -> Linear(14 * 30, 10)
    default = CourseCNN()
    assert default.output_widths == (124, 60, 30) and default.linear.in_features == 420
    assert [type(m).__name__ for m in default.convolutions][1::2] == ["Tanh", "ReLU", "Sigmoid"]
    assert default(mytorch.zeros(2, 24, 128)).shape == (2, 10)


def test_course_cnn_errors():
    with pytest.raises(ValueError, match=r"CourseCNN: .*one entry per convolution"):
        CourseCNN(channels=(4, 4), kernel_sizes=(3,), strides=(1,), activations=("relu",))
    with pytest.raises(ValueError, match=r"input_width 5 is too short.*\[5, 3, 1, -1\]"):
        CourseCNN(input_width=5, kernel_sizes=(3, 3, 3), strides=(1, 1, 1))
    with pytest.raises(ValueError, match="CourseCNN: unknown activation 'swish'"):
        CourseCNN(activations=("relu", "swish", "relu"))


# -- scanning MLPs ---------------------------------------------------------------------------------
def relu(a):
    return np.maximum(a, 0)


def scan_plain(x, layers, K, stride):
    """The MLP applied to every window of K time steps (flattened time-major), by loops.

    x: (N, C, T); layers: [(W (in, out), b or None)], ReLU between them."""
    N, C, T = x.shape
    out = []
    for n in range(N):
        columns = []
        for t in range(0, T - K + 1, stride):
            h = x[n, :, t:t + K].T.reshape(-1)  # (K, C) rows concatenated: x_t, x_t+1, ...
            for i, (W, b) in enumerate(layers):
                h = h @ W + (0 if b is None else b)
                h = relu(h) if i < len(layers) - 1 else h
            columns.append(h)
        out.append(np.stack(columns, axis=1))
    return np.stack(out)


def scan_shared(x, layers, kernels, strides):
    """The shared MLP on every window of R time steps, S apart, by loops: layer l reads each
    group of k_l neighbouring positions below it (time-major), every s_l positions."""
    N, C, T = x.shape
    R, S = 1, 1
    for k, s in zip(kernels, strides):
        R, S = R + (k - 1) * S, S * s
    out = np.zeros((N, layers[-1][0].shape[1], (T - R) // S + 1))
    for n in range(N):
        for w in range(out.shape[2]):
            h = x[n, :, w * S:w * S + R].T  # (R, C): one row per time step
            for i, ((W, b), k, s) in enumerate(zip(layers, kernels, strides)):
                rows = [h[p * s:p * s + k].reshape(-1) @ W + (0 if b is None else b)
                        for p in range((len(h) - k) // s + 1)]
                h = np.stack(rows)
                h = relu(h) if i < len(layers) - 1 else h
            assert h.shape[0] == 1  # the last layer sees the whole window exactly once
            out[n, :, w] = h[0]
    return out


def random_layers(rng, sizes, bias=True):
    """[(W (in, out), b)] for consecutive ``sizes``, scaled like a trained layer's."""
    return [(rng.standard_normal((a, b)) / np.sqrt(a), rng.standard_normal(b) if bias else None)
            for a, b in zip(sizes[:-1], sizes[1:])]


def as_sequential(layers):
    modules = []
    for i, (W, b) in enumerate(layers):
        linear = nn.Linear(*W.shape, bias=b is not None, dtype=np.float64)
        linear.weight = nn.Parameter(W.T.copy())
        if b is not None:
            linear.bias = nn.Parameter(b.copy())
        modules += [nn.ReLU(), linear] if i else [linear]
    return nn.Sequential(*modules)


def as_weight_list(layers):
    return [W if b is None else (W, b) for W, b in layers]


def run(net, x):
    out = net(mytorch.tensor(x))
    assert out.dtype == np.float64
    return out.numpy()


@pytest.mark.parametrize("convert", [as_sequential, as_weight_list])
@pytest.mark.parametrize("C, K, stride, T, hidden, bias", [
    (3, 4, 3, 20, (8, 6, 5), True),
    (24, 8, 4, 128, (8, 16, 4), False),  # the course's simple scanning MLP: 192 -> 8 -> 16 -> 4
    (2, 1, 1, 5, (3,), True),  # one layer, one time step per window
])
def test_plain_scanning_mlp_is_exact(convert, C, K, stride, T, hidden, bias):
    rng = np.random.default_rng(0)
    layers = random_layers(rng, (K * C, *hidden), bias)
    x = rng.standard_normal((2, C, T))
    net = scanning_mlp_to_conv1d(convert(layers), K, stride)
    expected = scan_plain(x, layers, K, stride)
    assert expected.shape == (2, hidden[-1], (T - K) // stride + 1)
    np.testing.assert_allclose(run(net, x), expected, rtol=0, atol=1e-12)
    assert (net.receptive_field, net.scan_stride) == (K, stride)
    assert [m.kernel_size for m in net if isinstance(m, nn.Conv1d)] == [(K,)] + [(1,)] * (
        len(hidden) - 1)


@pytest.mark.parametrize("convert", [as_sequential, as_weight_list])
@pytest.mark.parametrize("C, channels, kernels, strides, T, bias", [
    (24, (2, 8, 4), (2, 2, 2), (2, 2, 1), 128, False),  # the course's distributed MLP, R=8, S=4
    (3, (5, 4), (3, 2), (1, 2), 23, True),  # R = 3 + 1 = 4, S = 2, a step left over
    (2, (3, 4, 2), (2, 3, 2), (3, 1, 2), 40, True),  # R = 2 + 6 + 3 = 11, S = 6
])
def test_shared_scanning_mlp_is_exact(convert, C, channels, kernels, strides, T, bias):
    rng = np.random.default_rng(1)
    sizes = [C, *channels]
    layers = [(rng.standard_normal((k * a, b)) / np.sqrt(k * a),
               rng.standard_normal(b) if bias else None)
              for a, b, k in zip(sizes[:-1], sizes[1:], kernels)]
    x = rng.standard_normal((2, C, T))
    net = scanning_mlp_to_conv1d(convert(layers), kernels, strides, shared=True)
    expected = scan_shared(x, layers, kernels, strides)
    np.testing.assert_allclose(run(net, x), expected, rtol=0, atol=1e-12)
    assert net.kernel_sizes == kernels and net.strides == strides
    assert net.input_shape == (C, net.receptive_field + 3 * net.scan_stride)
    assert net(mytorch.zeros(1, *net.input_shape, dtype=np.float64)).shape[-1] == 4


def test_plain_is_the_shared_special_case():
    rng = np.random.default_rng(2)
    layers = random_layers(rng, (3 * 4, 6, 5))
    x = rng.standard_normal((1, 4, 17))
    plain = scanning_mlp_to_conv1d(as_weight_list(layers), 3, 2)
    shared = scanning_mlp_to_conv1d(as_weight_list(layers), (3, 1), (2, 1), shared=True)
    np.testing.assert_array_equal(run(plain, x), run(shared, x))


def test_scanning_keeps_activations_and_copies_weights():
    mlp = nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 2))
    net = scanning_mlp_to_conv1d(mlp, 2, 1)
    assert [type(m).__name__ for m in net] == ["Conv1d", "Tanh", "Conv1d"]
    assert net.summary().splitlines()[0] == "ScanningConv1d (input (1, 3, 5))"
    x = np.random.default_rng(3).standard_normal((2, 3, 5)).astype(np.float32)
    windows = np.stack([x[:, :, t:t + 2].transpose(0, 2, 1).reshape(2, -1) for t in range(4)], 1)
    np.testing.assert_allclose(net(mytorch.tensor(x)).numpy(),
                               mlp(mytorch.tensor(windows)).numpy().transpose(0, 2, 1),
                               rtol=1e-5, atol=1e-6)
    net[0].weight.numpy()[...] = 0  # the converted network owns its weights
    assert np.abs(mlp[0].weight.numpy()).sum() > 0
    assert isinstance(net.forward(x), np.ndarray)  # the array layer protocol works too


def test_scanning_errors():
    mlp = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(5, 2))
    with pytest.raises(ValueError, match=r"Linear layer of shape \(in=5, out=2\) should have "
                                         r"1 x 4 inputs"):
        scanning_mlp_to_conv1d(mlp, 2, 1)
    with pytest.raises(ValueError, match=r"\(in=6, out=4\) should have a multiple of 4"):
        scanning_mlp_to_conv1d(nn.Sequential(nn.Linear(6, 4)), 4, 1)
    with pytest.raises(TypeError, match="layer 1 is a Softmax"):
        scanning_mlp_to_conv1d(nn.Sequential(nn.Linear(6, 4), nn.Softmax(dim=-1)), 2, 1)
    with pytest.raises(ValueError, match=r"one kernel_size per Linear layer \(2\)"):
        scanning_mlp_to_conv1d([np.ones((6, 4)), np.ones((8, 2))], (2,), 1, shared=True)
    with pytest.raises(ValueError, match="must be ints when shared=False"):
        scanning_mlp_to_conv1d([np.ones((6, 4))], (2, 1), 1)
    with pytest.raises(ValueError, match=r"weight 0 must be a matrix \(in, out\)"):
        scanning_mlp_to_conv1d([np.ones(6)], 2, 1)
    with pytest.raises(ValueError, match=r"bias 0 of shape \(3,\) does not match weight 0 "
                                         r"of shape \(6, 4\)"):
        scanning_mlp_to_conv1d([(np.ones((6, 4)), np.ones(3))], 2, 1)
    with pytest.raises(ValueError, match="has no Linear layer"):
        scanning_mlp_to_conv1d(nn.Sequential(nn.ReLU()), 2, 1)


@pytest.mark.parametrize("module", ["summary", "lenet", "course_cnn", "scanning", "mnist1d",
                                    "resnet", "vgg", "alexnet", "digits", "__init__"])
def test_docstring_examples(module):
    name = "mytorch.models" + ("" if module == "__init__" else f".{module}")
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
