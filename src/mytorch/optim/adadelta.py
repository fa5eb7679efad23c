"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from mytorch.optim.optimizer import Optimizer, check_hyperparameter


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), PyTorch's update rule.

    With learning rate :math:`\gamma`, decay :math:`\rho`, eps :math:`\epsilon` and weight
    decay :math:`\lambda`, each step does, per parameter (``v_0 = u_0 = 0``)::

        g_t       = grad f(theta_{t-1})                       (negated when maximize)
        g_t       = g_t + lambda * theta_{t-1}                if lambda != 0
        v_t       = rho * v_{t-1} + (1 - rho) * g_t**2
        dx_t      = sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g_t
        u_t       = rho * u_{t-1} + (1 - rho) * dx_t**2
        theta_t   = theta_{t-1} - gamma * dx_t

    State per parameter: ``step``, ``square_avg`` (v) and ``acc_delta`` (u).

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: coefficient :math:`\gamma` scaling the update (default 1.0).
        rho: decay of the running averages (default 0.9).
        eps: added inside the square roots for numerical stability (default 1e-6).
        weight_decay: L2 penalty :math:`\lambda` (default 0).
        maximize: ascend the objective instead of descending it.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0, *, maximize: bool = False) -> None:
        check_hyperparameter("Adadelta", lr >= 0.0, "learning rate", lr)
        check_hyperparameter("Adadelta", 0.0 <= rho <= 1.0, "rho value", rho)
        check_hyperparameter("Adadelta", eps >= 0.0, "epsilon value", eps)
        check_hyperparameter("Adadelta", weight_decay >= 0.0, "weight_decay value", weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "square_avg": np.zeros_like(param), "acc_delta": np.zeros_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
        weight_decay = float(group["weight_decay"])
        g = -grad if group["maximize"] else grad
        state["step"] += 1
        if weight_decay != 0:
            g = g + weight_decay * param
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * g * g
        delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * g
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param -= lr * delta
