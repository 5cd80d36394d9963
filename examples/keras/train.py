"""The CNN-BiLSTM of the DREAM Challenge entry in Keras 3, with W&B as its authors used it.

`wandb.init(config=defaults)`, hyperparameters from `wandb.config`, and
`model.fit(..., callbacks=[WandbMetricsLogger()])`: plain W&B usage. Under
`sweep run examples/keras/sweep.yaml` the `import wandb` finds sweep's offline stand-in,
whose WandbMetricsLogger records `epoch/loss`, `epoch/val_loss`, `epoch/learning_rate`
and `epoch/epoch` each epoch, as W&B's does. The network (DESIGN.md, "MODEL"): Conv1D
256 k30 + BN + ReLU, Conv1D 256 k12 + BN + ReLU, Conv1D 64 k4 + BN + ReLU,
Bidirectional(LSTM), Dropout, Flatten, Dense, Dropout, Dense, Dropout, Dense(1); the
filter counts are config values so a CPU run can use a narrow one.

Keras runs on PyTorch here (KERAS_BACKEND=torch unless set). By hand, outside a sweep:
    PYTHONPATH=python python examples/keras/train.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

import wandb  # noqa: E402
from wandb.integration.keras import WandbMetricsLogger  # noqa: E402

SEQ_LEN = 110
DEFAULT_DATA = Path(__file__).resolve().parent / ".." / ".." / ".." / "shared" / "data" / "dream_train_sample.txt"

defaults = dict(
    data=str(DEFAULT_DATA.resolve()),
    rows=2000,            # at most this many sequences (0: all)
    val_fraction=0.1,
    epochs=3,
    batch_size=128,
    learning_rate=0.003,
    lstm_units=32,
    dense_units=64,
    dropout_lstm=0.1,
    dropout_dense=0.2,
    conv1_filters=256,    # the reference's widths
    conv2_filters=256,
    conv3_filters=64,
    seed=0,
)


def read_dream(path, rows):
    """One-hot [N, 110, 4] and standardized expression [N] of the 110-nt ACGT lines."""
    index = {b: i for i, b in enumerate("ACGT")}
    seqs, ys = [], []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 2 or len(parts[0]) != SEQ_LEN or any(c not in index for c in parts[0]):
                continue
            seqs.append([index[c] for c in parts[0]])
            ys.append(float(parts[1]))
            if rows and len(ys) >= rows:
                break
    x = np.eye(4, dtype="float32")[np.array(seqs)]
    y = np.array(ys, dtype="float64")
    return x, ((y - y.mean()) / y.std()).astype("float32")


def build(cfg):
    def conv(filters, kernel):
        return [layers.Conv1D(filters, kernel, padding="same"), layers.BatchNormalization(),
                layers.ReLU()]

    return keras.Sequential([
        keras.Input((SEQ_LEN, 4)),
        *conv(cfg.conv1_filters, 30), *conv(cfg.conv2_filters, 12), *conv(cfg.conv3_filters, 4),
        layers.Bidirectional(layers.LSTM(cfg.lstm_units, return_sequences=True)),
        layers.Dropout(cfg.dropout_lstm),
        layers.Flatten(),
        layers.Dense(cfg.dense_units, activation="relu"),
        layers.Dropout(cfg.dropout_dense),
        layers.Dense(cfg.dense_units, activation="relu"),
        layers.Dropout(cfg.dropout_dense),
        layers.Dense(1),
    ])


def main():
    run = wandb.init(project="dream-cnn-bilstm", config=defaults)
    cfg = wandb.config
    keras.utils.set_random_seed(cfg.seed)

    x, y = read_dream(cfg.data, cfg.rows)
    order = np.random.default_rng(0).permutation(len(y))  # the same split for every trial
    n_val = max(1, round(len(y) * cfg.val_fraction))
    val, train = order[:n_val], order[n_val:]

    model = build(cfg)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=cfg.learning_rate),
                  loss="mse")
    model.fit(x[train], y[train], validation_data=(x[val], y[val]), epochs=cfg.epochs,
              batch_size=cfg.batch_size, verbose=2, callbacks=[WandbMetricsLogger()])
    run.finish()


if __name__ == "__main__":
    main()
