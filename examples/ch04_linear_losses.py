"""Chapter 4: Linear layers, an MLP classifier, and the losses: cross-entropy from logits
(and why the naive softmax-then-log overflows), binary cross-entropy, mean squared error.

    python examples/ch04_linear_losses.py

Each printed claim is asserted: Linear is x W^T + b; cross-entropy's gradient is
(softmax - onehot) / N; the naive formula gives nan/inf on large logits where
F.cross_entropy stays exact; BCE on probabilities saturates where BCE with logits does not;
MSE's gradient is 2 (x - t) / n; and a two-layer MLP learns three Gaussian blobs.
"""

from __future__ import annotations

import numpy as np

import mytorch
import mytorch.nn.functional as F
from mytorch import nn


def linear_layer() -> None:
    mytorch.manual_seed(0)
    layer = nn.Linear(4, 3)
    x = mytorch.randn(5, 4)
    expected = x.numpy() @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    print("Linear(4, 3): y = x W^T + b, W", layer.weight.shape, "b", layer.bias.shape)


def cross_entropy_gradient() -> None:
    mytorch.manual_seed(0)
    logits = mytorch.randn(4, 3, requires_grad=True)
    target = mytorch.tensor([0, 2, 1, 2])
    F.cross_entropy(logits, target).backward()
    assert logits.grad is not None
    expected = (F.softmax(logits.detach(), dim=1) - F.one_hot(target, 3)) / 4
    np.testing.assert_allclose(logits.grad.numpy(), expected.numpy(), rtol=1e-5, atol=1e-7)
    print("cross-entropy gradient = (softmax - onehot) / N")


def naive_cross_entropy(logits: mytorch.Tensor, target: mytorch.Tensor) -> mytorch.Tensor:
    """-log(softmax(x)[target]) computed literally: exp, normalize, log."""
    e = logits.exp()
    p = e / e.sum(dim=1, keepdim=True)
    return -p[mytorch.arange(len(target)), target].log().mean()


def overflow() -> None:
    logits = mytorch.tensor([[1000.0, 0.0], [0.0, -1000.0]])
    target = mytorch.tensor([0, 1])
    with np.errstate(over="ignore", invalid="ignore"):  # exp(1000) = inf, then inf / inf
        naive = naive_cross_entropy(logits, target).item()
    stable = F.cross_entropy(logits, target).item()
    assert np.isnan(naive) or np.isinf(naive)
    assert stable == 500.0  # sample 0: loss 0; sample 1: loss 1000; the mean is 500
    print(f"logits of +-1000: naive softmax-then-log gives {naive}, F.cross_entropy {stable}")


def binary_losses() -> None:
    x = mytorch.tensor([40.0, -3.0, 0.5])  # logits
    t = mytorch.tensor([0.0, 0.0, 1.0])
    on_probabilities = F.binary_cross_entropy(x.sigmoid(), t, reduction="none")
    from_logits = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    # the exact loss of a logit x with target 0 is log(1 + e^x) = softplus(x): 40.0 for x = 40
    assert on_probabilities[0].item() == 100.0  # sigmoid(40) rounds to 1.0: log(0), clamped
    np.testing.assert_allclose(from_logits[0].item(), 40.0, rtol=1e-6)
    np.testing.assert_allclose(from_logits[1:].numpy(), on_probabilities[1:].numpy(), rtol=1e-5)
    print(f"BCE at logit 40, target 0: on sigmoid(x) {on_probabilities[0].item():.1f} "
          f"(clamped), from the logit {from_logits[0].item():.4f} (exact)")

    logit = mytorch.tensor([2.0, -1.0], requires_grad=True)
    target = mytorch.tensor([1.0, 0.0])
    F.binary_cross_entropy_with_logits(logit, target, reduction="sum").backward()
    assert logit.grad is not None
    np.testing.assert_allclose(logit.grad.numpy(),
                               logit.detach().sigmoid().numpy() - target.numpy(), rtol=1e-6)
    print("BCE-with-logits gradient = sigmoid(x) - t")


def mse() -> None:
    x = mytorch.tensor([1.0, 2.0, 4.0], requires_grad=True)
    t = mytorch.tensor([0.0, 2.0, 1.0])
    loss = F.mse_loss(x, t)
    loss.backward()
    assert x.grad is not None
    np.testing.assert_allclose(loss.item(), (1 + 0 + 9) / 3, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), 2 * (x.detach().numpy() - t.numpy()) / 3,
                               rtol=1e-6)
    print(f"MSE {loss.item():.4f}, gradient 2 (x - t) / n = {x.grad}")


def train_mlp() -> None:
    """Three Gaussian blobs in 2-D, a 2-16-3 ReLU MLP, cross-entropy, plain SGD."""
    mytorch.manual_seed(0)
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    labels = rng.integers(0, 3, 300)
    points = centers[labels] + 0.7 * rng.standard_normal((300, 2))
    x = mytorch.tensor(points, dtype=mytorch.float32)
    y = mytorch.tensor(labels)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    optimizer = mytorch.optim.SGD(model.parameters(), lr=0.5)
    first = None
    for _ in range(100):
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        first = loss.item() if first is None else first
    accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
    assert loss.item() < 0.5 * first and accuracy > 0.9
    print(f"MLP 2-16-3 on three blobs: loss {first:.3f} -> {loss.item():.3f}, "
          f"accuracy {accuracy:.1%}")


if __name__ == "__main__":
    linear_layer()
    cross_entropy_gradient()
    overflow()
    binary_losses()
    mse()
    train_mlp()
