"""Reverse-mode automatic differentiation: Tensor, Function, the engine, gradcheck."""

from mytorch.autograd.engine import backward, grad
from mytorch.autograd.function import Function, Node
from mytorch.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from mytorch.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from mytorch.autograd.tensor import Tensor

__all__ = [
    "Function", "GradcheckError", "Node", "Tensor", "backward", "enable_grad", "grad",
    "gradcheck", "gradgradcheck", "is_grad_enabled", "no_grad", "set_grad_enabled",
]
