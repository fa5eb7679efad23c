"""``Graph``: the ONNX graph being written, with the names of the traced tensors.

The rules in ``mytorch.onnx.ops`` and ``mytorch.onnx.layers`` see only this
interface: ``value(t)`` names a traced tensor (adding a parameter or a
constant as an initializer the first time), ``op(...)`` adds a node,
``bind(t, name)`` names an output. Each value also carries its *symbolic
shape*: the traced shape with the dynamic axes (``dynamic_axes``) as names,
which the rules that write a shape (Reshape, Expand) need so that they keep
the batch size free.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from mytorch._tensor import Tensor

Dims = tuple[int | str, ...]  # a shape, with names for the dynamic axes

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


class Graph:
    """Nodes, initializers and value names of the model being exported.

    Args:
        onnx: the ``onnx`` module (imported by ``export``, only when called).
        opset: the ONNX opset version the nodes follow.
        state_names: ``id(tensor) -> name`` for the model's parameters and buffers.
        module_names: ``id(module) -> name`` for the model's submodules.
    """

    def __init__(self, onnx: Any, opset: int, state_names: dict[int, str],
                 module_names: dict[int, str]) -> None:
        self.onnx = onnx
        self.opset = opset
        self.state_names = state_names
        self.module_names = module_names
        self.nodes: list[Any] = []
        self.initializers: dict[str, np.ndarray] = {}
        self.names: dict[int, str] = {}  # id(traced tensor) -> its value's name
        self.dims: dict[str, Dims] = {}  # value name -> symbolic shape
        self._used: set[str] = set()
        self._count = itertools.count()

    # -- names -------------------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        """A value name not used yet: ``hint``, else ``hint_<n>``."""
        name = hint
        while name in self._used:
            name = f"{hint}_{next(self._count)}"
        self._used.add(name)
        return name

    def value(self, t: Tensor) -> str:
        """The name of a traced tensor; a parameter, buffer or other constant not seen
        before becomes an initializer (parameters and buffers under their state names)."""
        name = self.names.get(id(t))
        if name == "":
            raise NotImplementedError(
                f"mytorch.onnx: a tensor of shape {t.shape} is an output that its op's ONNX "
                "rule does not write (such as batch norm's statistics), yet the model uses it"
            )
        if name is None:
            name = self.constant(t._data, self.state_names.get(id(t), "const"))
            self.names[id(t)] = name
        return name

    def constant(self, array: Any, hint: str = "const") -> str:
        """A new initializer holding ``array``."""
        name = self.fresh(hint)
        self.initializers[name] = np.asarray(array)
        self.dims[name] = np.shape(array)
        return name

    def ints(self, values: Sequence[int]) -> str:
        """An int64 vector constant (shapes, axes, pads, ...)."""
        return self.constant(np.asarray(values, dtype=np.int64), "ints")

    def operand(self, value: Any, dtype: np.dtype) -> str:
        """A tensor or a Python number as a value of ``dtype`` (cast when it differs)."""
        if not isinstance(value, Tensor):
            return self.constant(np.asarray(value, dtype=dtype))
        name = self.value(value)
        if value.dtype == dtype:
            return name
        return self.op("Cast", name, to=self.dtype_code(dtype))

    def bind(self, t: Tensor, name: str, dims: Dims | None = None) -> None:
        """Name the traced output ``t``; ``dims`` its symbolic shape (else inferred)."""
        self.names[id(t)] = name
        if dims is not None:
            self.dims[name] = dims

    def shape(self, t: Tensor) -> Dims:
        """The symbolic shape of a traced tensor."""
        return self.dims.get(self.names.get(id(t), ""), t.shape)

    # -- nodes -------------------------------------------------------------------------------
    def node(self, op_type: str, inputs: Sequence[str], outputs: int = 1,
             **attributes: Any) -> list[str]:
        """Add a node; returns the names of its ``outputs`` new values."""
        names = [self.fresh(op_type) for _ in range(outputs)]
        self.nodes.append(self.onnx.helper.make_node(
            op_type, list(inputs), names, name=self.fresh(f"node_{op_type}"), **attributes))
        return names

    def op(self, op_type: str, *inputs: str, **attributes: Any) -> str:
        """Add a node of one output; returns its name."""
        return self.node(op_type, inputs, 1, **attributes)[0]

    def reduce(self, op_type: str, x: str, axes: Sequence[int] | None, keepdims: bool) -> str:
        """``ReduceSum/Mean/Max/...`` over ``axes`` (None: all); the axes are an input
        from opset 18 (ReduceSum: 13), an attribute before."""
        keep = int(keepdims)
        if axes is None:
            return self.op(op_type, x, keepdims=keep)
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.op(op_type, x, self.ints(axes), keepdims=keep)
        return self.op(op_type, x, axes=list(axes), keepdims=keep)

    def dtype_code(self, dtype: Any) -> int:
        return int(self.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))
