"""`wandb.keras`: the older import path of the Keras callbacks (W&B makes it an alias of
`wandb.integration.keras`); the same classes as there."""

from wandb.integration import keras as _impl

__all__ = ["WandbCallback", "WandbMetricsLogger", "WandbModelCheckpoint"]


def __getattr__(name):
    return getattr(_impl, name)
