"""Utilities outside the differentiable core: ``mytorch.utils.data`` (datasets and loaders)."""

from mytorch.utils import data
