"""Reverse-mode automatic differentiation: TensorBase, Function, the engine, gradcheck.

The user-facing ``Tensor`` (``mytorch.Tensor``) subclasses ``TensorBase`` above the ops.
"""

from mytorch.autograd.engine import backward, grad
from mytorch.autograd.function import Function
from mytorch.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from mytorch.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from mytorch.autograd.graph import Node
from mytorch.autograd.tensor import TensorBase

__all__ = [
    "Function", "GradcheckError", "Node", "TensorBase", "backward", "enable_grad", "grad",
    "gradcheck", "gradgradcheck", "is_grad_enabled", "no_grad", "set_grad_enabled",
]
