import numpy as np
import pytest
import torch

import mytorch
from harness import OpSpec, check_against_torch
from mytorch.nn.modules import loss as mloss

rng = np.random.default_rng(0)
WEIGHT = rng.uniform(0.5, 2, 5)
POS_WEIGHT = rng.uniform(0.5, 2, 5)


def inputs(kind, dtype):
    """(input, target) arrays for a loss of this kind, batch 4 and 5 classes."""
    r = np.random.default_rng(1)
    if kind == "regression":
        return [r.standard_normal((4, 5)).astype(dtype), r.standard_normal((4, 5)).astype(dtype)]
    if kind == "classes":
        return [r.standard_normal((4, 5)).astype(dtype), np.array([0, 4, 2, 1])]
    if kind == "log_probs":
        x = r.standard_normal((4, 5))
        return [(x - np.log(np.exp(x).sum(1, keepdims=True))).astype(dtype), np.array([3, 1, 0, 4])]
    if kind == "probabilities":
        return [r.uniform(0.05, 0.95, (4, 5)).astype(dtype), r.uniform(0, 1, (4, 5)).astype(dtype)]
    if kind == "kl":
        p = r.uniform(0.1, 1, (4, 5))
        log_p = np.log(p / p.sum(1, keepdims=True))
        return [log_p.astype(dtype), r.uniform(0.1, 1, (4, 5)).astype(dtype)]
    raise AssertionError(kind)


def weights(lib, dtype, *arrays):
    return [lib.tensor(a.astype(dtype)) for a in arrays]


# (name, kind, keyword options; "W"/"PW" stand for the class weight / pos_weight tensors)
MODULES = [
    ("MSELoss", "regression", {}), ("MSELoss", "regression", {"reduction": "sum"}),
    ("L1Loss", "regression", {"reduction": "none"}),
    ("SmoothL1Loss", "regression", {"beta": 0.5}),
    ("CrossEntropyLoss", "classes", {}),
    ("CrossEntropyLoss", "classes", {"weight": "W", "ignore_index": 2, "label_smoothing": 0.1}),
    ("CrossEntropyLoss", "classes", {"reduction": "none", "label_smoothing": 0.3}),
    ("NLLLoss", "log_probs", {"weight": "W", "reduction": "sum"}),
    ("NLLLoss", "log_probs", {"ignore_index": 1}),
    ("BCELoss", "probabilities", {}), ("BCELoss", "probabilities", {"weight": "W"}),
    ("BCEWithLogitsLoss", "regression", {"pos_weight": "PW"}),
    ("BCEWithLogitsLoss", "regression", {"weight": "W", "reduction": "none"}),
    ("KLDivLoss", "kl", {"reduction": "batchmean"}),
    ("KLDivLoss", "kl", {"reduction": "sum", "log_target": True}),
]


def build(lib_nn, name, options, dtype):
    lib = torch if lib_nn is torch.nn else mytorch
    values = {"W": WEIGHT, "PW": POS_WEIGHT}
    kwargs = {k: (weights(lib, dtype, values[v])[0] if v in values else v)
              for k, v in options.items()}
    return getattr(lib_nn, name)(**kwargs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kind, options", MODULES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MODULES)])
def test_module_matches_torch(name, kind, options, dtype):
    ours, theirs = build(mloss, name, options, dtype), build(torch.nn, name, options, dtype)
    arrays = inputs(kind, dtype)
    if kind == "kl" and options.get("log_target"):
        arrays[1] = np.log(arrays[1])
    with_target_grad = kind not in ("classes", "log_probs")  # class indices have none
    spec = OpSpec(name, ours, theirs, [()], grad=(0, 1) if with_target_grad else (0,))
    check_against_torch(spec, arrays)


@pytest.mark.parametrize("name, kind, options", MODULES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MODULES)])
def test_state_dict_keys_and_repr_like_torch(name, kind, options):
    ours = build(mloss, name, options, np.float32)
    theirs = build(torch.nn, name, options, np.float32)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy())
    assert repr(ours) == repr(theirs)
    assert ours.reduction == theirs.reduction
    assert list(ours.parameters()) == []


def test_weight_buffer_follows_to_dtype():
    criterion = mloss.CrossEntropyLoss(weight=mytorch.tensor(WEIGHT.astype(np.float32)))
    criterion.to(mytorch.float64)
    assert criterion.weight.dtype == np.float64
    x = mytorch.randn(3, 5, dtype=mytorch.float64, requires_grad=True)
    assert criterion(x, mytorch.tensor([0, 1, 2])).dtype == np.float64


def test_weight_given_as_a_list_becomes_a_buffer():
    criterion = mloss.NLLLoss(weight=[1.0, 2.0])
    assert isinstance(criterion.weight, mytorch.Tensor) and "weight" in criterion.state_dict()


def test_legacy_arguments_set_the_reduction_like_torch():
    with pytest.warns(UserWarning, match="reduction='sum'"):
        ours = mloss.MSELoss(size_average=False)
    with pytest.warns(UserWarning):
        theirs = torch.nn.MSELoss(size_average=False)
    assert ours.reduction == theirs.reduction == "sum"
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert mloss.CrossEntropyLoss(reduce=False).reduction == "none"


def test_ctc_loss_module_matches_torch():
    logits = np.random.default_rng(2).standard_normal((10, 3, 6))
    targets = np.array([[1, 2, 2], [3, 4, 0], [5, 5, 5]])
    lengths = ([10, 8, 9], [3, 2, 1])
    for options in ({}, {"reduction": "sum", "blank": 5}, {"zero_infinity": True}):
        spec = OpSpec(
            "CTCLoss",
            lambda x, t, o=options: mloss.CTCLoss(**o)(x.log_softmax(2), t, *lengths),
            lambda x, t, o=options: torch.nn.CTCLoss(**o)(x.log_softmax(2), t,
                                                          *map(torch.tensor, lengths)),
            [()], grad=(0,))
        check_against_torch(spec, [logits, np.where(targets == 5, 0, targets)
                                   if options.get("blank") == 5 else targets])
    assert repr(mloss.CTCLoss()) == repr(torch.nn.CTCLoss()) == "CTCLoss()"


def test_course_protocol_forward_on_arrays_then_backward():
    x, y = inputs("classes", np.float64)
    criterion = mloss.CrossEntropyLoss()
    loss = criterion.forward(x, y)  # NumPy in, NumPy out
    assert isinstance(loss, np.ndarray) and loss.shape == ()
    dLdA = criterion.backward()  # dL/dL = 1 by default
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.cross_entropy(tx, torch.tensor(y)).backward()
    np.testing.assert_allclose(loss, torch.nn.functional.cross_entropy(
        torch.tensor(x), torch.tensor(y)).item(), rtol=1e-12)
    np.testing.assert_allclose(dLdA, tx.grad.numpy(), rtol=1e-12)

    mse = mloss.MSELoss()
    a, b = inputs("regression", np.float64)
    mse.forward(a, b)
    np.testing.assert_allclose(mse.backward(), 2 * (a - b) / a.size, rtol=1e-12)


def test_modules_raise_the_functional_errors():
    with pytest.raises(IndexError, match="cross_entropy: target 5 is out of bounds for 5"):
        mloss.CrossEntropyLoss()(mytorch.zeros(2, 5), mytorch.tensor([0, 5]))
    with pytest.raises(ValueError, match="binary_cross_entropy: all elements of input"):
        mloss.BCELoss()(mytorch.tensor([2.0]), mytorch.tensor([1.0]))
    with pytest.raises(ValueError, match="mse_loss: foo is not a valid value for reduction"):
        mloss.MSELoss(reduction="foo")(mytorch.zeros(2), mytorch.zeros(2))
