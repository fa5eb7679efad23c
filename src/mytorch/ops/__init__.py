"""Differentiable ops, one family per module; each a ``Function`` plus its lowercase wrapper."""

from mytorch.ops.activation import *  # noqa: F403
from mytorch.ops.conv import *  # noqa: F403
from mytorch.ops.dropout import *  # noqa: F403
from mytorch.ops.elementwise import *  # noqa: F403
from mytorch.ops.embedding import *  # noqa: F403
from mytorch.ops.index import *  # noqa: F403
from mytorch.ops.linalg import *  # noqa: F403
from mytorch.ops.normalization import *  # noqa: F403
from mytorch.ops.pool import *  # noqa: F403
from mytorch.ops.reduce import *  # noqa: F403
from mytorch.ops.resample import *  # noqa: F403
from mytorch.ops.shape import *  # noqa: F403
