"""Optimizers (``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad``, ``Adadelta``) and,
in ``mytorch.optim.lr_scheduler``, learning-rate schedulers.

Every update rule is PyTorch's, step for step, computed in place on the parameters'
NumPy arrays in their own dtype.
"""

from mytorch.optim import lr_scheduler
from mytorch.optim.adadelta import Adadelta
from mytorch.optim.adagrad import Adagrad
from mytorch.optim.adam import Adam, AdamW
from mytorch.optim.optimizer import Optimizer
from mytorch.optim.rmsprop import RMSprop
from mytorch.optim.sgd import SGD

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
