"""``Optimizer``: the base class that holds parameter groups and per-parameter state.

An optimizer owns a list of *parameter groups* (dicts with a ``'params'`` list and that
group's options, e.g. ``'lr'``) and a ``state`` dict keyed by parameter (a momentum buffer,
moment estimates, a step count...). ``step()`` walks every parameter that has a gradient
and hands its arrays to the subclass's ``_update``, which changes the parameter's array
in place with plain NumPy: an update is not part of any autograd graph.

``state_dict()`` has PyTorch's layout (state keyed by the parameter's integer index
across the groups, groups holding index lists) and holds only NumPy arrays and Python
numbers, so a checkpoint can be written without pickle.
"""

from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from mytorch._tensor import Tensor
from mytorch.autograd.grad_mode import enable_grad


def check_hyperparameter(optimizer: str, ok: bool, what: str, value: Any) -> None:
    """Raise ``ValueError("<optimizer>: Invalid <what>: <value>")`` unless ``ok``.

    The wording after the optimizer's name is PyTorch's (e.g. ``Invalid learning rate: -1``).
    """
    if not ok:
        raise ValueError(f"{optimizer}: Invalid {what}: {value}")


def lerp_(start: np.ndarray, end: np.ndarray, weight: float,
          scratch: np.ndarray | None = None) -> None:
    """``start <- start + weight * (end - start)`` in place, PyTorch's ``lerp_``.

    For ``weight >= 0.5`` it is computed from the ``end`` side,
    ``end - (end - start) * (1 - weight)``, so the result is exact at both ends.
    ``scratch`` (an array like ``start``, else one is made) holds the intermediate.
    """
    scratch = np.subtract(end, start, out=scratch)
    if abs(weight) < 0.5:
        scratch *= weight
        start += scratch
    else:
        scratch *= 1 - weight
        np.subtract(end, scratch, out=start)


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of Parameters (one group), or of dicts each with a
            ``'params'`` entry and per-group options that override ``defaults``.
        defaults: the default option values (e.g. ``{'lr': 0.1, 'momentum': 0}``).

    Subclasses implement ``_update(param, grad, state, group)``, which changes the
    parameter array ``param`` in place given its gradient array ``grad``, its state dict
    and its group's options, and may override ``_init_state(param, group)`` to create the
    state a parameter starts with (called once, at its first step).

    Examples:
        >>> import mytorch
        >>> from mytorch import nn
        >>> from mytorch.optim import SGD
        >>> model = nn.Linear(3, 1)
        >>> opt = SGD([{'params': [model.weight]}, {'params': [model.bias], 'lr': 0.5}], lr=0.1)
        >>> [g['lr'] for g in opt.param_groups]
        [0.1, 0.5]
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors "
                f"or dicts, but got {type(params).__name__}"
            )
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)
        self._scratch_memory: dict[tuple[np.dtype, int], np.ndarray] = {}

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing ones take the defaults).

        Raises:
            TypeError: the group is not a dict, its params are a set (unordered) or
                contain something other than a Tensor.
            ValueError: a parameter is not a leaf or already belongs to another group.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = {**self.defaults, **param_group, "params": params}
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters",
                UserWarning,
                stacklevel=2,
            )
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if not taken.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: set it to None (default) or fill it with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad = p.grad.detach()
                    p.grad._data = np.zeros_like(p.grad._data)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient (those whose grad is None are skipped).

        Args:
            closure: optional function that clears the gradients, recomputes the loss,
                calls ``backward`` and returns the loss; it runs (with grad mode on)
                before the update.

        Returns:
            The closure's loss, or None without a closure.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state.update(self._init_state(p._data, group))
                grad = p.grad._data.astype(p._data.dtype, copy=False)
                self._update(p._data, grad, state, group)
                p._bump_version()  # an in-place change: a graph that saved p refuses backward
        return loss

    def _scratch(self, like: np.ndarray, k: int = 0) -> np.ndarray:
        """Working array ``k``, shaped like ``like``: a view of a flat buffer the optimizer
        keeps and reuses for every parameter, so that an update writes its intermediate
        results with ``out=`` instead of allocating (and page-faulting) fresh temporaries
        of the parameter's size on every step. Its values are garbage until written."""
        buffer = self._scratch_memory.get((like.dtype, k))
        if buffer is None or buffer.size < like.size:
            buffer = self._scratch_memory[like.dtype, k] = np.empty(like.size, like.dtype)
        return buffer[:like.size].reshape(like.shape)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        """The state a parameter starts with (arrays shaped and typed like ``param``)."""
        return {}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        """Change ``param`` in place given ``grad``; update ``state``. Subclasses define it."""
        raise NotImplementedError

    # -- checkpoints ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state, in PyTorch's layout, as copies.

        Returns:
            ``{'state': {index: {name: array or number}}, 'param_groups': [options with
            'params' as a list of indices]}``; a parameter's index is its position when the
            groups are read in order.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {k: np.array(v) if isinstance(v, np.ndarray) else v
                           for k, v in s.items()}
            for p, s in self.state.items()
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()`` (the groups must have the same sizes as this optimizer's).

        Arrays are copied and cast to their parameter's dtype; step counts (also when
        read back as 0-d arrays) become Python ints. Group options, learning rates
        included, are replaced by the saved ones.

        Raises:
            ValueError: the number of groups, or the size of a group, differs.
        """
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for group, saved in zip(self.param_groups, saved_groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    f"of optimizer's group ({len(saved['params'])} vs {len(group['params'])} "
                    "parameters)"
                )
        param_of = {
            int(i): p
            for group, saved in zip(self.param_groups, saved_groups)
            for i, p in zip(saved["params"], group["params"])
        }
        self.state = defaultdict(dict)
        for i, saved_state in state_dict["state"].items():
            p = param_of[int(i)]
            self.state[p] = {k: _restore(k, v, p._data.dtype) for k, v in saved_state.items()}
        self.param_groups = [
            {**{k: as_python(v) for k, v in saved.items() if k != "params"},
             "params": group["params"]}
            for group, saved in zip(self.param_groups, saved_groups)
        ]

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        lines.append(")")
        return "\n".join(lines)


def _restore(key: str, value: Any, dtype: np.dtype) -> Any:
    """A saved state value as the optimizer keeps it: the step count an int, every buffer
    (a Tensor, array, or nested list as ``load`` may give back) a NumPy array in ``dtype``."""
    if key == "step":
        return int(np.asarray(value))
    return None if value is None else np.array(np.asarray(value), dtype=dtype)


def as_python(value: Any) -> Any:
    """``value`` with every Tensor, array or NumPy scalar in it turned into Python numbers
    (nested lists for arrays), as kept in group options and scheduler attributes: ``load``
    returns numbers from some files and 0-d Tensors from others."""
    if isinstance(value, (Tensor, np.ndarray, np.generic)):
        return np.asarray(value).tolist()
    if isinstance(value, dict):
        return {k: as_python(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(as_python(v) for v in value)
    return copy.deepcopy(value)
