"""no_grad / enable_grad / set_grad_enabled: nesting, decorators, restoring on errors."""

from __future__ import annotations

import pytest

import mytorch


def _records() -> bool:
    """Whether an op on a leaf that requires grad records a graph right now."""
    return (mytorch.ones(1, requires_grad=True) * 2).requires_grad


def test_default_is_enabled() -> None:
    assert mytorch.is_grad_enabled() and _records()


def test_no_grad_block() -> None:
    x = mytorch.ones(2, requires_grad=True)
    with mytorch.no_grad():
        y = x * 2
        assert not mytorch.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert mytorch.is_grad_enabled()


def test_nesting_restores_each_level() -> None:
    with mytorch.no_grad():
        assert not _records()
        with mytorch.enable_grad():
            assert _records()
            with mytorch.no_grad():
                assert not _records()
            assert _records()
        assert not _records()
    assert _records()


def test_enable_grad_outside_no_grad_is_harmless() -> None:
    with mytorch.enable_grad():
        assert _records()
    assert _records()


def test_state_restored_after_exception() -> None:
    with pytest.raises(ValueError):
        with mytorch.no_grad():
            raise ValueError("boom")
    assert mytorch.is_grad_enabled()


def test_no_grad_as_decorator() -> None:
    @mytorch.no_grad()
    def step(x: mytorch.Tensor) -> mytorch.Tensor:
        return x * 2

    y = step(mytorch.ones(2, requires_grad=True))
    assert not y.requires_grad
    assert mytorch.is_grad_enabled()
    assert step.__name__ == "step"  # functools.wraps keeps the name


def test_enable_grad_as_decorator_inside_no_grad() -> None:
    @mytorch.enable_grad()
    def record(x: mytorch.Tensor) -> mytorch.Tensor:
        return x * 2

    with mytorch.no_grad():
        y = record(mytorch.ones(2, requires_grad=True))
        assert not mytorch.is_grad_enabled()
    assert y.requires_grad


def test_decorated_function_can_be_called_again_and_nested() -> None:
    @mytorch.no_grad()
    def inner() -> bool:
        return mytorch.is_grad_enabled()

    @mytorch.enable_grad()
    def outer() -> tuple[bool, bool, bool]:
        return mytorch.is_grad_enabled(), inner(), mytorch.is_grad_enabled()

    assert outer() == (True, False, True)
    assert outer() == (True, False, True)


def test_set_grad_enabled_as_call_and_context() -> None:
    mytorch.set_grad_enabled(False)
    try:
        assert not _records()
    finally:
        mytorch.set_grad_enabled(True)
    assert _records()
    for mode in (False, True):
        with mytorch.set_grad_enabled(mode):
            assert _records() is mode
        assert _records()


def test_set_grad_enabled_as_decorator() -> None:
    @mytorch.set_grad_enabled(False)
    def f() -> bool:
        return mytorch.is_grad_enabled()

    assert mytorch.is_grad_enabled()  # decorating does not switch
    assert f() is False
    assert mytorch.is_grad_enabled()


def test_autograd_namespace_exports() -> None:
    assert mytorch.autograd.no_grad is mytorch.no_grad
    assert mytorch.autograd.enable_grad is mytorch.enable_grad


def test_no_grad_allows_in_place_update_of_leaf() -> None:
    w = mytorch.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with mytorch.no_grad():
        w -= 0.5 * w.grad
    assert w.is_leaf and w.requires_grad
    assert w.detach().tolist() == [0.0, 0.0]


def test_in_place_on_leaf_requiring_grad_outside_no_grad_raises() -> None:
    w = mytorch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        w += 1
    with pytest.raises(RuntimeError, match="in-place"):
        w.zero_()
