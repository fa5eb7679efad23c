import math

import numpy as np
import pytest

import mytorch
from harness import shallow_stack
from mytorch import Scalar


def as_tensor(value):
    return mytorch.tensor(value, dtype=mytorch.float64, requires_grad=True)


def agree(f, *values, grads=True):
    """f on Scalars and on float64 Tensors: the same value and the same gradients."""
    scalars = [Scalar(v) for v in values]
    tensors = [as_tensor(v) for v in values]
    s_out, t_out = f(*scalars), f(*tensors)
    assert s_out.value == pytest.approx(t_out.item(), rel=1e-12, abs=1e-15)
    if grads:
        s_out.backward()
        t_out.backward()
        for s, t in zip(scalars, tensors):
            expected = 0.0 if t.grad is None else t.grad.item()  # None: the input was unused
            assert s.grad == pytest.approx(expected, rel=1e-12, abs=1e-15)


EXPRESSIONS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow-number": lambda a, b: a ** 3 + b ** -0.5,
    "pow-scalar": lambda a, b: b ** a,
    "neg": lambda a, b: -a * b,
    "numbers-left": lambda a, b: 2 + a, "rsub": lambda a, b: 3 - a * b,
    "rmul": lambda a, b: 2.5 * a, "rdiv": lambda a, b: 1 / (a + b), "rpow": lambda a, b: 2 ** a,
    "exp": lambda a, b: (a * b).exp(),
    "log": lambda a, b: (a * a + b).log(),
    "tanh": lambda a, b: (a - b).tanh(),
    "relu": lambda a, b: (a - b).relu() + (b - a).relu() * 3,
    "sigmoid": lambda a, b: (a * b).sigmoid(),
    "shared": lambda a, b: a * b + a * a + (a * b).exp(),  # a used by several ops
}


@pytest.mark.parametrize("name", EXPRESSIONS)
@pytest.mark.parametrize("a, b", [(0.7, 1.3), (-1.2, 2.5), (2.0, 0.4)])
def test_agrees_with_tensor(name, a, b):
    agree(EXPRESSIONS[name], a, b)


def test_neuron_agrees_with_tensor():
    # the micrograd neuron: tanh(w1*x1 + w2*x2 + b)
    values = dict(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.881373587019543)
    s = {k: Scalar(v, label=k) for k, v in values.items()}
    t = {k: as_tensor(v) for k, v in values.items()}
    for d in (s, t):
        d["out"] = (d["w1"] * d["x1"] + d["w2"] * d["x2"] + d["b"]).tanh()
        d["out"].backward()
    assert s["out"].value == pytest.approx(math.sqrt(0.5), rel=1e-12)
    assert s["out"].value == pytest.approx(t["out"].item(), rel=1e-12)
    for k in values:
        assert s[k].grad == pytest.approx(t[k].grad.item(), rel=1e-12, abs=1e-15), k
    assert s["w1"].grad == pytest.approx(1.0, rel=1e-9)  # x1 * (1 - tanh^2) = 2 * 0.5


def test_small_mlp_agrees_with_tensor():
    rng = np.random.default_rng(0)
    W1, b1, W2 = rng.standard_normal((3, 2)), rng.standard_normal(3), rng.standard_normal(3)
    x = [0.5, -1.5]
    sW1 = [[Scalar(w) for w in row] for row in W1]
    sb1, sW2 = [Scalar(v) for v in b1], [Scalar(v) for v in W2]
    hidden = [sum((w * xi for w, xi in zip(row, x)), b).tanh() for row, b in zip(sW1, sb1)]
    s_out = sum((w * h for w, h in zip(sW2, hidden)), Scalar(0.0)).sigmoid()
    s_out.backward()
    tW1, tb1, tW2 = as_tensor(W1), as_tensor(b1), as_tensor(W2)
    t_out = ((tW1 * mytorch.tensor(x, dtype=mytorch.float64)).sum(1) + tb1).tanh()
    t_out = (t_out * tW2).sum().sigmoid()
    t_out.backward()
    assert s_out.value == pytest.approx(t_out.item(), rel=1e-12)
    np.testing.assert_allclose([[w.grad for w in row] for row in sW1], tW1.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose([v.grad for v in sb1], tb1.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose([v.grad for v in sW2], tW2.grad.numpy(), rtol=1e-12)


def test_graph_attributes():
    x, y = Scalar(2.0, label="x"), Scalar(3.0)
    z = x * y + 1
    assert (z.value, z.grad, z.op, z.label) == (7.0, 0.0, "+", "")
    product, one = z.inputs
    assert product.op == "*" and product.inputs == (x, y)
    assert one.op == "" and one.inputs == () and one.value == 1.0
    assert x.label == "x" and x.op == "" and x.inputs == ()
    assert (x ** 2).op == "**2" and x.exp().op == "exp" and x.relu().op == "relu"
    assert repr(Scalar(1.5)) == "Scalar(value=1.5, grad=0.0)"


def test_gradients_accumulate_and_zero_grad_resets():
    x = Scalar(3.0)
    y = x * 2
    z = y * 5  # dz/dx = 10, dz/dy = 5
    z.backward()
    assert (x.grad, y.grad, z.grad) == (10.0, 5.0, 1.0)
    z.backward()  # leaves accumulate exactly like Tensor; interior values are recomputed
    assert (x.grad, y.grad, z.grad) == (20.0, 5.0, 1.0)
    t = as_tensor(3.0)
    u = t * 2 * 5
    u.backward(retain_graph=True)
    u.backward()
    assert t.grad.item() == x.grad
    z.zero_grad()
    assert (x.grad, y.grad, z.grad) == (0.0, 0.0, 0.0)
    z.backward()
    assert x.grad == 10.0


def test_a_value_used_twice_gets_both_contributions():
    x = Scalar(3.0)
    (x * x).backward()  # d(x^2)/dx = 2x
    assert x.grad == 6.0
    a = Scalar(-2.0)
    b = a + a
    (b * a).backward()  # d(2a^2)/da = 4a
    assert a.grad == -8.0


def test_long_chain_does_not_recurse():
    x = Scalar(0.5)
    y = x
    with shallow_stack(200):  # a walk that recursed per node would fail on 40,000 nodes
        for _ in range(20_000):
            y = y * 1.0 + 0.0
        y.backward()
        del y
    assert x.grad == 1.0


def test_ieee_results_instead_of_exceptions_as_tensor():
    assert Scalar(0.0).log().value == -math.inf
    assert (Scalar(1.0) / 0.0).value == math.inf
    assert math.isnan(Scalar(-1.0).log().value)
    assert Scalar(1000.0).exp().value == math.inf
    assert Scalar(-1000.0).sigmoid().value == 0.0
    agree(lambda a, b: a ** b, 0.0, 2.0)  # d(a^b)/db at a = 0 is taken as 0, like Tensor


def test_relu_gradient_at_zero_is_zero_like_tensor():
    agree(lambda a, b: a.relu() * b, 0.0, 2.0)


def test_unsupported_operand_is_a_type_error():
    with pytest.raises(TypeError, match="Scalar"):
        Scalar(1.0) + "2"
