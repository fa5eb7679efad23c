"""``Module``: the base of every layer and model, and the containers built on it.

A Module holds, in insertion order, its parameters, its buffers (state that is
saved but not trained, like batch-norm running means) and its child modules;
assigning an attribute registers it in the right place. From those three
dictionaries come ``parameters()``, ``state_dict()``, ``to(dtype)``,
``train()/eval()``, ``repr`` and the rest.

Two calling styles share one engine:

* PyTorch's: ``y = layer(x)`` on Tensors, then ``loss.backward()``.
* The classic course protocol, on NumPy arrays: ``Z = layer.forward(A)``
  returns an array, and ``dLdA = layer.backward(dLdZ)`` returns the gradient
  of the input and leaves each parameter's gradient in ``param.grad``.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

import numpy as np

from mytorch._tensor import Tensor
from mytorch.autograd import dtypes
from mytorch.autograd.engine import backward
from mytorch.autograd.tensor import dtype_of_to_args
from mytorch.nn.parameter import Parameter


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


def _array_protocol(forward: Callable[..., Any]) -> Callable[..., Any]:
    """Let ``forward`` take NumPy arrays: it then returns arrays (in the output's own
    structure, e.g. RNN's ``(output, h_n)``) and remembers its input and output so that
    ``Module.backward(dLdZ)`` can backpropagate."""

    @functools.wraps(forward)
    def wrapper(self: Module, *args: Any, **kwargs: Any) -> Any:
        if not args or not isinstance(args[0], np.ndarray):
            return forward(self, *args, **kwargs)
        A = Tensor._make(args[0], requires_grad=args[0].dtype.kind == "f")
        Z = forward(self, A, *args[1:], **kwargs)
        self._protocol_io = (A, Z)
        return _arrays(Z)

    return wrapper


def _arrays(out: Any) -> Any:
    """Tensors to arrays, keeping tuples (and namedtuples) of outputs as they are."""
    if isinstance(out, Tensor):
        return out._data
    if isinstance(out, tuple):
        items = [_arrays(o) for o in out]
        return type(out)(*items) if hasattr(out, "_fields") else tuple(items)
    return out


def _flat(out: Any) -> list[Any]:
    """The leaves of nested tuples, in order."""
    return [leaf for o in out for leaf in _flat(o)] if isinstance(out, tuple) else [out]


class Module:
    """Base class of all layers and models.

    Subclasses create their parameters and submodules in ``__init__`` (after
    ``super().__init__()``) and define ``forward``.

    Examples:
        >>> import mytorch.nn as nn
        >>> class TwoLayer(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = nn.Linear(4, 8)
        ...         self.out = nn.Linear(8, 2)
        ...     def forward(self, x):
        ...         return self.out(self.hidden(x).relu())
        >>> [name for name, _ in TwoLayer().named_parameters()]
        ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
    """

    training: bool
    _protocol_io: tuple[Tensor, Tensor] | None  # (A, Z) of the last forward on an array

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # The course protocol calls ``layer.forward(A)`` directly (SPEC §2), so the one
        # place it can enter is here, where each subclass's forward is defined: one named
        # adapter, a pass-through for Tensors (ARCHITECTURE.md, "The course's array protocol").
        super().__init_subclass__(**kwargs)
        if "forward" in cls.__dict__:
            cls.forward = _array_protocol(cls.__dict__["forward"])  # type: ignore[method-assign]

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", [])
        object.__setattr__(self, "_forward_hooks", [])
        object.__setattr__(self, "_protocol_io", None)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for hook in self._forward_pre_hooks:
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in self._forward_hooks:
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> Callable[[], None]:
        """``hook(module, args)`` runs before forward; returns a function that removes it."""
        self._forward_pre_hooks.append(hook)
        return lambda: self._forward_pre_hooks.remove(hook)

    def register_forward_hook(self, hook: Callable[..., Any]) -> Callable[[], None]:
        """``hook(module, args, output)`` runs after forward; returns a function that removes it."""
        self._forward_hooks.append(hook)
        return lambda: self._forward_hooks.remove(hook)

    # -- the course protocol: backward on arrays ---------------------------------------
    def backward(self, dLdZ: Any = None) -> np.ndarray:
        """Given dL/dZ for the last ``forward(A)`` on an array, return dL/dA.

        Args:
            dLdZ: the gradient of the output (an array of its shape); for a layer with
                several outputs, a tuple of them in the same structure (None for an output
                with no gradient) or one array for the first output; omitted for a
                one-element output such as a loss (dL/dL = 1).

        Parameter gradients accumulate into ``param.grad`` (call ``zero_grad()``
        between steps, as with ``loss.backward()``).
        """
        if self._protocol_io is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward: call forward(A) with a NumPy array first"
            )
        A, Z = self._protocol_io
        self._protocol_io = None
        outputs = _flat(Z)
        grads = _flat(dLdZ) if isinstance(dLdZ, tuple) else [dLdZ]
        if dLdZ is None:
            grads = [np.ones_like(outputs[0]._data)]
        pairs = [(z, g) for z, g in zip(outputs, grads) if g is not None and z.requires_grad]
        if pairs:
            backward([z for z, _ in pairs],
                     [Tensor._make(np.asarray(g, dtype=z.dtype)) for z, g in pairs])
        return np.zeros_like(A._data) if A.grad is None else A.grad._data

    # -- registration ---------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from_registries(name)
            params[name] = value
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign submodules before Module.__init__() call")
            self._remove_from_registries(name)
            self._modules[name] = value
        elif params is not None and name in params:
            if value is not None and not isinstance(value, (Tensor, np.ndarray)):
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter '{name}' "
                    "(a Parameter, Tensor, array or None is expected)"
                )
            # an array or Tensor given for a parameter replaces its values, keeping its dtype
            params[name] = None if value is None else Parameter(value)
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                value = Tensor._make(np.asarray(value))
            self._buffers[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module '{name}'")
            self._modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def _remove_from_registries(self, name: str) -> None:
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: look in the registries
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: '{name}' must be a Parameter or None")
        self._remove_from_registries(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register state that is saved in ``state_dict`` (if persistent) but not trained."""
        self._remove_from_registries(name)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module subclass")
        self._remove_from_registries(name)
        self._modules[name] = module

    register_module = add_module

    # -- traversal ------------------------------------------------------------------------
    def named_modules(
        self, memo: set[int] | None = None, prefix: str = ""
    ) -> Iterator[tuple[str, Module]]:
        """This module and all below it, each once, depth first in registration order."""
        memo = set() if memo is None else memo
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in memo:
                continue
            memo.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items()
                        if m is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(
        self, registry: str, prefix: str, recurse: bool
    ) -> Iterator[tuple[str, Any]]:
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else iter([(prefix, self)])
        for module_name, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target: str) -> Module:
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules:
                raise AttributeError(
                    f"{type(module).__name__} has no submodule '{part}' (in '{target}')"
                )
            module = module._modules[part]
        return module

    def get_parameter(self, target: str) -> Parameter:
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._parameters:
            raise AttributeError(f"{type(module).__name__} has no parameter '{name}'")
        return module._parameters[name]

    # -- modes and gradients -----------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode here and in every submodule (dropout, batch norm use it)."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad = Tensor._make(np.zeros_like(param.grad._data))

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first) and then on this module."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- dtype and device ------------------------------------------------------------------------
    def to(self, *args: Any, **kwargs: Any) -> Module:
        """``to(dtype)`` casts floating parameters and buffers; devices other than CPU raise."""
        dtype = dtype_of_to_args(args, kwargs)
        if dtype is not None:
            self._cast_floats(dtype)
        return self

    def _cast_floats(self, dtype: np.dtype) -> None:
        for module in self.modules():
            for registry in (module._parameters, module._buffers):
                for value in registry.values():
                    if value is not None and value._data.dtype.kind == "f":
                        value._data = value._data.astype(dtype)
                        if value.grad is not None:
                            value.grad = Tensor._make(value.grad._data.astype(dtype))

    def float(self) -> Module:
        return self.to(dtypes.float32)

    def double(self) -> Module:
        return self.to(dtypes.float64)

    def half(self) -> Module:
        return self.to(dtypes.float16)

    def type(self, dst_type: Any) -> Module:
        return self.to(dst_type)

    def cpu(self) -> Module:
        return self

    def cuda(self, device: Any = None) -> Module:
        raise RuntimeError(
            "cuda: mytorch runs on the CPU only (mytorch.cuda.is_available() is False)"
        )

    # -- state_dict -------------------------------------------------------------------------------
    def state_dict(self, destination: dict[str, Any] | None = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Every parameter and persistent buffer by dotted name (detached, sharing memory)."""
        out: OrderedDict[str, Tensor] = OrderedDict() if destination is None else destination  # type: ignore[assignment]
        for module_name, module in self.named_modules(prefix=prefix.rstrip(".")):
            no_skip: set[str] = set()
            registries = ((module._parameters, no_skip), (module._buffers, module._non_persistent))
            for registry, skip in registries:
                for name, value in registry.items():
                    if value is None or name in skip:
                        continue
                    key = f"{module_name}.{name}" if module_name else name
                    out[key] = value if keep_vars else value.detach()
        return out

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values (Tensors, NumPy arrays or numbers, e.g. from ``mytorch.load`` or a converted
        torch state_dict) into the module.

        Raises:
            RuntimeError: naming every missing key, unexpected key and shape mismatch
                (missing/unexpected only when ``strict``).
        """
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            source = np.asarray(state_dict[key])
            if source.shape != target.shape:
                mismatched.append(
                    f"size mismatch for {key}: copying a param with shape {source.shape} from "
                    f"checkpoint, the shape in current model is {target.shape}."
                )
        errors = list(mismatched)
        if strict and unexpected:
            keys = ", ".join(f'"{k}"' for k in unexpected)
            errors.insert(0, f"Unexpected key(s) in state_dict: {keys}.")
        if strict and missing:
            keys = ", ".join(f'"{k}"' for k in missing)
            errors.insert(0, f"Missing key(s) in state_dict: {keys}.")
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        for key, target in own.items():
            if key in state_dict:
                # cast to the module's dtype, like PyTorch's copy_; a fresh array, never aliased
                target._data = np.array(np.asarray(state_dict[key]), dtype=target._data.dtype)
        return IncompatibleKeys(missing, unexpected)

    # -- repr ----------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (override in layers)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = [line for line in self.extra_repr().split("\n") if line]
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        if not self._modules and len(lines) <= 1:
            return f"{self._get_name()}({''.join(lines)})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    def num_parameters(self, trainable_only: bool = False) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)


class Sequential(Module):
    """Modules applied one after another: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Args:
        *modules: the layers, named "0", "1", ...; or one OrderedDict of name -> module.
    """

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[index][1]

    def __setitem__(self, index: int, module: Module) -> None:
        name = list(self._modules)[index]
        self.add_module(name, module)

    def __delitem__(self, index: int | slice) -> None:
        names = list(self._modules)
        for name in names[index] if isinstance(index, slice) else [names[index]]:
            del self._modules[name]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (``ModuleList([...])[i]``)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index: int | slice) -> Any:
        values = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(values[index])
        return values[index]

    def __setitem__(self, index: int, module: Module) -> None:
        self.add_module(list(self._modules)[index], module)

    def __delitem__(self, index: int | slice) -> None:
        values = list(self._modules.values())
        del values[index]
        self._modules.clear()
        self.extend(values)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        values = list(self._modules.values())
        values.insert(index, module)
        self._modules.clear()
        self.extend(values)


class ModuleDict(Module):
    """A dict of modules whose parameters are registered, in insertion order."""

    def __init__(self, modules: Any = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def pop(self, key: str) -> Module:
        return self._modules.pop(key)

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules: Any) -> None:
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self.add_module(key, module)
