"""Fit a small MLP with mytorch's autograd alone: tensors, backward, a hand-written SGD step.

    python examples/fit_mlp.py [--steps 1000] [--lr 0.1] [--seed 0]

The network (2 -> 16 -> 16 -> 1, tanh) learns the surface z = sin(2x) cos(2y)
on 256 random points of the square [-1.5, 1.5]^2. There is no nn.Module and no
optimizer here, on purpose: the parameters are plain tensors with
requires_grad=True, the loss is built from tensor ops, ``loss.backward()``
fills every ``.grad``, and the update runs under ``no_grad`` so that it is not
itself recorded.
"""

from __future__ import annotations

import argparse
import math
import time

import mytorch

LAYERS = (2, 16, 16, 1)  # widths: input, two hidden layers, output


def target(points: mytorch.Tensor) -> mytorch.Tensor:
    """z = sin(2x) cos(2y) for points of shape (N, 2); returns shape (N, 1)."""
    x, y = points[:, 0:1], points[:, 1:2]
    return (2 * x).sin() * (2 * y).cos()


def linear_parameters(fan_in: int, fan_out: int) -> list[mytorch.Tensor]:
    """W (fan_in, fan_out) and b (fan_out,), uniform in +-1/sqrt(fan_in) as PyTorch's Linear."""
    bound = 1 / math.sqrt(fan_in)
    W = (mytorch.rand(fan_in, fan_out) * 2 - 1) * bound
    b = (mytorch.rand(fan_out) * 2 - 1) * bound
    return [W.requires_grad_(), b.requires_grad_()]


def mlp(points: mytorch.Tensor, params: list[mytorch.Tensor]) -> mytorch.Tensor:
    """(N, 2) -> (N, 1): tanh after every layer but the last."""
    W1, b1, W2, b2, W3, b3 = params
    h = (points @ W1 + b1).tanh()  # (N, 2) @ (2, 16) -> (N, 16)
    h = (h @ W2 + b2).tanh()  # (N, 16) @ (16, 16) -> (N, 16)
    return h @ W3 + b3  # (N, 16) @ (16, 1) -> (N, 1)


def fit(steps: int = 1000, lr: float = 0.1, seed: int = 0, log_every: int = 100) -> list[float]:
    """Train the MLP with full-batch gradient descent; returns the loss at every step."""
    mytorch.manual_seed(seed)
    points = mytorch.rand(256, 2) * 3 - 1.5  # (256, 2) uniform on [-1.5, 1.5]^2
    z = target(points)
    params = [p for n_in, n_out in zip(LAYERS, LAYERS[1:]) for p in linear_parameters(n_in, n_out)]

    losses = []
    for step in range(steps):
        loss = ((mlp(points, params) - z) ** 2).mean()  # mean squared error
        for p in params:
            p.grad = None  # gradients accumulate across backward calls: clear them first
        loss.backward()
        with mytorch.no_grad():  # the update itself must not become part of a graph
            for p in params:
                p -= lr * p.grad
        losses.append(loss.item())
        if log_every and (step % log_every == 0 or step == steps - 1):
            print(f"step {step:5d}   loss {loss.item():.5f}")
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    start = time.perf_counter()
    losses = fit(args.steps, args.lr, args.seed)
    seconds = time.perf_counter() - start
    n_params = sum((n_in + 1) * n_out for n_in, n_out in zip(LAYERS, LAYERS[1:]))
    print(
        f"fitted a {'-'.join(map(str, LAYERS))} tanh MLP ({n_params} parameters) to "
        f"sin(2x)cos(2y) on 256 points with {args.steps} full-batch SGD steps (lr {args.lr}) "
        f"using mytorch's autograd: "
        f"MSE {losses[0]:.4f} -> {losses[-1]:.4f} in {seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
