"""Chapter 2: the scalar engine (mytorch.scalar.Scalar) agrees with Tensor's autograd.

    python examples/ch02_scalar.py

A neuron tanh(w . x + b) and a small two-layer network are computed twice, once with
Scalars (one number per object, micrograd-style) and once with Tensors, and every gradient
is checked to agree. A chain of 30,000 operations backpropagates without recursion.
"""

from __future__ import annotations

import random

import numpy as np

import mytorch
from mytorch.scalar import Scalar


def neuron() -> None:
    """tanh(w1 x1 + w2 x2 + b): the gradients of w1, w2, b from both engines."""
    values = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.881373587}
    s = {name: Scalar(v, label=name) for name, v in values.items()}
    out = (s["w1"] * s["x1"] + s["w2"] * s["x2"] + s["b"]).tanh()
    out.backward()

    t = {name: mytorch.tensor(v, dtype=mytorch.float64, requires_grad=True)
         for name, v in values.items()}
    (t["w1"] * t["x1"] + t["w2"] * t["x2"] + t["b"]).tanh().backward()
    for name in values:
        assert t[name].grad is not None
        np.testing.assert_allclose(s[name].grad, t[name].grad.item(), rtol=1e-12)
    print("neuron tanh(w.x + b) =", round(out.value, 6))
    print("  gradients (Scalar = Tensor):",
          {name: round(s[name].grad, 6) for name in values})


def two_layer_net(seed: int = 0) -> None:
    """A 3 -> 4 -> 1 tanh network on one input, every weight's gradient from both engines."""
    rng = random.Random(seed)
    x = [rng.uniform(-1, 1) for _ in range(3)]
    w1 = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(4)]
    w2 = [rng.uniform(-1, 1) for _ in range(4)]

    sw1 = [[Scalar(v) for v in row] for row in w1]
    sw2 = [Scalar(v) for v in w2]
    hidden = [sum((wi * xi for wi, xi in zip(row, x)), Scalar(0.0)).tanh() for row in sw1]
    s_out = sum((wi * hi for wi, hi in zip(sw2, hidden)), Scalar(0.0))
    s_loss = (s_out - 0.5) ** 2
    s_loss.backward()

    tw1 = mytorch.tensor(w1, dtype=mytorch.float64, requires_grad=True)
    tw2 = mytorch.tensor(w2, dtype=mytorch.float64, requires_grad=True)
    t_out = tw2 @ (tw1 @ mytorch.tensor(x, dtype=mytorch.float64)).tanh()
    t_loss = (t_out - 0.5) ** 2
    t_loss.backward()
    assert tw1.grad is not None and tw2.grad is not None

    np.testing.assert_allclose(s_loss.value, t_loss.item(), rtol=1e-12)
    np.testing.assert_allclose([[w.grad for w in row] for row in sw1], tw1.grad.numpy(),
                               rtol=1e-10)
    np.testing.assert_allclose([w.grad for w in sw2], tw2.grad.numpy(), rtol=1e-10)
    print(f"3-4-1 network: loss {s_loss.value:.6f} from both engines; 16 weight gradients agree")


def long_chain(n: int = 30_000) -> None:
    """y = x + x + ... (n additions): dy/dx = n + 1, with no recursion limit in the way."""
    x = Scalar(1.0)
    y = x
    for _ in range(n):
        y = y + x
    y.backward()
    assert x.grad == n + 1
    print(f"a chain of {n} additions: dy/dx = {x.grad:.0f}")


if __name__ == "__main__":
    neuron()
    two_layer_net()
    long_chain()
