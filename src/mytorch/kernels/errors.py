"""The error for shapes and sizes that do not fit, catchable the way PyTorch code catches it.

mytorch validates arguments with ``ValueError`` (Python's error for a bad
value), while PyTorch raises ``RuntimeError`` for the same mistakes: operand
shapes that do not match (matmul, linear, conv, cat, broadcasting), channel
counts, view/reshape/expand sizes, window geometry (kernel, stride, padding,
dilation). ``ShapeError`` is both, so ``except ValueError`` and code ported
from PyTorch (``except RuntimeError``) both catch it. It lives here, in the
lowest layer, so that every layer above can raise it.
"""


class ShapeError(ValueError, RuntimeError):
    """Shapes or sizes that do not fit; the message names the op and the shapes.

    >>> import mytorch
    >>> try:
    ...     mytorch.zeros(2, 3) @ mytorch.zeros(4, 5)
    ... except RuntimeError as error:
    ...     print(error)
    matmul: shapes (2, 3) and (4, 5) cannot be multiplied (3 != 4)
    """
