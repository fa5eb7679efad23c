"""Differentiable ops, one family per module; each a ``Function`` plus its lowercase wrapper.

``mytorch.ops`` (and so ``mytorch``) exports every family's public names.
"""

from mytorch.ops import (
    activation, conv, dropout, elementwise, embedding, index, linalg, loss, normalization, pool,
    reduce, resample, shape,
)

# the families' modules, taken before the names below rebind e.g. `dropout` to the function
_FAMILIES = (activation, conv, dropout, elementwise, embedding, index, linalg, loss, normalization,
             pool, reduce, resample, shape)
__all__ = [name for family in _FAMILIES for name in family.__all__]

from mytorch.ops.activation import *  # noqa: E402, F403
from mytorch.ops.conv import *  # noqa: E402, F403
from mytorch.ops.dropout import *  # noqa: E402, F403
from mytorch.ops.elementwise import *  # noqa: E402, F403
from mytorch.ops.embedding import *  # noqa: E402, F403
from mytorch.ops.index import *  # noqa: E402, F403
from mytorch.ops.linalg import *  # noqa: E402, F403
from mytorch.ops.loss import *  # noqa: E402, F403
from mytorch.ops.normalization import *  # noqa: E402, F403
from mytorch.ops.pool import *  # noqa: E402, F403
from mytorch.ops.reduce import *  # noqa: E402, F403
from mytorch.ops.resample import *  # noqa: E402, F403
from mytorch.ops.shape import *  # noqa: E402, F403
