"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from mytorch.optim.optimizer import Optimizer, check_hyperparameter, lerp_


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), PyTorch's update rule, with the AMSGrad variant.

    With learning rate :math:`\gamma`, betas :math:`(\beta_1, \beta_2)`, eps
    :math:`\epsilon` and weight decay :math:`\lambda`, each step ``t = 1, 2, ...`` does,
    per parameter (``m_0 = v_0 = vmax_0 = 0``)::

        g_t     = grad f(theta_{t-1})                  (negated when maximize)
        theta   = theta_{t-1} * (1 - gamma * lambda)   if decoupled (AdamW)
        g_t     = g_t + lambda * theta_{t-1}           otherwise, if lambda != 0
        m_t     = beta1 * m_{t-1} + (1 - beta1) * g_t
        v_t     = beta2 * v_{t-1} + (1 - beta2) * g_t**2
        vmax_t  = max(vmax_{t-1}, v_t)                 if amsgrad (then used instead of v_t)
        theta_t = theta - gamma / (1 - beta1**t) * m_t / (sqrt(v_t) / sqrt(1 - beta2**t) + eps)

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v) and, with amsgrad,
    ``max_exp_avg_sq`` (vmax).

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate :math:`\gamma` (default 1e-3).
        betas: decay rates of the running means of the gradient and of its square
            (default (0.9, 0.999)).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: weight decay :math:`\lambda` (default 0), an L2 penalty added to
            the gradient unless ``decoupled_weight_decay``.
        amsgrad: normalize by the running maximum of ``v`` (AMSGrad).
        maximize: ascend the objective instead of descending it.
        decoupled_weight_decay: shrink the parameter directly (AdamW) instead.

    >>> import mytorch
    >>> from mytorch.nn import Parameter
    >>> w = Parameter(mytorch.tensor([1.0, 2.0]))
    >>> opt = Adam([w], lr=0.1)
    >>> w.grad = mytorch.tensor([3.0, -0.5])
    >>> opt.step()
    >>> w
    Parameter containing:
    tensor([0.9000, 2.1000], requires_grad=True)
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        name = type(self).__name__
        check_hyperparameter(name, lr >= 0.0, "learning rate", lr)
        check_hyperparameter(name, eps >= 0.0, "epsilon value", eps)
        check_hyperparameter(name, 0.0 <= betas[0] < 1.0, "beta parameter at index 0", betas[0])
        check_hyperparameter(name, 0.0 <= betas[1] < 1.0, "beta parameter at index 1", betas[1])
        check_hyperparameter(name, weight_decay >= 0.0, "weight_decay value", weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        state = {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        return state

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        lr, eps = float(group["lr"]), float(group["eps"])
        weight_decay = float(group["weight_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        g = -grad if group["maximize"] else grad
        state["step"] += 1
        t = state["step"]
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * weight_decay
            else:
                g = g + weight_decay * param
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        # every intermediate goes to two scratch arrays: no temporaries
        scratch, denom = self._scratch(param, 0), self._scratch(param, 1)
        lerp_(exp_avg, g, 1 - beta1, scratch)
        exp_avg_sq *= beta2
        np.multiply(g, 1 - beta2, out=scratch)
        scratch *= g
        exp_avg_sq += scratch
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            exp_avg_sq = state["max_exp_avg_sq"]
        step_size = lr / (1 - beta1**t)
        np.sqrt(exp_avg_sq, out=denom)
        denom /= (1 - beta2**t) ** 0.5
        denom += eps
        np.multiply(exp_avg, step_size, out=scratch)
        scratch /= denom
        param -= scratch


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    The same update as :class:`Adam` except that the weight decay shrinks the parameter
    directly, ``theta <- theta * (1 - lr * weight_decay)``, before the Adam step, instead of
    being added to the gradient (where the adaptive scaling would distort it).

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate (default 1e-3).
        betas: decay rates of the two running means (default (0.9, 0.999)).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: decoupled weight decay coefficient (default 1e-2).
        amsgrad: normalize by the running maximum of the second moment (AMSGrad).
        maximize: ascend the objective instead of descending it.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
