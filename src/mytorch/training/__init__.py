"""Training runs: the loop, checkpoints, metrics and plots behind ``mytorch train``."""

from mytorch.training.checkpoint import Checkpoint
from mytorch.training.trainer import NonFiniteLossError, TrainConfig, Trainer, evaluate

__all__ = ["Checkpoint", "NonFiniteLossError", "TrainConfig", "Trainer", "evaluate"]
