"""``Scalar``: one number that remembers how it was computed, and backpropagates.

The whole of reverse-mode autodiff on a single page. Every operation makes a
new ``Scalar`` that records its ``inputs`` and the *local derivatives*
d(output)/d(input) at the current values. ``backward()`` then visits the
graph from the output back to the leaves and applies the chain rule::

    input.grad += local_derivative * output.grad

``mytorch.Tensor`` does the same thing with arrays instead of numbers.

>>> x = Scalar(2.0, label="x")
>>> y = x * x + 3 * x          # dy/dx = 2x + 3 = 7
>>> y.backward()
>>> x.grad
7.0
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

Number = int | float


def _ieee(fn: Callable[..., object], *args: float) -> float:
    """``fn(*args)`` in IEEE float arithmetic: inf or nan where Python's math would raise.

    That is what ``Tensor`` gives too (``log(0)`` is -inf, ``1 / 0`` is inf).
    """
    with np.errstate(all="ignore"):
        return float(fn(*args))  # type: ignore[arg-type]


class Scalar:
    """A float with a gradient, for teaching autograd (micrograd-style).

    Args:
        value: the number.
        label: an optional name, shown in ``mytorch.viz.to_dot`` graphs.

    Attributes:
        value: the number (a float).
        grad: d(root)/d(self) after ``root.backward()`` (a float, 0.0 at first).
        op: the operation that made it: ``''`` for a leaf, else ``'+'``, ``'*'``,
            ``'exp'``, ``'**2'``...
        label: its name, or ``''``.
        inputs: the Scalars it was computed from (``()`` for a leaf).

    Numbers mix freely with Scalars: ``2 * x``, ``x + 1``, ``1 / x``, ``2 ** x``.
    """

    def __init__(self, value: Number, label: str = "", *, inputs: tuple[Scalar, ...] = (),
                 op: str = "", local_grads: tuple[float, ...] = ()) -> None:
        self.value = float(value)
        self.grad = 0.0
        self.label = label
        self.inputs = inputs
        self.op = op
        self._local_grads = local_grads  # d(self)/d(input), one per input

    def __repr__(self) -> str:
        return f"Scalar(value={self.value!r}, grad={self.grad!r})"

    # -- arithmetic: each op returns its value and its local derivatives ----------
    def __add__(self, other: Scalar | Number) -> Scalar:
        other = _lift(other)
        return Scalar(self.value + other.value, inputs=(self, other), op="+",
                      local_grads=(1.0, 1.0))

    def __sub__(self, other: Scalar | Number) -> Scalar:
        other = _lift(other)
        return Scalar(self.value - other.value, inputs=(self, other), op="-",
                      local_grads=(1.0, -1.0))

    def __mul__(self, other: Scalar | Number) -> Scalar:
        other = _lift(other)
        # d(ab)/da = b, d(ab)/db = a
        return Scalar(self.value * other.value, inputs=(self, other), op="*",
                      local_grads=(other.value, self.value))

    def __truediv__(self, other: Scalar | Number) -> Scalar:
        other = _lift(other)
        a, b = self.value, other.value
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
        return Scalar(_ieee(np.divide, a, b), inputs=(self, other), op="/",
                      local_grads=(_ieee(np.divide, 1.0, b), _ieee(np.divide, -a, b * b)))

    def __pow__(self, exponent: Scalar | Number) -> Scalar:
        a = self.value
        if not isinstance(exponent, Scalar):  # a constant power: d(a^n)/da = n a^(n-1)
            n = float(exponent)
            return Scalar(_ieee(np.power, a, n), inputs=(self,), op=f"**{exponent}",
                          local_grads=(n * _ieee(np.power, a, n - 1),))
        b = exponent.value
        out = _ieee(np.power, a, b)
        # d(a^b)/db = a^b log(a), taken as 0 where a == 0 (as Tensor and PyTorch do)
        log_a = _ieee(np.log, a) if a != 0 else 0.0
        return Scalar(out, inputs=(self, exponent), op="**",
                      local_grads=(b * _ieee(np.power, a, b - 1), out * log_a))

    def __neg__(self) -> Scalar:
        return Scalar(-self.value, inputs=(self,), op="neg", local_grads=(-1.0,))

    def __radd__(self, other: Number) -> Scalar:
        return _lift(other) + self

    def __rsub__(self, other: Number) -> Scalar:
        return _lift(other) - self

    def __rmul__(self, other: Number) -> Scalar:
        return _lift(other) * self

    def __rtruediv__(self, other: Number) -> Scalar:
        return _lift(other) / self

    def __rpow__(self, base: Number) -> Scalar:
        return _lift(base) ** self

    # -- functions ---------------------------------------------------------------
    def exp(self) -> Scalar:
        e = _ieee(np.exp, self.value)
        return Scalar(e, inputs=(self,), op="exp", local_grads=(e,))  # exp' = exp

    def log(self) -> Scalar:
        return Scalar(_ieee(np.log, self.value), inputs=(self,), op="log",
                      local_grads=(_ieee(np.divide, 1.0, self.value),))  # log' = 1/x

    def tanh(self) -> Scalar:
        t = math.tanh(self.value)
        return Scalar(t, inputs=(self,), op="tanh", local_grads=(1.0 - t * t,))

    def relu(self) -> Scalar:
        positive = self.value > 0
        return Scalar(self.value if positive else 0.0, inputs=(self,), op="relu",
                      local_grads=(1.0 if positive else 0.0,))

    def sigmoid(self) -> Scalar:
        s = _ieee(np.divide, 1.0, 1.0 + _ieee(np.exp, -self.value))  # 1 / (1 + e^-x)
        return Scalar(s, inputs=(self,), op="sigmoid", local_grads=(s * (1.0 - s),))

    # -- backpropagation -----------------------------------------------------------
    def backward(self) -> None:
        """Fill ``grad`` of every Scalar this one depends on with d(self)/d(that Scalar).

        Leaves *accumulate*, as in PyTorch: two ``backward()`` calls give twice the
        gradient, so call ``zero_grad()`` between training steps. Interior values are
        recomputed from zero on every call (micrograd lets them accumulate too, which
        makes a second call add more than twice the first).
        """
        order = self._topological_order()
        for node in order:
            if node.inputs:
                node.grad = 0.0
        self.grad += 1.0  # d(self)/d(self)
        for node in reversed(order):  # every node's grad is complete before it is used
            for inp, local in zip(node.inputs, node._local_grads):
                inp.grad += local * node.grad  # the chain rule

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 for this Scalar and every Scalar it was computed from."""
        for node in self._topological_order():
            node.grad = 0.0

    def _topological_order(self) -> list[Scalar]:
        """Every Scalar reachable from this one, inputs before the values made from them.

        A depth-first search with an explicit stack instead of recursion, so a
        chain of 100,000 operations does not hit Python's recursion limit.
        """
        order: list[Scalar] = []
        visited: set[int] = set()
        stack: list[tuple[Scalar, bool]] = [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)  # all its inputs are already in order
            elif id(node) not in visited:
                visited.add(id(node))
                stack.append((node, True))  # comes back after its inputs
                stack.extend((inp, False) for inp in node.inputs if id(inp) not in visited)
        return order


def _lift(x: Scalar | Number) -> Scalar:
    """Wrap a plain number as a constant Scalar."""
    if isinstance(x, Scalar):
        return x
    if isinstance(x, numbers.Real):
        return Scalar(x)
    raise TypeError(f"Scalar: unsupported operand of type {type(x).__name__}")
