"""Chapter 1: the graph autograd records, the gradients it computes, and how they accumulate.

    python examples/ch01_autograd.py

On the tiny graph loss = sum(z * tanh(z)) with z = x * w, it prints the recorded graph
(grad_fn and next_functions), checks backward's gradients against the chain rule worked by
hand and against finite differences, shows that .grad accumulates while autograd.grad leaves
it alone, and takes a second derivative with create_graph=True. (The same numbers from
PyTorch are checked by the test suite, tests/, which imports torch as its oracle.)
"""

from __future__ import annotations

import numpy as np

import mytorch


def loss_of(x: mytorch.Tensor, w: mytorch.Tensor) -> mytorch.Tensor:
    z = x * w
    return (z * z.tanh()).sum()


def print_graph(node: mytorch.autograd.Node, depth: int = 0) -> None:
    """The recorded graph, from the loss's grad_fn down its next_functions."""
    print("    " * depth + node.name())
    for next_node, _ in node.next_functions:
        if next_node is not None:
            print_graph(next_node, depth + 1)


def main() -> None:
    x = mytorch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    w = mytorch.tensor([1.5, 0.5, -0.3], requires_grad=True)
    loss = loss_of(x, w)
    print("the graph of loss = sum(z * tanh(z)), z = x * w:")
    print_graph(loss.grad_fn)

    loss.backward()
    # by hand: dloss/dz = tanh(z) + z (1 - tanh(z)^2), then dz/dx = w and dz/dw = x
    xs, ws = x.detach().numpy(), w.detach().numpy()
    z = xs * ws
    dz = np.tanh(z) + z * (1 - np.tanh(z) ** 2)
    np.testing.assert_allclose(x.grad.numpy(), dz * ws, rtol=1e-6)
    np.testing.assert_allclose(w.grad.numpy(), dz * xs, rtol=1e-6)
    print("x.grad =", x.grad, "= the chain rule by hand")

    # finite differences in float64: (f(x + h e_i) - f(x - h e_i)) / 2h
    x64, w64 = x.detach().double(), w.detach().double()
    h = 1e-6
    numeric = []
    for i in range(3):
        e = mytorch.zeros(3, dtype=mytorch.float64)
        e[i] = h
        numeric.append((loss_of(x64 + e, w64) - loss_of(x64 - e, w64)).item() / (2 * h))
    np.testing.assert_allclose(x.grad.numpy(), numeric, rtol=1e-4)
    print("finite differences agree:", np.round(numeric, 4))

    # .grad accumulates: a second backward adds the same gradient again
    first = x.grad.clone()
    loss_of(x, w).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first.numpy(), rtol=1e-6)
    print("after a second backward, x.grad is twice the first:", x.grad)

    # autograd.grad returns the gradient and leaves .grad alone
    x.grad = None
    (gx,) = mytorch.autograd.grad(loss_of(x, w), x)
    assert x.grad is None
    np.testing.assert_allclose(gx.numpy(), first.numpy(), rtol=1e-6)
    print("autograd.grad returned", gx, "and x.grad is still", x.grad)

    # gradients of gradients: d/dt t^3 = 3t^2, d2/dt2 t^3 = 6t
    t = mytorch.tensor(2.0, requires_grad=True)
    (g,) = mytorch.autograd.grad(t ** 3, t, create_graph=True)
    (gg,) = mytorch.autograd.grad(g, t)
    assert g.item() == 12.0 and gg.item() == 12.0
    print(f"d(t^3)/dt at t=2: {g.item()}, d2(t^3)/dt2: {gg.item()}")


if __name__ == "__main__":
    main()
