"""Differentiable ops, one family per module; each a ``Function`` plus its lowercase wrapper.

``mytorch.ops`` (and so ``mytorch``) exports every family's public names.
"""

from importlib import import_module

from mytorch.ops.activation import *  # noqa: F403
from mytorch.ops.conv import *  # noqa: F403
from mytorch.ops.dropout import *  # noqa: F403
from mytorch.ops.elementwise import *  # noqa: F403
from mytorch.ops.embedding import *  # noqa: F403
from mytorch.ops.index import *  # noqa: F403
from mytorch.ops.linalg import *  # noqa: F403
from mytorch.ops.loss import *  # noqa: F403
from mytorch.ops.normalization import *  # noqa: F403
from mytorch.ops.pool import *  # noqa: F403
from mytorch.ops.reduce import *  # noqa: F403
from mytorch.ops.resample import *  # noqa: F403
from mytorch.ops.rnn import *  # noqa: F403
from mytorch.ops.shape import *  # noqa: F403

_FAMILIES = ("activation", "conv", "dropout", "elementwise", "embedding", "index", "linalg", "loss",
             "normalization", "pool", "reduce", "resample", "rnn", "shape")
# (the modules by name: the star imports rebind e.g. `dropout` to the function)
__all__ = [name for family in _FAMILIES for name in import_module(f"mytorch.ops.{family}").__all__]
