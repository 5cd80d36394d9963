"""Report a trial's metrics to `sweep` from your own Python program.

`sweep run` starts your program once per trial (W&B's `program`/`command`) and puts the
folder holding this file first on PYTHONPATH, so `import sweep` works with nothing
installed (standard library only, Python >= 3.8)::

    import sweep

    p = sweep.params()                      # {"learning_rate": 0.003, ...}; {} outside a trial
    for epoch in range(1, epochs + 1):
        ...
        sweep.log(step=epoch, train_loss=tl, val_loss=vl, val_r2=r2)

The protocol underneath (what this module writes for you):

* The trial's settings arrive in environment variables: SWEEP_NAME, SWEEP_TRIAL,
  SWEEP_SEED, SWEEP_ATTEMPT (1 the first time, 2.. on a resume), SWEEP_TRIAL_DIR (the
  trial's folder, the same on every attempt: checkpoints go there), SWEEP_PARAMS (the
  trial's parameters as one JSON object) and SWEEP_METRICS (a file to append to).
* Metrics are appended to $SWEEP_METRICS, one JSON object per line, each line written
  whole in one write call: ``{"step": 3, "val_loss": 0.47, "val_r2": 0.52}``. `step` is
  an integer >= 1 (a line without one is the step after the last); every other numeric
  key is a metric (names may hold "/" and "."); keys starting with "_" are not metrics,
  except ``{"_preempting": true}`` (see `mark_preempting`). Several lines with the same
  step merge into one step; steps reported again on a later attempt replace the earlier
  ones from that step on.
* NaN and +-Infinity are not JSON: `log` drops such values (one warning on stderr, and
  a count of all dropped values when the program exits) instead of writing them.
* `sweep` stops a trial (pruned at a rung, Ctrl-C, cancel) with SIGTERM to the
  program's process group, then SIGKILL after a grace period. Exit status 0 completes
  the trial; anything else fails it.

Outside a trial (no SWEEP_METRICS in the environment) every function still works, so a
script can be run by hand: `params()` is {}, `attempt()` is 1, `resumed()` is False,
`seed()`, `name()` and `trial()` return their `default`, `trial_dir()` is
$SWEEP_TRIAL_DIR if set, else a fresh temporary folder for this process, and `log`
prints each line it would have written on stderr (prefixed ``sweep.log:``) instead.
"""

import atexit
import json
import math
import os
import sys
import tempfile
import threading
from pathlib import Path

__all__ = [
    "params", "log", "trial_dir", "resumed", "seed", "attempt", "name", "trial",
    "in_trial", "mark_preempting",
]

_lock = threading.Lock()
_dropped = {"count": 0, "warned": False}
_local_dir = []  # the temporary trial folder outside a trial, made on first use


def in_trial():
    """True when this process runs as a `sweep` trial (SWEEP_METRICS is set)."""
    return bool(os.environ.get("SWEEP_METRICS"))


def params():
    """The trial's parameters (a new dict from SWEEP_PARAMS); {} outside a trial.

    The same values also arrive as command-line arguments (``--name=value``) when the
    sweep file's `command` holds ``${args}`` (the default)."""
    text = os.environ.get("SWEEP_PARAMS")
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as e:
        raise ValueError(f"sweep: SWEEP_PARAMS is not valid JSON ({e}): {text[:200]!r}") from None
    if not isinstance(value, dict):
        raise ValueError(f"sweep: SWEEP_PARAMS is not a JSON object: {text[:200]!r}")
    return value


def _env_int(key, default):
    text = os.environ.get(key)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"sweep: {key} is not an integer: {text!r}") from None


def seed(default=None):
    """The trial's seed (SWEEP_SEED, an unsigned 64-bit integer); `default` outside a trial.

    Many libraries want a smaller seed: ``sweep.seed() % 2**32`` for NumPy."""
    return _env_int("SWEEP_SEED", default)


def attempt():
    """Which attempt at the trial this is: 1 the first time, 2 and up after an interruption."""
    return _env_int("SWEEP_ATTEMPT", 1)


def resumed():
    """True when this attempt continues an interrupted one (SWEEP_ATTEMPT > 1).

    Whether there is anything to continue from is the program's business: look for your
    checkpoint in `trial_dir()` (it may be missing if the last attempt died early)."""
    return attempt() > 1


def name(default=None):
    """The sweep's name (SWEEP_NAME); `default` outside a trial."""
    return os.environ.get("SWEEP_NAME") or default


def trial(default=None):
    """The trial number (SWEEP_TRIAL); `default` outside a trial."""
    return _env_int("SWEEP_TRIAL", default)


def trial_dir():
    """The trial's folder (a `pathlib.Path`, created if missing): checkpoints and outputs go here.

    It is the same folder on every attempt at the trial, so a checkpoint written there by
    an interrupted attempt is found by the next one. Outside a trial: $SWEEP_TRIAL_DIR if
    set, else a fresh temporary folder for this process (so a run by hand never picks up
    a stale checkpoint); its path is printed once on stderr."""
    text = os.environ.get("SWEEP_TRIAL_DIR")
    if text:
        path = Path(text)
    else:
        with _lock:
            if not _local_dir:
                _local_dir.append(Path(tempfile.mkdtemp(prefix="sweep-local-")))
                print(f"sweep: not in a trial; trial_dir() is {_local_dir[0]}", file=sys.stderr)
        path = _local_dir[0]
    path.mkdir(parents=True, exist_ok=True)
    return path


def _number(value):
    """`value` as an int or float when it is a number (numpy/torch scalars included), else None.

    bool -> 0/1; objects with `.item()` (numpy and torch scalars, one-element arrays and
    tensors) are unwrapped; anything else that float() accepts becomes a float, except
    strings and bytes, which are not numbers here."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if value is None or isinstance(value, (str, bytes, bytearray)):
        return None
    item = getattr(value, "item", None)
    if callable(item):
        size = getattr(value, "size", None)
        if callable(size):  # torch: .size() is the shape
            try:
                size = getattr(value, "numel")()
            except Exception:
                size = None
        if size is None or size == 1:
            try:
                inner = item()
            except Exception:
                return None
            if inner is not value:
                return _number(inner)
        return None
    try:
        return float(value)
    except Exception:
        return None


def _warn_dropped(names, step):
    _dropped["count"] += len(names)
    if not _dropped["warned"]:
        _dropped["warned"] = True
        where = f" at step {step}" if step is not None else ""
        print(f"sweep: dropped non-finite value(s){where}: {', '.join(names)} "
              "(NaN/Infinity are not JSON; later drops are only counted)", file=sys.stderr)


@atexit.register
def _report_dropped():
    if _dropped["count"] > 1:
        print(f"sweep: {_dropped['count']} non-finite metric values were dropped in all",
              file=sys.stderr)


def _line(step, metrics):
    """The JSON line for `step` (int or None) and `metrics` (name -> number), non-finite
    dropped; None when no metric is left (the worker refuses a line without one)."""
    row = {} if step is None else {"step": step}
    bad = []
    for key, value in metrics.items():
        if isinstance(value, float) and not math.isfinite(value):
            bad.append(key)
        else:
            row[key] = value
    if bad:
        _warn_dropped(bad, step)
    if len(row) == (0 if step is None else 1):
        return None
    return json.dumps(row, allow_nan=False, separators=(",", ":")) + "\n"


def _append(text):
    """Append one complete line to $SWEEP_METRICS in a single write (O_APPEND), or print it
    on stderr outside a trial. `text` None: nothing to write."""
    if text is None:
        return
    path = os.environ.get("SWEEP_METRICS")
    if not path:
        sys.stderr.write("sweep.log: " + text)
        sys.stderr.flush()
        return
    data = text.encode("utf-8")
    with _lock:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = os.write(fd, data)
            while written < len(data):  # a regular file does not short-write in practice
                written += os.write(fd, data[written:])
        finally:
            os.close(fd)


def _check_step(step):
    if step is None:
        return None
    if isinstance(step, bool):
        raise TypeError("sweep.log: step must be an integer >= 1, not a bool")
    try:
        step = step.__index__()
    except AttributeError:
        raise TypeError(f"sweep.log: step must be an integer >= 1, got {step!r}") from None
    if step < 1:
        raise ValueError(f"sweep.log: step must be an integer >= 1, got {step}")
    return step


def log(step=None, metrics=None, /, **values):
    """Record metrics for one step: ``log(step=3, val_loss=0.47)`` or ``log(3, {"val/r2": 0.5})``.

    `step` is an integer >= 1 (e.g. the epoch counted from 1); without one the values go
    to the step after the last. Names that are not Python identifiers ("val/r2") go in
    the `metrics` dict. Values are numbers: int, float, bool, or numpy/torch scalars
    (anything with `.item()`, or that float() accepts); other values raise TypeError. A
    NaN or infinite value is dropped with a warning on stderr (a step left with no
    value is not written). Calling `log` twice for the same step merges the two. Outside a trial the line is printed on stderr."""
    if "step" in values:
        if step is not None:
            raise TypeError("sweep.log: step given twice")
        step = values.pop("step")
    step = _check_step(step)
    merged = dict(metrics or {})
    merged.update(values)
    if not merged:
        raise TypeError("sweep.log: no metrics given")
    row = {}
    for key, value in merged.items():
        if not isinstance(key, str):
            raise TypeError(f"sweep.log: metric names must be strings, got {key!r}")
        if key.startswith("_"):
            raise ValueError(f"sweep.log: metric names may not start with '_': {key!r}")
        number = _number(value)
        if number is None:
            raise TypeError(f"sweep.log: {key}={value!r} is not a number")
        row[key] = number
    _append(_line(step, row))


def mark_preempting():
    """Tell `sweep` this run is being pre-empted (W&B's `run.mark_preempting()`).

    Writes ``{"_preempting": true}``; when the program then exits (with any status), the
    trial is marked interrupted and resumed later instead of failed. Outside a trial the
    line is printed on stderr."""
    _append('{"_preempting":true}\n')
