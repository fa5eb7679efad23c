"""The recurrent-cell kernels, on arrays only: each cell's chain rule against central
differences of its gate equations, and the hidden projection's gradients. (The op's recorded
create_graph path, the same chain rule as composed Tensor ops, is checked against this kernel
in tests/nn/test_rnn.py.)"""

import ast
from pathlib import Path

import numpy as np
import pytest

from mytorch.kernels import rnn as K

N, H = 3, 4


def numerical_grad(f, x, eps=1e-6):
    """d f / d x by central differences, ``f`` a scalar function of the array ``x``."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + eps
        up = f()
        x[i] = saved - eps
        down = f()
        x[i] = saved
        grad[i] = (up - down) / (2 * eps)
    return grad


@pytest.mark.parametrize("mode", list(K.CELLS))
def test_chain_rule_matches_central_differences(mode):
    """One step: the cell reads its projections scaled by ``cell.scale`` (``forward``), and
    ``backward`` gives the gradients of the unscaled ones."""
    cell = K.CELLS[mode]
    rng = np.random.default_rng(0)
    G = cell.num_gates
    gi, gh = rng.standard_normal((N, G * H)), rng.standard_normal((N, G * H))
    state = tuple(rng.standard_normal((N, H)) for _ in range(2 if mode == "LSTM" else 1))
    scale = K.per_gate(cell.scale, H, gi.dtype)

    def step():  # the new state, and the cache
        new_state = tuple(np.empty_like(s) for s in state)
        return new_state, cell.forward(gi * scale, gh * scale, state, new_state)

    new_state, cache = step()
    upstream = tuple(rng.standard_normal(s.shape) for s in new_state)

    def loss():  # <upstream, new state>: its gradient is the chain rule applied to upstream
        return sum((u * s).sum() for u, s in zip(upstream, step()[0]))

    ggi = np.empty_like(gi)
    ggh = ggi if cell.same_grads else np.empty_like(gh)
    gstate = cell.backward(upstream, state, cache, ggi, ggh)
    np.testing.assert_allclose(ggi, numerical_grad(loss, gi), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ggh, numerical_grad(loss, gh), rtol=1e-6, atol=1e-8)
    for g, s in zip(gstate, state):  # paths that skip gh (None: there is none)
        expected = numerical_grad(loss, s)
        np.testing.assert_allclose(np.zeros_like(s) if g is None else g, expected,
                                   rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode", list(K.CELLS))
@pytest.mark.parametrize("reverse", [False, True])
def test_sequence_backward_matches_central_differences(mode, reverse):
    """Backpropagation through time, biases and initial state included, on a short sequence."""
    cell = K.CELLS[mode]
    rng = np.random.default_rng(2)
    T, GH = 3, cell.num_gates * H
    gi, W = rng.standard_normal((T, N, GH)), rng.standard_normal((GH, H)) * 0.5
    b_ih, b_hh = rng.standard_normal(GH), rng.standard_normal(GH)
    initial = tuple(rng.standard_normal((N, H)) for _ in range(2 if mode == "LSTM" else 1))
    states, steps = K.run_sequence(cell, gi, W, b_ih, b_hh, initial, reverse)
    upstream = tuple(rng.standard_normal(s.shape) for s in states)

    def loss():  # <upstream, every state>
        out = K.run_sequence(cell, gi, W, b_ih, b_hh, initial, reverse)[0]
        return sum((u * s).sum() for u, s in zip(upstream, out))

    ggi, gW, gb_ih, gb_hh, g_initial = K.sequence_backward(cell, upstream, W, initial, states,
                                                           steps, reverse)
    for grad, x in [(ggi, gi), (gW, W), (gb_ih, b_ih), (gb_hh, b_hh), *zip(g_initial, initial)]:
        np.testing.assert_allclose(grad, numerical_grad(loss, x), rtol=1e-6, atol=1e-8)


def test_reversed_sequence_runs_the_last_step_first():
    cell = K.CELLS["GRU"]
    rng = np.random.default_rng(3)
    gi, W = rng.standard_normal((4, N, 3 * H)), rng.standard_normal((3 * H, H))
    h0 = (rng.standard_normal((N, H)),)
    forward = K.run_sequence(cell, gi[::-1], W, None, None, h0)[0][0]
    backward = K.run_sequence(cell, gi, W, None, None, h0, reverse=True)[0][0]
    np.testing.assert_allclose(backward, forward[::-1], rtol=1e-12)


@pytest.mark.parametrize("module", ["rnn.py", "normalization.py"])
def test_kernel_imports_neither_autograd_nor_ops(module):
    """A kernel takes arrays only: it imports NumPy, the standard library and other kernels."""
    source = Path(K.__file__).with_name(module).read_text()
    imported = {alias.name for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(ast.parse(source))
                 if isinstance(node, ast.ImportFrom)}
    mytorch = {name for name in imported if name.split(".")[0] == "mytorch"}
    assert all(name.startswith("mytorch.kernels") for name in mytorch), mytorch
