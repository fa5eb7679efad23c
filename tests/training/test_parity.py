"""A small CNN trained 50 steps in mytorch and in PyTorch from the same weights and batches
ends with the same parameters (issue 4): conv, batch norm, ReLU, pooling, dropout, linear."""

import numpy as np
import pytest
import torch

import mytorch
import mytorch.nn as nn


def build(lib, dropout):
    # No conv bias before batch norm (as in ResNet): BN cancels it, so its true gradient is 0
    # and the float32 rounding noise that stands in for it would be amplified by Adam's
    # normalization into updates no two libraries share (in float64 the runs agree to 1e-11).
    return lib.nn.Sequential(
        lib.nn.Conv2d(1, 8, 3, padding=1, bias=False), lib.nn.BatchNorm2d(8), lib.nn.ReLU(),
        lib.nn.MaxPool2d(2),
        lib.nn.Conv2d(8, 16, 3, bias=False), lib.nn.BatchNorm2d(16), lib.nn.ReLU(),
        lib.nn.AvgPool2d(2),
        lib.nn.Flatten(), dropout, lib.nn.Linear(16 * 2 * 2, 10),
    )


class SameMask(torch.nn.Module):
    """Dropout in torch with the mask mytorch's Dropout drew on this step (same randomness)."""

    mask = None

    def forward(self, x):
        return x * torch.tensor(self.mask)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_small_cnn_trains_like_torch_for_50_steps(optimizer):
    mytorch.manual_seed(0)
    same_mask = SameMask()
    model, twin = build(mytorch, nn.Dropout(0.3)), build(torch, same_mask)
    twin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})

    def record_mask(module, args, out):  # dropout's output is input * mask
        x, y = args[0].numpy(), out.numpy()
        same_mask.mask = np.where(x != 0, y / np.where(x != 0, x, 1), 0.0).astype(np.float32)

    model[9].register_forward_hook(record_mask)
    if optimizer == "sgd":
        opt = mytorch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        twin_opt = torch.optim.SGD(twin.parameters(), lr=0.05, momentum=0.9)
    else:
        opt = mytorch.optim.Adam(model.parameters(), lr=1e-3)
        twin_opt = torch.optim.Adam(twin.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    for _ in range(50):
        x = rng.standard_normal((16, 1, 12, 12)).astype(np.float32)
        y = rng.integers(0, 10, 16)
        opt.zero_grad()
        nn.functional.cross_entropy(model(mytorch.tensor(x)), mytorch.tensor(y)).backward()
        opt.step()
        twin_opt.zero_grad()
        torch.nn.functional.cross_entropy(twin(torch.tensor(x)), torch.tensor(y)).backward()
        twin_opt.step()
    assert same_mask.mask is not None and (same_mask.mask == 0).any()  # dropout really dropped
    mine, theirs = model.state_dict(), twin.state_dict()
    for name in mine:
        expected = theirs[name].numpy()
        np.testing.assert_allclose(mine[name].numpy(), expected, rtol=1e-4,
                                   atol=1e-4 * np.abs(expected).max(), err_msg=name)
