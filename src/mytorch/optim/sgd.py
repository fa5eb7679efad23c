"""Stochastic gradient descent, with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from mytorch.optim.optimizer import Optimizer, check_hyperparameter


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), PyTorch's update rule.

    With learning rate :math:`\gamma`, momentum :math:`\mu`, dampening :math:`\tau` and
    weight decay :math:`\lambda`, each step ``t = 1, 2, ...`` does, per parameter::

        g_t   = grad f(theta_{t-1})                (negated when maximize)
        g_t   = g_t + lambda * theta_{t-1}         if lambda != 0
        b_t   = g_t                                if t == 1      (mu != 0 only)
              = mu * b_{t-1} + (1 - tau) * g_t     otherwise
        g_t   = g_t + mu * b_t  if nesterov  else  b_t
        theta_t = theta_{t-1} - gamma * g_t

    The momentum buffer ``b`` is kept in ``state[p]['momentum_buffer']``.

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate :math:`\gamma` (default 1e-3).
        momentum: momentum factor :math:`\mu` (default 0).
        dampening: dampening :math:`\tau` of the momentum (default 0).
        weight_decay: L2 penalty :math:`\lambda` (default 0).
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: ascend the objective instead of descending it.

    >>> import mytorch
    >>> from mytorch.nn import Parameter
    >>> w = Parameter(mytorch.tensor([1.0, 2.0]))
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> w.grad = mytorch.tensor([1.0, 1.0])
    >>> opt.step()
    >>> w
    Parameter containing:
    tensor([0.9000, 1.9000], requires_grad=True)
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        check_hyperparameter("SGD", lr >= 0.0, "learning rate", lr)
        check_hyperparameter("SGD", momentum >= 0.0, "momentum value", momentum)
        check_hyperparameter("SGD", weight_decay >= 0.0, "weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        lr, momentum = float(group["lr"]), float(group["momentum"])
        dampening, weight_decay = float(group["dampening"]), float(group["weight_decay"])
        g = -grad if group["maximize"] else grad
        if weight_decay != 0:
            g = g + weight_decay * param
        scratch = self._scratch(param)  # every intermediate goes here: no temporaries
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= momentum
                if dampening != 0:
                    np.multiply(g, 1 - dampening, out=scratch)
                    buf += scratch
                else:
                    buf += g
            if group["nesterov"]:
                np.multiply(buf, momentum, out=scratch)
                g = np.add(g, scratch, out=scratch)
            else:
                g = buf
        np.multiply(g, lr, out=scratch)
        param -= scratch
