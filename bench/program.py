#!/usr/bin/env python3
"""Orchestration overhead of program trials (README: "Your own program"), measured end to end.

  python3 bench/program.py [--bin target/release/sweep] [--trials 40] [--steps 5000]

1. Start to first step: a sweep of --trials trials of a program that reports one step at once
   and exits, on one worker. Per trial, from the database: claim (`started_at`) to its step's
   row (`recorded_at`), claim to end, and the gap between one trial's end and the next claim;
   beside it, the same program started --trials times by a plain loop (Python's own start-up,
   which no runner can remove).
2. Per step recording: one trial whose program writes --steps steps as fast as it can; the
   worker's rows per second (first to last `recorded_at`) and the program's own run time.
3. Stop: a Hyperband sweep whose pruned programs ignore SIGTERM (stop_grace: 1): time from the
   rung decision to the trial's program being gone (the grace period, then SIGKILL).

Prints one JSON object per measurement. Needs python3 only (no packages).
"""
import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ONE_STEP = """import json, os
with open(os.environ["SWEEP_METRICS"], "a") as f:
    f.write(json.dumps({"step": 1, "loss": 1.0}) + "\\n")
"""

MANY_STEPS = """import json, os, sys, time
steps = int(sys.argv[1])
start = time.perf_counter()
fd = os.open(os.environ["SWEEP_METRICS"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
for step in range(1, steps + 1):
    os.write(fd, (json.dumps({"step": step, "loss": 1.0 / step, "acc": step / steps}) + "\\n").encode())
print("program seconds", time.perf_counter() - start)
"""

STUBBORN = """import json, os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
lr = float(sys.argv[1].split("=")[1])
for step in range(1, 31):
    time.sleep(0.2)
    with open(os.environ["SWEEP_METRICS"], "a") as f:
        f.write(json.dumps({"step": step, "loss": lr + 1.0 / step}) + "\\n")
with open(os.path.join(os.environ["SWEEP_TRIAL_DIR"], "ended"), "w") as f:
    f.write(str(time.time()))
"""


def t(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def run(bin_, dir_, spec, env=None):
    (dir_ / "s.yaml").write_text(spec)
    start = time.perf_counter()
    subprocess.run([bin_, "run", "s.yaml", "--no-report"], cwd=dir_, check=True,
                   stdout=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    return time.perf_counter() - start


def emit(**fields):
    print(json.dumps(fields), flush=True)


def start_to_first_step(bin_, trials):
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        (d / "one.py").write_text(ONE_STEP)
        values = ", ".join(str(i) for i in range(trials))
        wall = run(bin_, d, f"""name: first
program: one.py
command: [python3, "${{program}}", "${{args}}"]
method: grid
metric: {{name: loss}}
parameters:
  x: {{values: [{values}]}}
""")
        db = sqlite3.connect(d / "runs/sweeps.db")
        rows = db.execute("""SELECT t.number, t.started_at, t.ended_at, e.recorded_at
            FROM trials t JOIN epochs e ON e.trial_id = t.id ORDER BY t.number""").fetchall()
        first = [t(r[3]) - t(r[1]) for r in rows]
        whole = [t(r[2]) - t(r[1]) for r in rows]
        gaps = [t(b[1]) - t(a[2]) for a, b in zip(rows, rows[1:])]
        # The same program, started by a plain loop with the same environment.
        env = {**os.environ, "SWEEP_METRICS": str(d / "loop.jsonl")}
        start = time.perf_counter()
        for _ in range(trials):
            subprocess.run(["python3", str(d / "one.py")], env=env, check=True)
        alone = (time.perf_counter() - start) / trials
        emit(measure="start to first step", trials=trials,
             claim_to_first_step_ms=round(1000 * statistics.median(first), 1),
             claim_to_end_ms=round(1000 * statistics.median(whole), 1),
             end_to_next_claim_ms=round(1000 * statistics.median(gaps), 1),
             sweep_wall_s_per_trial=round(wall / trials, 3),
             python_alone_ms=round(1000 * alone, 1))


def per_step(bin_, steps):
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        (d / "many.py").write_text(MANY_STEPS)
        wall = run(bin_, d, f"""name: many
program: many.py
command: [python3, "${{program}}", "{steps}"]
method: grid
metric: {{name: loss}}
""")
        db = sqlite3.connect(d / "runs/sweeps.db")
        times = [t(r[0]) for r in db.execute(
            "SELECT recorded_at FROM epochs ORDER BY epoch").fetchall()]
        named = db.execute("SELECT COUNT(*) FROM metrics").fetchone()[0]
        out = (d / "runs/many/trial-0001/stdout.log").read_text()
        program = float(out.split("program seconds")[1].split()[0])
        span = times[-1] - times[0]
        emit(measure="per step recording", steps=len(times), named_values=named,
             rows_per_s=round((len(times) - 1) / span), recording_ms_per_step=round(1000 * span / (len(times) - 1), 3),
             program_s=round(program, 3), sweep_wall_s=round(wall, 2))


def stop_latency(bin_):
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        (d / "stubborn.py").write_text(STUBBORN)
        run(bin_, d, """name: stop
program: stubborn.py
command: [python3, "${program}", "${args}"]
method: grid
metric: {name: loss}
stop_grace: 1
early_terminate: {type: hyperband, min_iter: 2, eta: 2}
parameters:
  lr: {values: [0.1, 0.5, 0.2, 0.6]}
""")
        db = sqlite3.connect(d / "runs/sweeps.db")
        rows = db.execute("""SELECT t.number, r.decided_at, t.ended_at FROM trials t
            JOIN rungs r ON r.trial_id = t.id WHERE r.decision = 'prune'""").fetchall()
        for number, _, _ in rows:
            ended = d / f"runs/stop/trial-{number:04}/ended"
            assert not ended.exists(), "a pruned program ran to its end"
        # One worker: its next claim comes after the pruned trial's program is gone.
        later = db.execute("""SELECT t.number, t.started_at FROM trials t ORDER BY t.number""").fetchall()
        starts = {n: t(s) for n, s in later}
        waits = [starts[n + 1] - t(dec) for n, dec, _ in rows if n + 1 in starts]
        emit(measure="stop of a program that ignores SIGTERM (stop_grace 1 s)",
             pruned=len(rows), decision_to_next_claim_s=[round(w, 2) for w in waits])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/sweep")
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--steps", type=int, default=5000)
    a = ap.parse_args()
    bin_ = str(Path(a.bin).resolve())
    start_to_first_step(bin_, a.trials)
    per_step(bin_, a.steps)
    stop_latency(bin_)


if __name__ == "__main__":
    sys.exit(main())
