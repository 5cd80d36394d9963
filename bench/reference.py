"""PyTorch reference of the CNN-BiLSTM in DESIGN.md ("MODEL"), for benchmarking `sweep`.

Checks at startup that the parameter count, counted the Keras way, matches DESIGN.md
(1,007,169 for lstm 8 / dense 64, 1,365,249 for lstm 32 / dense 64), then measures on the CPU
(or on --device cuda, where each timed stretch ends with a CUDA synchronize):
  - training throughput (forward + backward + Adam step, train mode) at each --batch;
  - inference throughput (eval mode, no_grad) at --predict-batch, and the derived time
    to predict 71,103 sequences.
Each measurement: warm-up steps, then the median of --stretches timed stretches, each
of a step count calibrated to take about --stretch-seconds.
Prints one JSON object per line on stdout and nothing else.

Usage (after bench/setup-reference):
  bench/.venv/bin/python bench/reference.py --threads 2 --batch 128 512
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SEQ_LEN = 110
N_PREDICT = 71_103
KERAS_PARAMS = {8: 1_007_169, 32: 1_365_249}  # lstm_units -> Keras count at dense 64


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
    def __init__(self, lstm_units=32, dense_units=64, dropout_lstm=0.1, dropout_dense=0.2):
        super().__init__()
        self.convs = nn.Sequential(ConvBlock(4, 256, 30), ConvBlock(256, 256, 12), ConvBlock(256, 64, 4))
        self.lstm = nn.LSTM(64, lstm_units, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(
            nn.Dropout(dropout_lstm),
            nn.Flatten(),
            nn.Linear(SEQ_LEN * 2 * lstm_units, dense_units), nn.ReLU(), nn.Dropout(dropout_dense),
            nn.Linear(dense_units, dense_units), nn.ReLU(), nn.Dropout(dropout_dense),
            nn.Linear(dense_units, 1),
        )

    def forward(self, x):  # x: [B, 4, 110] one-hot
        h = self.convs(x).transpose(1, 2)  # [B, 110, 64]
        h, _ = self.lstm(h)  # [B, 110, 2*units]
        return self.head(h)


def keras_param_count(model):
    """Trainable params + BN moving mean/var - the second LSTM bias set (Keras has one per direction)."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    bn_stats = sum(m.running_mean.numel() + m.running_var.numel()
                   for m in model.modules() if isinstance(m, nn.BatchNorm1d))
    lstm = model.lstm
    extra_bias = 4 * lstm.hidden_size * (2 if lstm.bidirectional else 1)
    return trainable + bn_stats - extra_bias


def random_batch(batch, gen):
    idx = torch.randint(0, 4, (batch, SEQ_LEN), generator=gen)
    x = F.one_hot(idx, 4).to(torch.float32).transpose(1, 2).contiguous()
    y = torch.randn(batch, 1, generator=gen)
    return x, y


def median_rate(step, items_per_step, warmup, stretches, stretch_seconds, sync=lambda: None):
    """Items/s: warm up, calibrate the steps per stretch, return the median over stretches.
    `sync` waits for queued device work (CUDA runs asynchronously)."""
    for _ in range(warmup):
        step()
    sync()
    k, t0 = 0, time.perf_counter()  # calibration: steps for at least 1 s
    while k == 0 or time.perf_counter() - t0 < 1.0:
        step()
        k += 1
        sync()
    n = max(1, round(stretch_seconds * k / (time.perf_counter() - t0)))
    rates = []
    for _ in range(stretches):
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        sync()
        rates.append(n * items_per_step / (time.perf_counter() - t0))
    return statistics.median(rates), n, rates


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, nargs="+", default=[128, 512], help="training batch sizes")
    ap.add_argument("--predict-batch", type=int, default=1024)
    ap.add_argument("--no-predict", action="store_true", help="skip the inference measurement")
    ap.add_argument("--no-train", action="store_true", help="skip the training measurement")
    ap.add_argument("--lstm-units", type=int, default=32)
    ap.add_argument("--dense-units", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.003)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--stretches", type=int, default=5)
    ap.add_argument("--stretch-seconds", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu", help="cpu, or cuda / cuda:N")
    args = ap.parse_args()
    device = torch.device(args.device)
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (lambda: None)

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)

    for units, expected in KERAS_PARAMS.items():
        got = keras_param_count(CnnBiLstm(lstm_units=units, dense_units=64))
        if got != expected:
            sys.exit(f"reference.py: lstm_units={units}: Keras-style parameter count {got:,} != {expected:,}")

    common = {"threads": args.threads, "lstm_units": args.lstm_units, "dense_units": args.dense_units,
              "torch": torch.__version__, "device": str(device)}
    if device.type == "cuda":
        common["card"] = torch.cuda.get_device_name(device)
    emit = lambda **kv: print(json.dumps({**kv, **common}), flush=True)
    emit(what="params", checked={str(u): c for u, c in KERAS_PARAMS.items()})

    gen = torch.Generator().manual_seed(args.seed)
    model = CnnBiLstm(args.lstm_units, args.dense_units, dropout_lstm=0.1, dropout_dense=0.2).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, eps=1e-7)

    for batch in [] if args.no_train else args.batch:
        x, y = (t.to(device) for t in random_batch(batch, gen))
        model.train()

        def train_step():
            opt.zero_grad(set_to_none=True)
            loss = F.mse_loss(model(x), y)
            loss.backward()
            opt.step()

        rate, n, rates = median_rate(train_step, batch, args.warmup, args.stretches, args.stretch_seconds,
                                     sync)
        emit(what="train", batch=batch, samples_per_s=round(rate, 1), steps_per_stretch=n,
             stretch_rates=[round(r, 1) for r in rates])

    if not args.no_predict:
        x = random_batch(args.predict_batch, gen)[0].to(device)
        model.eval()

        def predict_step():
            with torch.no_grad():
                model(x)

        rate, n, rates = median_rate(predict_step, args.predict_batch, args.warmup, args.stretches,
                                     args.stretch_seconds, sync)
        emit(what="predict", batch=args.predict_batch, sequences_per_s=round(rate, 1),
             seconds_for_71103=round(N_PREDICT / rate, 2), steps_per_stretch=n,
             stretch_rates=[round(r, 1) for r in rates])


if __name__ == "__main__":
    main()
