"""``Embedding``: a trainable lookup table of ``num_embeddings`` vectors."""

from __future__ import annotations

from typing import Any

import numpy as np

from mytorch import creation
from mytorch._tensor import Tensor
from mytorch.nn import functional as F
from mytorch.nn import init
from mytorch.nn.module import Module
from mytorch.nn.parameter import Parameter, parameter_dtype


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, looked up by index.

    Args:
        num_embeddings: the number of vectors ``V``.
        embedding_dim: the size ``D`` of each vector.
        padding_idx: this row starts at zero and gets no gradient (negative counts
            from the end).
        max_norm: rows looked up with a larger ``norm_type``-norm are rescaled to
            norm ``max_norm`` (in place, before the lookup).
        norm_type: the p of the p-norm for ``max_norm`` (default 2).
        scale_grad_by_freq: divide each row's gradient by how often its index occurs
            in the batch.
        sparse: accepted for PyTorch's signature; gradients are dense.
        _weight: an initial ``(V, D)`` weight to use instead of a random one.
        _freeze: create the weight with ``requires_grad=False``.

    The weight starts as N(0, 1) draws (the padding row zeroed), as in PyTorch.

    Shape:
        - Input: ``(*)``, integer indices in ``[0, V)``
        - Output: ``(*, D)``

    >>> import mytorch
    >>> emb = Embedding(10, 3, padding_idx=0)
    >>> emb
    Embedding(10, 3, padding_idx=0)
    >>> emb(mytorch.tensor([[1, 2, 0], [4, 0, 9]])).shape
    (2, 3, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Any = None, _freeze: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        dtype = parameter_dtype(type(self).__name__, device, dtype)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx={padding_idx} must be within "
                    f"num_embeddings={num_embeddings}"
                )
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = Parameter(
                creation.empty(num_embeddings, embedding_dim, dtype=dtype),
                requires_grad=not _freeze,
            )
            self.reset_parameters()
        else:
            if tuple(np.shape(_weight)) != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"Embedding: shape of weight {tuple(np.shape(_weight))} does not match "
                    f"num_embeddings={num_embeddings} and embedding_dim={embedding_dim}"
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0  # like init: written, not recorded

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An ``Embedding`` holding ``embeddings`` (a ``(V, D)`` Tensor or array) as its weight.

        Args:
            embeddings: the weight; the layer shares its memory when it is a float Tensor.
            freeze: the weight gets no gradient (default True).
            padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse: as for
                ``Embedding``; the padding row keeps its values.

        Raises:
            ValueError: ``embeddings`` that is not 2-d.

        >>> import mytorch
        >>> emb = Embedding.from_pretrained(mytorch.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3]]))
        >>> emb(mytorch.tensor([1]))
        tensor([[4.0000, 5.1000, 6.3000]])
        """
        if np.ndim(embeddings) != 2:
            raise ValueError(
                "Embedding.from_pretrained: embeddings are expected to be 2-dimensional, got "
                f"shape {tuple(np.shape(embeddings))}"
            )
        rows, cols = np.shape(embeddings)
        return cls(rows, cols, padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse, _weight=embeddings,
                   _freeze=freeze)
