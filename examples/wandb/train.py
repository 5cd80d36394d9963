"""A plain Weights & Biases training script, as people write them for W&B sweeps.

It fits y = w*x + b by minibatch SGD on synthetic data (standard library only) and logs
`loss` and `val_loss` each epoch with `wandb.log`. Nothing in it knows about `sweep`:
under `sweep run examples/wandb/sweep.yaml` the `import wandb` below finds sweep's
offline stand-in, and the same file runs unchanged under real W&B (`wandb sweep` +
`wandb agent`) or on its own (`python examples/wandb/train.py`).
"""
import random

import wandb

defaults = dict(
    learning_rate=0.05,
    batch_size=16,
    epochs=10,
    data_seed=0,      # the synthetic data set
    shuffle_seed=1,   # minibatch order
    rows=400,
    noise=0.3,
)

run = wandb.init(project="sweep-wandb-example", config=defaults)
cfg = wandb.config

# y = 3x - 1 + noise, x in [-1, 1]; the last fifth is the validation set.
data_rng = random.Random(cfg.data_seed)
data = []
for _ in range(cfg.rows):
    x = data_rng.uniform(-1.0, 1.0)
    data.append((x, 3.0 * x - 1.0 + data_rng.gauss(0.0, cfg.noise)))
n_val = cfg.rows // 5
train, val = data[n_val:], data[:n_val]


def mse(points, w, b):
    return sum((w * x + b - y) ** 2 for x, y in points) / len(points)


w, b = 0.0, 0.0
rng = random.Random(cfg.shuffle_seed)
for epoch in range(cfg.epochs):
    rng.shuffle(train)
    for i in range(0, len(train), cfg.batch_size):
        batch = train[i:i + cfg.batch_size]
        grad_w = sum(2 * (w * x + b - y) * x for x, y in batch) / len(batch)
        grad_b = sum(2 * (w * x + b - y) for x, y in batch) / len(batch)
        w -= cfg.learning_rate * grad_w
        b -= cfg.learning_rate * grad_b
    loss, val_loss = mse(train, w, b), mse(val, w, b)
    wandb.log({"epoch": epoch, "loss": loss, "val_loss": val_loss, "params": {"w": w, "b": b}})
    print(f"epoch {epoch}: loss {loss:.4f} val_loss {val_loss:.4f}")

run.summary["final_val_loss"] = val_loss
run.finish()
