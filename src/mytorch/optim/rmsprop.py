"""RMSprop: divide the gradient by a running root mean square of its recent values."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from mytorch.optim.optimizer import Optimizer, check_hyperparameter, lerp_


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), PyTorch's update rule, optionally centered and with momentum.

    With learning rate :math:`\gamma`, smoothing constant :math:`\alpha`, eps
    :math:`\epsilon`, momentum :math:`\mu` and weight decay :math:`\lambda`, each step does,
    per parameter (``v_0 = gbar_0 = b_0 = 0``)::

        g_t     = grad f(theta_{t-1})                 (negated when maximize)
        g_t     = g_t + lambda * theta_{t-1}          if lambda != 0
        v_t     = alpha * v_{t-1} + (1 - alpha) * g_t**2
        gbar_t  = alpha * gbar_{t-1} + (1 - alpha) * g_t         if centered
        s_t     = sqrt(v_t - gbar_t**2) + eps   if centered  else  sqrt(v_t) + eps
        b_t     = mu * b_{t-1} + g_t / s_t                       if mu > 0
        theta_t = theta_{t-1} - gamma * b_t     if mu > 0    else  theta_{t-1} - gamma * g_t / s_t

    State per parameter: ``step``, ``square_avg`` (v), with momentum ``momentum_buffer``
    (b), and when centered ``grad_avg`` (gbar).

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate :math:`\gamma` (default 1e-2).
        alpha: smoothing constant of the running mean square (default 0.99).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: L2 penalty :math:`\lambda` (default 0).
        momentum: momentum factor :math:`\mu` (default 0).
        centered: normalize by an estimate of the gradient's variance instead of its
            raw second moment.
        maximize: ascend the objective instead of descending it.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        check_hyperparameter("RMSprop", lr >= 0.0, "learning rate", lr)
        check_hyperparameter("RMSprop", eps >= 0.0, "epsilon value", eps)
        check_hyperparameter("RMSprop", momentum >= 0.0, "momentum value", momentum)
        check_hyperparameter("RMSprop", weight_decay >= 0.0, "weight_decay value", weight_decay)
        check_hyperparameter("RMSprop", alpha >= 0.0, "alpha value", alpha)
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        state = {"step": 0, "square_avg": np.zeros_like(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(param)
        return state

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        momentum, weight_decay = float(group["momentum"]), float(group["weight_decay"])
        g = -grad if group["maximize"] else grad
        state["step"] += 1
        if weight_decay != 0:
            g = g + weight_decay * param
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * g * g
        if group["centered"]:
            grad_avg = state["grad_avg"]
            lerp_(grad_avg, g, 1 - alpha, self._scratch(param))
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += eps
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += g / avg
            param -= lr * buf
        else:
            param -= lr * g / avg
