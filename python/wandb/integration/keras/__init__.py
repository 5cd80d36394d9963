"""Keras callbacks of sweep's offline W&B stand-in, as W&B's `wandb.integration.keras`.

* `WandbMetricsLogger(log_freq="epoch", initial_global_step=0)`: at each epoch end logs
  ``epoch/<key>`` for every key of Keras' logs, ``epoch/epoch`` (the 0-based epoch) and
  ``epoch/learning_rate``, in one committed row: so epoch e (0-based) is protocol step
  e + 1 when nothing else commits rows. With ``log_freq="batch"`` or an int N it logs
  ``batch/<key>``, ``batch/batch_step`` and ``batch/learning_rate`` every N batches
  instead (each a committed row), as W&B's does.
* `WandbModelCheckpoint(filepath, ...)`: Keras' own ModelCheckpoint (the file is saved
  locally; W&B would also upload it as an artifact, which is skipped).
* `WandbCallback(monitor="val_loss", ...)`: W&B's older callback: at each epoch end logs
  Keras' logs as they are plus ``epoch`` (0-based), and keeps ``best_<monitor>`` and
  ``best_epoch`` in the run summary. Its other features (saving the model, weights and
  gradient histograms, image/evaluation tables, graph, FLOPs) are accepted and skipped.

Keras is imported when a callback class is first used, not when this module is
imported: ``import keras`` (Keras 3, any backend, or Keras 2), else
``tensorflow.keras``. `wandb.init()` must come first, as in W&B.
"""

import math
import sys

import wandb

__all__ = ["WandbMetricsLogger", "WandbModelCheckpoint", "WandbCallback"]

_classes = {}


def _keras():
    try:
        import keras  # noqa: F401
        return keras
    except ImportError:
        pass
    try:
        from tensorflow import keras
        return keras
    except ImportError:
        raise ImportError(
            "wandb.integration.keras (sweep's stand-in) needs Keras: neither `keras` nor "
            "`tensorflow.keras` could be imported") from None


def _to_float(value, keras):
    """A learning rate (float, Keras variable, tensor) as a Python float, or None."""
    for convert in (lambda v: v.numpy(), lambda v: keras.ops.convert_to_numpy(v), lambda v: v):
        try:
            number = wandb._protocol._number(convert(value))
        except Exception:
            continue
        if number is not None:
            return float(number)
    return None


def _learning_rate(model, step, keras):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    try:
        lr = optimizer.learning_rate
    except Exception:
        return None
    if callable(lr) and not hasattr(lr, "shape"):  # a schedule (Keras 2 style)
        try:
            lr = lr(step)
        except Exception:
            return None
    return _to_float(lr, keras)


def _require_run(what):
    if wandb.run is None:
        raise wandb.Error(f"You must call `wandb.init()` before {what}()")


def _build():
    keras = _keras()
    Callback = keras.callbacks.Callback

    class WandbMetricsLogger(Callback):
        """Logs Keras' epoch (or batch) logs to the sweep trial, as W&B's callback names
        them: ``epoch/<key>``, ``epoch/epoch``, ``epoch/learning_rate``."""

        def __init__(self, log_freq="epoch", initial_global_step=0, *args, **kwargs):
            super().__init__()
            _require_run("WandbMetricsLogger")
            if log_freq == "batch":
                log_freq = 1
            self.logging_batch_wise = isinstance(log_freq, int) and not isinstance(log_freq, bool)
            self.log_freq = log_freq if self.logging_batch_wise else None
            self.global_batch = 0
            self.global_step = initial_global_step
            if self.logging_batch_wise:
                wandb.define_metric("batch/batch_step")
                wandb.define_metric("batch/*", step_metric="batch/batch_step")
            else:
                wandb.define_metric("epoch/epoch")
                wandb.define_metric("epoch/*", step_metric="epoch/epoch")

        def _get_lr(self):
            return _learning_rate(self.model, self.global_step, keras)

        def on_epoch_end(self, epoch, logs=None):
            logs = {} if logs is None else {f"epoch/{k}": v for k, v in logs.items()}
            logs["epoch/epoch"] = epoch
            lr = self._get_lr()
            if lr is not None:
                logs["epoch/learning_rate"] = lr
            wandb.log(logs)

        def on_batch_end(self, batch, logs=None):
            self.global_step += 1
            if self.logging_batch_wise and batch % self.log_freq == 0:
                logs = {f"batch/{k}": v for k, v in logs.items()} if logs else {}
                logs["batch/batch_step"] = self.global_batch
                lr = self._get_lr()
                if lr is not None:
                    logs["batch/learning_rate"] = lr
                wandb.log(logs)
                self.global_batch += self.log_freq

        def on_train_batch_end(self, batch, logs=None):
            self.on_batch_end(batch, logs if logs else {})

    checkpoint_args = ("monitor", "verbose", "save_best_only", "save_weights_only", "mode",
                       "save_freq", "initial_value_threshold")

    class WandbModelCheckpoint(keras.callbacks.ModelCheckpoint):
        """Keras' ModelCheckpoint; W&B's artifact upload of each checkpoint is skipped."""

        def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                     save_weights_only=False, mode="auto", save_freq="epoch",
                     initial_value_threshold=None, **kwargs):
            values = dict(monitor=monitor, verbose=verbose, save_best_only=save_best_only,
                          save_weights_only=save_weights_only, mode=mode, save_freq=save_freq,
                          initial_value_threshold=initial_value_threshold)
            super().__init__(filepath=str(filepath), **{k: values[k] for k in checkpoint_args})
            _require_run("WandbModelCheckpoint")

    skipped_features = ("log_weights", "log_gradients", "log_evaluation", "training_data",
                        "validation_data", "generator", "input_type", "output_type",
                        "compute_flops", "log_evaluation_frequency")

    class WandbCallback(Callback):
        """W&B's older Keras callback: logs Keras' epoch logs plus ``epoch`` and keeps
        ``best_<monitor>``/``best_epoch`` in the summary; its other features are skipped."""

        def __init__(self, monitor="val_loss", verbose=0, mode="auto", save_weights_only=False,
                     log_weights=False, log_gradients=False, save_model=True,
                     training_data=None, validation_data=None, labels=None, predictions=36,
                     generator=None, input_type=None, output_type=None, log_evaluation=False,
                     validation_steps=None, class_colors=None, log_batch_frequency=None,
                     log_best_prefix="best_", save_graph=True, validation_indexes=None,
                     validation_row_processor=None, prediction_row_processor=None,
                     infer_missing_processors=True, log_evaluation_frequency=0,
                     compute_flops=False, **kwargs):
            super().__init__()
            _require_run("WandbCallback")
            given = dict(log_weights=log_weights, log_gradients=log_gradients,
                         log_evaluation=log_evaluation, training_data=training_data,
                         validation_data=validation_data, generator=generator,
                         input_type=input_type, output_type=output_type,
                         compute_flops=compute_flops,
                         log_evaluation_frequency=log_evaluation_frequency)
            used = [k for k in skipped_features if given.get(k)]
            if used:
                wandb.termwarn("(sweep's offline W&B stand-in) WandbCallback: not supported, "
                               f"skipped: {', '.join(used)}", repeat=False)
            self.monitor = monitor
            self.verbose = verbose
            self.log_best_prefix = log_best_prefix
            self.log_batch_frequency = log_batch_frequency
            if mode == "min":
                self.monitor_op, self.best = (lambda a, b: a < b), math.inf
            elif mode == "max":
                self.monitor_op, self.best = (lambda a, b: a > b), -math.inf
            elif "acc" in monitor or monitor.startswith("fmeasure"):
                self.monitor_op, self.best = (lambda a, b: a > b), -math.inf
            else:
                self.monitor_op, self.best = (lambda a, b: a < b), math.inf

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            wandb.log({"epoch": epoch}, commit=False)
            wandb.log(dict(logs), commit=True)
            current = logs.get(self.monitor)
            if current and self.monitor_op(current, self.best):
                if self.log_best_prefix:
                    wandb.run.summary[f"{self.log_best_prefix}{self.monitor}"] = current
                    wandb.run.summary[f"{self.log_best_prefix}epoch"] = epoch
                    if self.verbose:
                        print(f"Epoch {epoch:05d}: {self.monitor} improved from "
                              f"{self.best:.5f} to {float(current):.5f}", file=sys.stderr)
                self.best = current

        def on_train_batch_end(self, batch, logs=None):
            if self.log_batch_frequency and batch % self.log_batch_frequency == 0:
                wandb.log(dict(logs or {}), commit=True)

        on_batch_end = on_train_batch_end

    _classes.update(WandbMetricsLogger=WandbMetricsLogger,
                    WandbModelCheckpoint=WandbModelCheckpoint, WandbCallback=WandbCallback)


def __getattr__(name):
    if name in __all__:
        if not _classes:
            _build()
        cls = _classes[name]
        globals()[name] = cls
        return cls
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(
        f"module 'wandb.integration.keras' has no attribute {name!r}: sweep's offline W&B "
        f"stand-in provides only {', '.join(__all__)}. To use the real wandb package, "
        f"{wandb._SWITCH_OFF}.")
