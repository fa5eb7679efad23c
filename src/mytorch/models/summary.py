"""``summary``: a model's layers, their output shapes and parameter counts, as a text table.

The table is measured, not declared: one forward pass on zeros runs with a
forward hook on every layer, and each hook records the layer's output shape.
The rows are the layers in the order they ran. A "layer" is a module with no
children, or one that holds parameters of its own besides its children.

Every model of the zoo inherits :class:`Model`, which knows the model's
default input shape and offers the table as ``model.summary()``; the function
:func:`summary` does the work and serves any ``Module``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mytorch import creation
from mytorch._tensor import Tensor
from mytorch.autograd.grad_mode import no_grad
from mytorch.nn.module import Module

__all__ = ["Model", "summary"]


def _shape_text(output: Any) -> str:
    """``(1, 6, 28, 28)`` for a Tensor; the shapes of a tuple's Tensors joined by commas."""
    if isinstance(output, Tensor):
        return str(tuple(output.shape))
    if isinstance(output, (tuple, list)):
        return ", ".join(_shape_text(item) for item in output)
    return type(output).__name__


def _is_layer(module: Module) -> bool:
    return not module._modules or any(p is not None for p in module._parameters.values())


def summary(model: Module, input_shape: Sequence[int]) -> str:
    """The layer table of ``model`` for one sample of shape ``input_shape``.

    Runs ``model`` once, in eval mode and without recording gradients, on a
    batch of one sample of zeros (in the dtype of the model's parameters);
    the training flags of every module are restored afterwards.

    Args:
        model: any module.
        input_shape: the shape of one sample, without the batch dimension,
            e.g. ``(1, 28, 28)``.

    Returns:
        The table: one row per layer (dotted name and type, output shape with
        the batch dimension of 1, parameters it holds itself), then the total,
        trainable and non-trainable parameter counts of the whole model.

    >>> import mytorch.nn as nn
    >>> print(summary(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), (4,)))
    Sequential (input (1, 4))
    -----------------------------------
    Layer (type)  Output shape  Param #
    ===================================
    0 (Linear)    (1, 3)             15
    1 (ReLU)      (1, 3)              0
    ===================================
    Total params: 15
    Trainable params: 15
    Non-trainable params: 0
    """
    rows: list[tuple[str, str, str]] = []
    counted: set[int] = set()  # a module run twice shows its parameters once

    def record(name: str, module: Module, args: Any, output: Any) -> None:
        own = 0 if id(module) in counted else sum(
            p.numel() for p in module.parameters(recurse=False)
        )
        counted.add(id(module))
        rows.append((f"{name} ({type(module).__name__})", _shape_text(output), f"{own:,}"))

    removers = [
        module.register_forward_hook(
            lambda m, args, out, name=name: record(name, m, args, out)
        )
        for name, module in model.named_modules()
        if _is_layer(module)
    ]
    modes = [(module, module.training) for module in model.modules()]
    params = list(model.parameters())
    dtype = next((p.dtype for p in params if p.dtype.kind == "f"), np.dtype(np.float32))
    shape = (1, *input_shape)
    try:
        model.eval()
        with no_grad():
            model(creation.zeros(*shape, dtype=dtype))
    finally:
        for remove in removers:
            remove()
        for module, training in modes:
            object.__setattr__(module, "training", training)

    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    header = ("Layer (type)", "Output shape", "Param #")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    rule_width = sum(widths) + 4

    def line(row: tuple[str, str, str]) -> str:
        return f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}"

    return "\n".join([
        f"{type(model).__name__} (input {shape})",
        "-" * rule_width,
        line(header),
        "=" * rule_width,
        *(line(row) for row in rows),
        "=" * rule_width,
        f"Total params: {total:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}",
    ])


class Model(Module):
    """Base of the model zoo: a ``Module`` that knows its input shape and prints its summary.

    Attributes:
        input_shape: the shape of one input sample, without the batch dimension
            (a class attribute, or set per instance where the constructor's
            arguments decide it).
    """

    input_shape: tuple[int, ...] = ()

    def summary(self, input_shape: Sequence[int] | None = None) -> str:
        """The layer table (see :func:`summary`) for one sample of ``input_shape``
        (default: the model's own ``input_shape``)."""
        return summary(self, self.input_shape if input_shape is None else tuple(input_shape))
