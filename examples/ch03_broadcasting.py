"""Chapter 3: broadcasting's adjoint is sum_to; reductions, reshape and indexing backward; the
swap rule for matmul, tensordot and einsum gradients.

    python examples/ch03_broadcasting.py

Every claim printed is asserted: the adjoint identity <broadcast(x), g> = <x, sum_to(g)>, the
bias gradient of x + b, sum/mean/max backward, reshape and permute backward, indexing with a
repeated index, and matmul/tensordot/einsum gradients equal to the swap-rule formulas and to
finite differences (gradcheck).
"""

from __future__ import annotations

import numpy as np

import mytorch
from mytorch.autograd.fit import broadcast_to, sum_to


def adjoint_identity(rng: np.random.Generator) -> None:
    """<B x, g> = <x, B* g> for broadcasting B from (3, 1) to (2, 3, 4) and B* = sum_to."""
    x = mytorch.tensor(rng.standard_normal((3, 1)))
    g = mytorch.tensor(rng.standard_normal((2, 3, 4)))
    left = (broadcast_to(x, (2, 3, 4)) * g).sum().item()
    right = (x * sum_to(g, (3, 1))).sum().item()
    np.testing.assert_allclose(left, right, rtol=1e-12)
    print(f"<broadcast(x), g> = {left:.6f} = <x, sum_to(g)> = {right:.6f}")


def bias_gradient(rng: np.random.Generator) -> None:
    """y = x + b with x (N, C) and b (C,): b's gradient is the upstream gradient summed over N."""
    x = mytorch.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    b = mytorch.tensor(rng.standard_normal(3), requires_grad=True)
    g = rng.standard_normal((5, 3))
    (x + b).backward(mytorch.tensor(g))
    assert b.grad is not None and b.grad.shape == (3,)
    np.testing.assert_allclose(b.grad.numpy(), g.sum(axis=0), rtol=1e-12)
    print("bias gradient: shape", b.grad.shape, "= upstream gradient summed over the batch")


def reductions_and_shapes() -> None:
    x = mytorch.tensor([[1.0, 5.0, 5.0], [2.0, 0.0, 3.0]], requires_grad=True)
    x.sum(dim=1).backward(mytorch.tensor([10.0, 20.0]))
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.numpy(), [[10, 10, 10], [20, 20, 20]])
    x.grad = None
    x.mean().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 3), 1 / 6))
    x.grad = None
    x.amax(dim=1).sum().backward()  # a tie (5, 5) shares the gradient
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5, 0.5], [0, 0, 1]])
    x.grad = None
    x.max(dim=1).values.sum().backward()  # max with dim: the first maximum takes it all
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [0, 0, 1]])
    print("sum backward broadcasts, mean divides by n, amax splits ties, max(dim) picks one")

    y = mytorch.arange(24.0).reshape(2, 3, 4).requires_grad_()
    g = mytorch.arange(24.0).reshape(4, 2, 3)
    y.permute(2, 0, 1).backward(g)
    assert y.grad is not None
    np.testing.assert_array_equal(y.grad.numpy(), g.numpy().transpose(1, 2, 0))
    y.grad = None
    y.reshape(6, 4).backward(mytorch.ones(6, 4))
    assert y.grad.shape == (2, 3, 4)
    print("permute backward applies the inverse permutation; reshape backward reshapes back")


def indexing() -> None:
    x = mytorch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    x[mytorch.tensor([0, 0, 2, 0])].sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.numpy(), [3, 0, 1, 0])
    print("x[[0, 0, 2, 0]].sum() backward: x.grad =", x.grad, "(index 0 read three times)")


def swap_rule(rng: np.random.Generator) -> None:
    a = mytorch.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    b = mytorch.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    gy = mytorch.tensor(rng.standard_normal((4, 5)))
    (a @ b).backward(gy)
    assert a.grad is not None and b.grad is not None
    np.testing.assert_allclose(a.grad.numpy(), gy.numpy() @ b.detach().numpy().T, rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), a.detach().numpy().T @ gy.numpy(), rtol=1e-12)
    print("matmul: gA = gY @ B^T and gB = A^T @ gY")

    ga, gb = a.grad.clone(), b.grad.clone()
    a.grad = b.grad = None
    mytorch.einsum("ij,jk->ik", a, b).backward(gy)
    np.testing.assert_allclose(a.grad.numpy(), ga.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), gb.numpy(), rtol=1e-12)
    a.grad = b.grad = None
    mytorch.tensordot(a, b, dims=1).backward(gy)
    np.testing.assert_allclose(a.grad.numpy(), ga.numpy(), rtol=1e-12)
    print("einsum('ij,jk->ik') and tensordot(dims=1) give the same gradients as matmul")

    # the swap rule on other equations, against finite differences (float64)
    t = mytorch.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    u = mytorch.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    m = mytorch.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    assert mytorch.autograd.gradcheck(lambda p, q: mytorch.einsum("bij,jk->bik", p, q), (t, u))
    assert mytorch.autograd.gradcheck(lambda p, q: mytorch.tensordot(p, q, ([1, 2], [1, 0])),
                                      (t, u))
    assert mytorch.autograd.gradcheck(lambda p: mytorch.einsum("ii->", p), (m,))
    mytorch.einsum("ii->", m).backward()
    assert m.grad is not None
    np.testing.assert_array_equal(m.grad.numpy(), np.eye(3))
    print("gradcheck passes for 'bij,jk->bik', a 2-axis tensordot and the trace 'ii->'"
          " (whose gradient is the identity)")


def main() -> None:
    rng = np.random.default_rng(0)
    adjoint_identity(rng)
    bias_gradient(rng)
    reductions_and_shapes()
    indexing()
    swap_rule(rng)


if __name__ == "__main__":
    main()
