"""Adagrad: per-coordinate learning rates from the sum of all past squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from mytorch.optim.optimizer import Optimizer, check_hyperparameter


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), PyTorch's update rule.

    With learning rate :math:`\gamma`, learning-rate decay :math:`\eta`, weight decay
    :math:`\lambda` and eps :math:`\epsilon`, each step ``t = 1, 2, ...`` does, per
    parameter (``s_0 = initial_accumulator_value``)::

        g_t       = grad f(theta_{t-1})             (negated when maximize)
        g_t       = g_t + lambda * theta_{t-1}      if lambda != 0
        gamma_t   = gamma / (1 + (t - 1) * eta)
        s_t       = s_{t-1} + g_t**2
        theta_t   = theta_{t-1} - gamma_t * g_t / (sqrt(s_t) + eps)

    State per parameter: ``step`` and ``sum`` (s), created for every parameter at
    construction, as in PyTorch.

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate :math:`\gamma` (default 1e-2).
        lr_decay: learning-rate decay :math:`\eta` (default 0).
        weight_decay: L2 penalty :math:`\lambda` (default 0).
        initial_accumulator_value: starting value of the sum of squares (default 0).
        eps: added to the denominator for numerical stability (default 1e-10).
        maximize: ascend the objective instead of descending it.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        check_hyperparameter("Adagrad", lr >= 0.0, "learning rate", lr)
        check_hyperparameter("Adagrad", lr_decay >= 0.0, "lr_decay value", lr_decay)
        check_hyperparameter("Adagrad", weight_decay >= 0.0, "weight_decay value", weight_decay)
        check_hyperparameter("Adagrad", initial_accumulator_value >= 0.0,
                             "initial_accumulator_value value", initial_accumulator_value)
        check_hyperparameter("Adagrad", eps >= 0.0, "epsilon value", eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._init_state(p._data, group)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0,
                "sum": np.full_like(param, group["initial_accumulator_value"])}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        lr, lr_decay, eps = float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
        weight_decay = float(group["weight_decay"])
        g = -grad if group["maximize"] else grad
        state["step"] += 1
        if weight_decay != 0:
            g = g + weight_decay * param
        clr = lr / (1 + (state["step"] - 1) * lr_decay)
        state_sum = state["sum"]
        state_sum += g * g
        std = np.sqrt(state_sum)
        std += eps
        param -= clr * g / std
