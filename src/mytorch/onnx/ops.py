"""Op rules: each traced ``Function`` call written as ONNX nodes.

``OPS`` maps a ``Function`` subclass to its rule, ``rule(graph, call)``,
which reads the call's arguments (the same ones the op's ``forward`` got,
attributes included), adds nodes and binds the call's outputs. A rule writes
what the op computes, so ONNX Runtime reproduces mytorch's numbers: average
pooling's divisor, the matrices of interpolation and adaptive pooling, the
exact padding of every window are taken from the traced op, not re-derived.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from mytorch._tensor import Tensor
from mytorch.autograd import fit
from mytorch.autograd.function import Function
from mytorch.kernels.windows import Windows
from mytorch.onnx.graph import INT64_MAX, INT64_MIN, Dims, Graph
from mytorch.ops import (
    activation,
    conv,
    elementwise,
    index,
    linalg,
    normalization,
    pool,
    reduce,
    resample,
    shape,
)
from mytorch.ops.embedding import Embedding

if TYPE_CHECKING:
    from mytorch.onnx.trace import Call

Rule = Callable[[Graph, "Call"], None]
OPS: dict[type[Function], Rule] = {}


def rule(*functions: type[Function]) -> Callable[[Rule], Rule]:
    """Register the decorated rule for these ops."""
    def register(write: Rule) -> Rule:
        for function in functions:
            OPS[function] = write
        return write
    return register


def _out(call: Call) -> Tensor:
    return call.outputs[0]


# -- elementwise ---------------------------------------------------------------------------
_BINARY = {elementwise.Add: "Add", elementwise.Sub: "Sub", elementwise.Mul: "Mul",
           elementwise.Div: "Div", elementwise.Pow: "Pow", linalg.MatMul: "MatMul"}


@rule(*_BINARY)
def binary(g: Graph, call: Call) -> None:
    """Both operands in the result's dtype (PyTorch's promotion, done by the op), then the op."""
    y = _out(call)
    a, b = (g.operand(v, y.dtype) for v in call.args)
    g.bind(y, g.op(_BINARY[call.op], a, b))


@rule(linalg.Linear)
def linear(g: Graph, call: Call) -> None:
    """``x @ W^T + b`` as MatMul and Add, every operand in the result's dtype."""
    x, W, b = call.args
    y = _out(call)
    out = g.op("MatMul", g.operand(x, y.dtype),
               g.op("Transpose", g.operand(W, y.dtype), perm=[1, 0]))
    g.bind(y, out if b is None else g.op("Add", out, g.operand(b, y.dtype)))


_UNARY = {elementwise.Neg: "Neg", elementwise.Abs: "Abs", elementwise.Exp: "Exp",
          elementwise.Log: "Log", elementwise.Sqrt: "Sqrt", elementwise.Sin: "Sin",
          elementwise.Cos: "Cos", elementwise.Tanh: "Tanh", elementwise.Clone: "Identity",
          activation.ReLU: "Relu", activation.Sigmoid: "Sigmoid"}


@rule(*_UNARY)
def unary(g: Graph, call: Call) -> None:
    g.bind(_out(call), g.op(_UNARY[call.op], g.value(call.args[0])))


@rule(elementwise.Log1p)
def log1p(g: Graph, call: Call) -> None:
    x = call.args[0]
    g.bind(_out(call), g.op("Log", g.op("Add", g.value(x), g.operand(1, x.dtype))))


@rule(fit.Cast)
def cast(g: Graph, call: Call) -> None:
    x, dtype = call.args
    g.bind(_out(call), g.op("Cast", g.value(x), to=g.dtype_code(dtype)))


@rule(elementwise.Clamp, activation.Hardtanh)
def clamp(g: Graph, call: Call) -> None:
    x, lo, hi = call.args
    bounds = ["" if v is None else g.operand(v, x.dtype) for v in (lo, hi)]
    g.bind(_out(call), g.op("Clip", g.value(x), *bounds))


@rule(elementwise.Maximum)
def maximum(g: Graph, call: Call) -> None:
    a, b, take_max = call.args
    y = _out(call)
    g.bind(y, g.op("Max" if take_max else "Min", g.operand(a, y.dtype), g.operand(b, y.dtype)))


@rule(elementwise.Where)
def where(g: Graph, call: Call) -> None:
    condition, a, b = call.args
    y = _out(call)
    g.bind(y, g.op("Where", g.constant(condition, "condition"), g.operand(a, y.dtype),
                   g.operand(b, y.dtype)))


# -- activations ---------------------------------------------------------------------------
@rule(activation.LeakyReLU)
def leaky_relu(g: Graph, call: Call) -> None:
    x, slope = call.args
    g.bind(_out(call), g.op("LeakyRelu", g.value(x), alpha=float(slope)))


@rule(activation.ELU)
def elu(g: Graph, call: Call) -> None:
    x, alpha = call.args
    g.bind(_out(call), g.op("Elu", g.value(x), alpha=float(alpha)))


@rule(activation.NormalCdf, activation.GELU)
def normal_cdf(g: Graph, call: Call) -> None:
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2, and exact GELU ``x * Phi(x)``."""
    x = call.args[0]
    erf = g.op("Erf", g.op("Mul", g.value(x), g.operand(math.sqrt(0.5), x.dtype)))
    half = g.operand(0.5, x.dtype)
    cdf = g.op("Mul", g.op("Add", erf, g.operand(1, x.dtype)), half)
    g.bind(_out(call), g.op("Mul", g.value(x), cdf) if call.op is activation.GELU else cdf)


@rule(activation.Softplus)
def softplus(g: Graph, call: Call) -> None:
    """``log(1 + exp(beta x)) / beta``, and ``x`` where ``beta x > threshold``."""
    x, beta, threshold = call.args
    xv = g.value(x)
    bx = xv if beta == 1 else g.op("Mul", xv, g.operand(beta, x.dtype))
    soft = g.op("Softplus", bx)
    if beta != 1:
        soft = g.op("Div", soft, g.operand(beta, x.dtype))
    linear = g.op("Greater", bx, g.operand(threshold, x.dtype))
    g.bind(_out(call), g.op("Where", linear, xv, soft))


@rule(activation.Softmax, activation.LogSoftmax)
def softmax(g: Graph, call: Call) -> None:
    x, dim = call.args
    if dim is None:
        raise NotImplementedError("mytorch.onnx: softmax of a 0-d tensor has no ONNX mapping")
    op_type = "Softmax" if call.op is activation.Softmax else "LogSoftmax"
    g.bind(_out(call), g.op(op_type, g.value(x), axis=int(dim)))


# -- shapes --------------------------------------------------------------------------------
def _groups(a: tuple[int, ...], b: tuple[int, ...]) -> list[tuple[list[int], list[int]]]:
    """Pair runs of axes of ``a`` and ``b`` with equal products (what a reshape regroups)."""
    groups = []
    i = j = 0
    while i < len(a) or j < len(b):
        A: list[int] = []
        B: list[int] = []
        p = q = 1
        if i < len(a):
            p, i = a[i], i + 1
            A.append(i - 1)
        if j < len(b):
            q, j = b[j], j + 1
            B.append(j - 1)
        while p != q and (i < len(a) or j < len(b)):
            if (p < q and i < len(a)) or j == len(b):
                p, i = p * a[i], i + 1
                A.append(i - 1)
            else:
                q, j = q * b[j], j + 1
                B.append(j - 1)
        groups.append((A, B))
    return groups


def reshape_target(op: str, dims: Dims, source: tuple[int, ...], target: tuple[int, ...]
                   ) -> tuple[list[int], Dims]:
    """The ONNX shape input of a reshape from ``source`` to ``target``, and the symbolic
    shape of its result.

    A dynamic axis carried over unchanged (same position, same size) becomes 0 (ONNX:
    copy the input's size); a dynamic axis merged with or split into others makes the
    first axis of its group -1 (ONNX: whatever size is left). Other sizes are written.
    """
    shape: list[int] = list(target)
    out: list[int | str] = list(target)
    free = 0
    for A, B in _groups(source, target):
        names = [dims[k] for k in A if isinstance(dims[k], str)]
        if not names or not B:
            continue
        if A == B and source[A[0]] == target[B[0]]:
            shape[B[0]], out[B[0]] = 0, names[0]
            continue
        free += 1
        if free > 1:
            raise NotImplementedError(
                f"mytorch.onnx: {op} from {source} to {target} moves two dynamic axes "
                f"(of symbolic shape {dims}); export with fewer dynamic_axes"
            )
        shape[B[0]] = -1
        out[B[0]] = names[0] if len(A) == len(B) == 1 else f"{names[0]}_reshaped"
    return shape, tuple(out)


@rule(shape.Reshape)
def reshape(g: Graph, call: Call) -> None:
    x = call.args[0]
    y = _out(call)  # its shape is the target with any -1 resolved
    spec, dims = reshape_target("reshape", g.shape(x), x.shape, y.shape)
    g.bind(y, g.op("Reshape", g.value(x), g.ints(spec)), dims)


@rule(shape.Permute)
def permute(g: Graph, call: Call) -> None:
    x, order = call.args
    dims = g.shape(x)
    g.bind(_out(call), g.op("Transpose", g.value(x), perm=list(order)),
           tuple(dims[k] for k in order))


@rule(fit.BroadcastTo)
def broadcast_to(g: Graph, call: Call) -> None:
    """Expand; a dynamic axis of the input stays free (size 1 in Expand's shape)."""
    x, target = call.args
    dims = g.shape(x)
    lead = len(target) - len(dims)
    spec = [1 if k >= lead and isinstance(dims[k - lead], str) else n
            for k, n in enumerate(target)]
    out = tuple(dims[k - lead] if k >= lead and isinstance(dims[k - lead], str) else n
                for k, n in enumerate(target))
    g.bind(_out(call), g.op("Expand", g.value(x), g.ints(spec)), out)


@rule(shape.Cat)
def cat(g: Graph, call: Call) -> None:
    dim, *xs = call.args
    y = _out(call)
    g.bind(y, g.op("Concat", *(g.operand(x, y.dtype) for x in xs), axis=int(dim)))


@rule(shape.Split)
def split(g: Graph, call: Call) -> None:
    x, sizes, dim = call.args
    pieces = g.node("Split", [g.value(x), g.ints(sizes)], len(sizes), axis=int(dim))
    for t, name in zip(call.outputs, pieces):
        g.bind(t, name)


@rule(shape.Repeat)
def repeat(g: Graph, call: Call) -> None:
    x, reps = call.args
    name = g.value(x)
    extra = len(reps) - x.ndim
    if extra:  # new leading axes of size 1 first
        name = g.op("Unsqueeze", name, g.ints(range(extra)))
    g.bind(_out(call), g.op("Tile", name, g.ints(reps)))


@rule(shape.Flip)
def flip(g: Graph, call: Call) -> None:
    x, dims = call.args
    n = len(dims)
    g.bind(_out(call), g.op("Slice", g.value(x), g.ints([-1] * n), g.ints([INT64_MIN] * n),
                            g.ints(dims), g.ints([-1] * n)))


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge"}


@rule(shape.Pad)
def pad(g: Graph, call: Call) -> None:
    """Pad (ONNX: all befores, then all afters); 'circular' as slices joined around x."""
    x, pads, mode, value = call.args
    name = g.value(x)
    if mode == "circular":
        for axis, (before, after) in enumerate(pads):
            if before < 0 or after < 0:
                raise NotImplementedError(
                    f"mytorch.onnx: circular pad with cropping {pads} has no ONNX mapping")
            if before or after:
                parts = [_slice(g, name, axis, -before, INT64_MAX)] if before else []
                parts.append(name)
                if after:
                    parts.append(_slice(g, name, axis, 0, after))
                name = g.op("Concat", *parts, axis=axis)
        g.bind(_out(call), name)
        return
    amounts = g.ints([b for b, _ in pads] + [a for _, a in pads])
    inputs = [name, amounts]
    if mode == "constant":
        inputs.append(g.operand(value, x.dtype))
    g.bind(_out(call), g.op("Pad", *inputs, mode=_PAD_MODES[mode]))


def _slice(g: Graph, name: str, axis: int, start: int, stop: int) -> str:
    return g.op("Slice", name, g.ints([start]), g.ints([stop]), g.ints([axis]))


# -- indexing ------------------------------------------------------------------------------
@rule(index.Getitem)
def getitem(g: Graph, call: Call) -> None:
    """Basic indexing as Slice (slices), Gather (ints) and Unsqueeze (None); one integer
    array as Gather. The index steps run one after another, as in the op."""
    x, steps = call.args
    name, dims, shape_ = g.value(x), g.shape(x), x.shape
    for parts in steps:
        name, dims = _index(g, name, dims, shape_, parts)
        shape_ = np.broadcast_to(np.empty((), bool), shape_)[parts].shape
    g.bind(_out(call), name, dims)


def _index(g: Graph, name: str, dims: Dims, shape_: tuple[int, ...], parts: Any
           ) -> tuple[str, Dims]:
    parts = parts if isinstance(parts, tuple) else (parts,)
    arrays = [p for p in parts if isinstance(p, np.ndarray)]
    if arrays and (len(arrays) > 1 or arrays[0].dtype == np.bool_
                   or any(p is None for p in parts)):
        raise NotImplementedError(
            f"mytorch.onnx: indexing with {len(arrays)} arrays, a bool mask or None among "
            "arrays has no ONNX mapping (one integer array, ints, slices and None do)"
        )
    # every axis gets a part: Ellipsis, or the end, stands for full slices of the rest
    consumed = sum(1 for p in parts if p is not None and p is not Ellipsis)
    rest = (slice(None),) * (len(shape_) - consumed)
    ellipsis = [k for k, p in enumerate(parts) if p is Ellipsis]
    if ellipsis:
        k = ellipsis[0]
        parts = parts[:k] + rest + parts[k + 1:]
    else:
        parts = parts + rest
    starts, ends, axes, steps = [], [], [], []
    gathers: list[tuple[int, Any]] = []
    new_axes: list[int] = []
    out_dims: list[int | str] = []
    axis = 0
    for p in parts:
        if p is None:
            new_axes.append(len(out_dims))
            out_dims.append(1)
            continue
        if isinstance(p, slice):
            if p != slice(None):
                step = 1 if p.step is None else p.step
                starts.append((0 if step > 0 else INT64_MAX) if p.start is None else p.start)
                ends.append((INT64_MAX if step > 0 else INT64_MIN) if p.stop is None else p.stop)
                axes.append(axis)
                steps.append(step)
                out_dims.append(len(range(shape_[axis])[p]))
            else:
                out_dims.append(dims[axis])
        else:  # an int, or an integer array whose axes take this axis' place
            gathers.append((axis, p))
            if isinstance(p, np.ndarray):
                out_dims.extend(p.shape)
        axis += 1
    if axes:
        name = g.op("Slice", name, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps))
    for axis, p in reversed(gathers):  # from the last: the earlier axes keep their numbers
        indices = g.constant(np.asarray(p, dtype=np.int64), "indices")
        name = g.op("Gather", name, indices, axis=axis)
    if new_axes:
        name = g.op("Unsqueeze", name, g.ints(new_axes))
    return name, tuple(out_dims)


# -- reductions ----------------------------------------------------------------------------
def _reduced_dims(dims: Dims, axes: Any, keepdim: bool) -> Dims:
    axes = range(len(dims)) if axes is None else axes
    return tuple(1 if k in axes else d for k, d in enumerate(dims)
                 if keepdim or k not in axes)


_REDUCE = {reduce.Sum: "ReduceSum", reduce.Mean: "ReduceMean", reduce.Prod: "ReduceProd",
           reduce.LogSumExp: "ReduceLogSumExp"}


@rule(*_REDUCE)
def reduction(g: Graph, call: Call) -> None:
    x, axes, keepdim = call.args
    g.bind(_out(call), g.reduce(_REDUCE[call.op], g.value(x), axes, keepdim),
           _reduced_dims(g.shape(x), axes, keepdim))


@rule(reduce.Amax)
def amax(g: Graph, call: Call) -> None:
    x, axes, keepdim, take_max = call.args
    op_type = "ReduceMax" if take_max else "ReduceMin"
    g.bind(_out(call), g.reduce(op_type, g.value(x), axes, keepdim),
           _reduced_dims(g.shape(x), axes, keepdim))


@rule(reduce.MaxDim)
def max_dim(g: Graph, call: Call) -> None:
    """Values and (first) indices of the max or min along one dim."""
    x, dim, keepdim, take_max = call.args
    values, indices = call.outputs
    xv, dims = g.value(x), _reduced_dims(g.shape(x), (dim,), keepdim)
    extreme, arg = ("ReduceMax", "ArgMax") if take_max else ("ReduceMin", "ArgMin")
    g.bind(values, g.reduce(extreme, xv, (dim,), keepdim), dims)
    g.bind(indices, g.op(arg, xv, axis=int(dim), keepdims=int(keepdim)), dims)


@rule(reduce.Var, reduce.Std)
def variance(g: Graph, call: Call) -> None:
    """``sum((x - mean)^2) / (n - correction)``, and its square root for std."""
    x, axes, correction, keepdim = call.args
    xv = g.value(x)
    n = math.prod(x.shape) if axes is None else math.prod(x.shape[k] for k in axes)
    d = g.op("Sub", xv, g.reduce("ReduceMean", xv, axes, True))
    total = g.reduce("ReduceSum", g.op("Mul", d, d), axes, keepdim)
    var = g.op("Div", total, g.operand(max(n - correction, 0), x.dtype))
    g.bind(_out(call), var if call.op is reduce.Var else g.op("Sqrt", var),
           _reduced_dims(g.shape(x), axes, keepdim))


# -- matrix products -----------------------------------------------------------------------
@rule(linalg.Einsum, linalg.Tensordot)
def einsum(g: Graph, call: Call) -> None:
    equation, *operands = call.args
    y = _out(call)
    g.bind(y, g.op("Einsum", *(g.operand(a, y.dtype) for a in operands), equation=equation))


# -- convolution ---------------------------------------------------------------------------
def _conv_attributes(win: Windows, groups: int) -> dict[str, Any]:
    return dict(kernel_shape=list(win.kernel), strides=list(win.stride),
                pads=[b for b, _ in win.padding] + [a for _, a in win.padding],
                dilations=list(win.dilation), group=groups)


CONVOLUTIONS = (conv.Conv, conv.ConvTranspose)


def conv_node(g: Graph, call: Call, bias: str | None = None) -> str:
    """The Conv or ConvTranspose node of a traced convolution op, with ``bias`` (a value
    name: a Conv layer's bias) as its third input when given.

    Zero padding is the op's own (other padding modes arrive as a traced ``Pad``). A
    transposed convolution's output size is the traced one: ``output_padding`` is what
    the size formula lacks.
    """
    x, W, win, groups = call.args
    inputs = [g.value(x), g.value(W), *([bias] if bias else [])]
    if call.op is conv.Conv:
        return g.op("Conv", *inputs, **_conv_attributes(win, groups))
    reach = [(n - 1) * s - b - a + d * (k - 1) + 1 for n, s, (b, a), d, k
             in zip(x.shape[2:], win.stride, win.padding, win.dilation, win.kernel)]
    return g.op("ConvTranspose", *inputs,
                output_padding=[n - r for n, r in zip(win.size, reach)],
                **_conv_attributes(win, groups))


@rule(*CONVOLUTIONS)
def convolution(g: Graph, call: Call) -> None:
    g.bind(_out(call), conv_node(g, call))


# -- pooling and resampling ----------------------------------------------------------------
def _pool(g: Graph, x: Tensor, nd: int, op_type: str, *inputs: str, **attributes: Any) -> str:
    """An ONNX pool wants (N, C, *L): an unbatched (C, *L) input gets a batch axis of 1."""
    name = g.value(x)
    unbatched = x.ndim == nd + 1
    if unbatched:
        name = g.op("Unsqueeze", name, g.ints([0]))
    y = g.op(op_type, name, *inputs, **attributes)
    return g.op("Squeeze", y, g.ints([0])) if unbatched else y


def _window_attributes(win: Windows) -> dict[str, Any]:
    """The windows as traced: before-padding p, after-padding up to the last window's end
    (ceil mode included), so ONNX's floor formula gives the traced output size."""
    return dict(kernel_shape=list(win.kernel), strides=list(win.stride),
                pads=[b for b, _ in win.pads] + [a for _, a in win.pads])


@rule(pool.MaxPool)
def max_pool(g: Graph, call: Call) -> None:
    x, win, return_indices = call.args
    if return_indices:
        raise NotImplementedError("mytorch.onnx: max pooling with return_indices=True has no "
                                  "ONNX mapping")
    g.bind(_out(call), _pool(g, x, len(win.kernel), "MaxPool", dilations=list(win.dilation),
                             **_window_attributes(win)))


@rule(pool.WindowSum)
def window_sum(g: Graph, call: Call) -> None:
    """Average pooling: ONNX's mean over the whole (padded) window, rescaled by
    ``prod(K) / divisor`` where mytorch's divisor (PyTorch's rule) differs."""
    x, win, arg, divisor = call.args
    if arg is not None or divisor is None:
        raise NotImplementedError("mytorch.onnx: WindowSum of max-pool winners (a gradient op) "
                                  "has no ONNX mapping")
    y = _pool(g, x, len(win.kernel), "AveragePool", count_include_pad=1,
              **_window_attributes(win))
    scale = math.prod(win.kernel) / divisor
    if not np.all(scale == 1):
        y = g.op("Mul", y, g.constant(scale.astype(x.dtype), "pool_scale"))
    g.bind(_out(call), y)


@rule(resample.AxisMaps)
def axis_maps(g: Graph, call: Call) -> None:
    """A matrix per trailing axis (adaptive average pooling, every interpolation mode):
    ``M @ x`` with that axis second to last, so the result is exactly mytorch's."""
    x, maps = call.args
    name = g.value(x)
    n = x.ndim
    if n == len(maps) + 2 and all(M.shape[0] == 1 and np.all(M == M[0, 0]) for M in maps):
        # the mean of every plane (adaptive pooling to size 1): ONNX's own op
        g.bind(_out(call), g.op("GlobalAveragePool", name))
        return
    for i, M in enumerate(maps):
        axis = n - len(maps) + i
        if axis == n - 1:  # (..., L) @ (L, OUT)
            name = g.op("MatMul", name, g.constant(np.ascontiguousarray(M.T), "axis_map"))
            continue
        order = list(range(n))
        order[axis], order[n - 2] = n - 2, axis
        moved = axis != n - 2
        if moved:
            name = g.op("Transpose", name, perm=order)
        name = g.op("MatMul", g.constant(M, "axis_map"), name)  # (OUT, L) @ (..., L, W)
        if moved:
            name = g.op("Transpose", name, perm=order)
    g.bind(_out(call), name)


@rule(resample.Dilate)
def dilate(g: Graph, call: Call) -> None:
    """factor - 1 zeros between neighbours: a transposed convolution with stride ``factor``
    and a kernel of one 1 per channel (groups = channels)."""
    x, factors, size = call.args
    nd = len(factors)
    C = x.shape[-nd - 1] if x.ndim > nd else 1
    ones = g.constant(np.ones((C, 1) + (1,) * nd, x.dtype), "ones")
    reach = [(n - 1) * f + 1 for n, f in zip(x.shape[-nd:], factors)]
    g.bind(_out(call), _pool(g, x, nd, "ConvTranspose", ones, group=C, kernel_shape=[1] * nd,
                             strides=list(factors),
                             output_padding=[n - r for n, r in zip(size, reach)]))


@rule(resample.Decimate)
def decimate(g: Graph, call: Call) -> None:
    x, factors = call.args
    n = len(factors)
    axes = range(x.ndim - n, x.ndim)
    g.bind(_out(call), g.op("Slice", g.value(x), g.ints([0] * n), g.ints([INT64_MAX] * n),
                            g.ints(axes), g.ints(factors)))


# -- normalization -------------------------------------------------------------------------
@rule(normalization.Normalize)
def normalize(g: Graph, call: Call) -> None:
    """LayerNormalization when the axes are the trailing ones and the parameters have
    their shape (layer norm); otherwise the formula with ReduceMean (group norm, batch
    statistics)."""
    x, weight, bias, axes, _, eps = call.args
    y, mean, var = call.outputs
    xv = g.value(x)
    first = x.ndim - len(axes)
    trailing = tuple(axes) == tuple(range(first, x.ndim))
    if trailing and all(p is None or p.shape == x.shape[first:] for p in (weight, bias)):
        ones = np.ones(x.shape[first:], x.dtype)
        scale = g.value(weight) if weight is not None else g.constant(ones, "ones")
        shift = g.value(bias) if bias is not None else g.constant(ones * 0, "zeros")
        g.bind(y, g.op("LayerNormalization", xv, scale, shift, axis=first, epsilon=float(eps)))
        return  # the statistics stay unbound: no exported op reads them
    mean_v = g.reduce("ReduceMean", xv, axes, True)
    d = g.op("Sub", xv, mean_v)
    var_v = g.reduce("ReduceMean", g.op("Mul", d, d), axes, True)
    out = g.op("Div", d, g.op("Sqrt", g.op("Add", var_v, g.operand(eps, x.dtype))))
    if weight is not None:
        out = g.op("Mul", out, g.value(weight))
    if bias is not None:
        out = g.op("Add", out, g.value(bias))
    g.bind(y, out)
    g.bind(mean, mean_v)
    g.bind(var, var_v)


# -- layers only -----------------------------------------------------------------------------
@rule(Embedding)
def embedding_lookup(g: Graph, call: Call) -> None:
    raise NotImplementedError(
        "mytorch.onnx: F.embedding takes its indices as an array the tracer cannot follow; "
        "use the nn.Embedding layer, which exports as Gather"
    )


def unsupported(call: Call) -> NotImplementedError:
    name = call.op.__name__
    return NotImplementedError(
        f"mytorch.onnx: op {name} ({call.op.__module__}.{name}) has no ONNX mapping; "
        f"supported ops: {', '.join(sorted(f.__name__ for f in OPS))}"
    )
