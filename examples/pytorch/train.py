"""The reference CNN-BiLSTM (DESIGN.md, "MODEL") in PyTorch, as a `sweep` program trial.

Reads a DREAM-format file (SEQUENCE<TAB>EXPRESSION), keeps the 110-nt ACGT sequences,
standardizes expression, splits train/validation with a fixed seed (the same split for
every trial), trains with Adam on MSE and reports each epoch through `import sweep`:

    sweep.log(step=epoch, train_loss=..., val_loss=..., val_r2=..., val_pearson=...)

The trial's parameters arrive as arguments (--name=value, as W&B's agent passes them).
After each epoch it checkpoints model, optimizer, epoch and RNG state to
`sweep.trial_dir()/checkpoint.pt` (written to a temporary file, then renamed), and it
resumes from that checkpoint when one is there; on the CPU a resumed trial's numbers
equal an uninterrupted one's bit for bit.

Run by hand (outside a sweep, metrics are printed on stderr):
    python examples/pytorch/train.py --rows=1000 --epochs=2 --conv1_filters=32 \
        --conv2_filters=32 --conv3_filters=16
Run as a sweep (from the repository root): sweep run examples/pytorch/sweep.yaml

Environment: SWEEP_EXAMPLE_EPOCH_SLEEP=SECONDS sleeps after each epoch (for tests that
interrupt a trial).
"""
import argparse
import math
import os
import random
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

import sweep

SEQ_LEN = 110
BASES = "ACGT"
DEFAULT_DATA = Path(__file__).resolve().parent / ".." / ".." / ".." / "shared" / "data" / "dream_train_sample.txt"
SPLIT_SEED = 0  # fixed: every trial sees the same train/validation split


class ConvBlock(nn.Module):
    """Conv1d with Keras 'same' padding (odd total goes right) + BatchNorm (Keras defaults) + ReLU."""

    def __init__(self, cin, cout, k):
        super().__init__()
        self.pad = ((k - 1) // 2, (k - 1) - (k - 1) // 2)
        self.conv = nn.Conv1d(cin, cout, k)
        self.bn = nn.BatchNorm1d(cout, eps=1e-3, momentum=0.01)

    def forward(self, x):
        return F.relu(self.bn(self.conv(F.pad(x, self.pad))))


class CnnBiLstm(nn.Module):
    """bench/reference.py's network; the filter counts are arguments (reference: 256/256/64)."""

    def __init__(self, lstm_units=32, dense_units=64, dropout_lstm=0.1, dropout_dense=0.2,
                 filters=(256, 256, 64)):
        super().__init__()
        f1, f2, f3 = filters
        self.convs = nn.Sequential(ConvBlock(4, f1, 30), ConvBlock(f1, f2, 12), ConvBlock(f2, f3, 4))
        self.lstm = nn.LSTM(f3, lstm_units, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(
            nn.Dropout(dropout_lstm),
            nn.Flatten(),
            nn.Linear(SEQ_LEN * 2 * lstm_units, dense_units), nn.ReLU(), nn.Dropout(dropout_dense),
            nn.Linear(dense_units, dense_units), nn.ReLU(), nn.Dropout(dropout_dense),
            nn.Linear(dense_units, 1),
        )

    def forward(self, x):  # x: [B, 4, 110] one-hot
        h = self.convs(x).transpose(1, 2)  # [B, 110, f3]
        h, _ = self.lstm(h)  # [B, 110, 2*units]
        return self.head(h)


def read_dream(path, rows=None):
    """(one-hot [N, 4, 110] float32, expression [N]) of the file's 110-nt ACGT lines, in file
    order; at most `rows` of them."""
    index = {b: i for i, b in enumerate(BASES)}
    seqs, ys = [], []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 2:
                continue
            seq, expr = parts[0].strip().upper(), parts[1].strip()
            if len(seq) != SEQ_LEN or any(c not in index for c in seq):
                continue
            try:
                y = float(expr)
            except ValueError:
                continue
            if not math.isfinite(y):
                continue
            seqs.append([index[c] for c in seq])
            ys.append(y)
            if rows is not None and len(ys) >= rows:
                break
    if not ys:
        sys.exit(f"train.py: no 110-nt ACGT sequences in {path}")
    x = F.one_hot(torch.tensor(seqs), 4).to(torch.float32).transpose(1, 2).contiguous()
    return x, torch.tensor(ys, dtype=torch.float64)


def split(n, val_fraction):
    order = list(range(n))
    random.Random(SPLIT_SEED).shuffle(order)
    n_val = max(1, round(n * val_fraction))
    return torch.tensor(order[n_val:]), torch.tensor(order[:n_val])


def evaluate(model, x, y, batch):
    """(MSE, R², Pearson r) of the model on standardized targets y."""
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + batch]).squeeze(1) for i in range(0, len(x), batch)])
    pred, y = pred.double(), y.double()
    mse = torch.mean((pred - y) ** 2).item()
    r2 = 1.0 - torch.sum((y - pred) ** 2).item() / torch.sum((y - y.mean()) ** 2).item()
    pc, yc = pred - pred.mean(), y - y.mean()
    denom = math.sqrt(torch.sum(pc ** 2).item() * torch.sum(yc ** 2).item())
    pearson = torch.sum(pc * yc).item() / denom if denom > 0 else float("nan")
    return mse, r2, pearson


def save_checkpoint(path, state):
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA.resolve()), help="DREAM-format file")
    ap.add_argument("--rows", type=int, default=None, help="use at most this many sequences")
    ap.add_argument("--val_fraction", type=float, default=0.1)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch_size", type=int, default=128)
    ap.add_argument("--learning_rate", type=float, default=0.003)
    ap.add_argument("--lstm_units", type=int, default=32)
    ap.add_argument("--dense_units", type=int, default=64)
    ap.add_argument("--dropout_lstm", type=float, default=0.1)
    ap.add_argument("--dropout_dense", type=float, default=0.2)
    ap.add_argument("--conv1_filters", type=int, default=256)
    ap.add_argument("--conv2_filters", type=int, default=256)
    ap.add_argument("--conv3_filters", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0, help="used outside a sweep (else SWEEP_SEED)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    seed = sweep.seed(default=args.seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(args.threads)

    x, y = read_dream(args.data, args.rows)
    y = (y - y.mean()) / y.std()  # scaler fitted on train + validation, as the reference did
    y = y.to(torch.float32)
    train_idx, val_idx = split(len(y), args.val_fraction)
    x_train, y_train, x_val, y_val = x[train_idx], y[train_idx], x[val_idx], y[val_idx]

    model = CnnBiLstm(args.lstm_units, args.dense_units, args.dropout_lstm, args.dropout_dense,
                      (args.conv1_filters, args.conv2_filters, args.conv3_filters))
    opt = torch.optim.Adam(model.parameters(), lr=args.learning_rate, eps=1e-7)
    shuffle = torch.Generator().manual_seed(seed % 2**63)

    ckpt_path = sweep.trial_dir() / "checkpoint.pt"
    start = 0
    if ckpt_path.exists():
        state = torch.load(ckpt_path, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        shuffle.set_state(state["shuffle_rng"])
        start = state["epoch"]
        print(f"resumed from epoch {start}", file=sys.stderr, flush=True)

    sleep = float(os.environ.get("SWEEP_EXAMPLE_EPOCH_SLEEP", "0") or 0)
    for epoch in range(start + 1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(y_train), generator=shuffle)
        total, count = 0.0, 0
        for i in range(0, len(order), args.batch_size):
            batch = order[i:i + args.batch_size]
            opt.zero_grad(set_to_none=True)
            loss = F.mse_loss(model(x_train[batch]).squeeze(1), y_train[batch])
            loss.backward()
            opt.step()
            total += loss.item() * len(batch)
            count += len(batch)
        val_loss, val_r2, val_pearson = evaluate(model, x_val, y_val, 512)
        # Report, then checkpoint: an attempt killed in between repeats this epoch, and the
        # repeated step (the same numbers) replaces the reported one.
        sweep.log(step=epoch, train_loss=total / count, val_loss=val_loss, val_r2=val_r2,
                  val_pearson=val_pearson)
        save_checkpoint(ckpt_path, {
            "epoch": epoch, "model": model.state_dict(), "optimizer": opt.state_dict(),
            "torch_rng": torch.get_rng_state(), "shuffle_rng": shuffle.get_state()})
        print(f"epoch {epoch}: train_loss {total / count:.4f} val_loss {val_loss:.4f} "
              f"val_r2 {val_r2:.4f}", flush=True)
        if sleep > 0:
            time.sleep(sleep)


if __name__ == "__main__":
    main()
