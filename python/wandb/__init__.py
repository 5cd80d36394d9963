"""sweep's offline stand-in for the `wandb` package (Weights & Biases).

A script written for a W&B sweep runs unchanged as a `sweep` trial: `sweep run` puts the
folder holding this package first on PYTHONPATH, so ``import wandb`` finds this module
instead of the real client. Nothing leaves the machine: `wandb.log` appends the trial's
metrics to $SWEEP_METRICS through the protocol in ``sweep.py`` (next to this package).
To use the real client instead, set ``wandb: false`` in the sweep file or run
``sweep run --no-wandb``.

Supported (matching wandb 0.2x; see python/README.md for the differences):
``init`` (-> `Run`), ``run``, ``config``, ``summary``, ``log``, ``finish``, ``define_metric``
(accepted, no effect), ``mark_preempting``, ``login``, ``watch``/``unwatch``/``save``/
``alert`` (no-ops), ``termlog``/``termwarn``/``termerror``, ``sweep`` and ``agent``, ``Settings``,
``Error``, the media types (``Image``, ``Table``, ``Histogram``, ``Video``, ``Audio``, ``Html``,
``Object3D``, ``Molecule``, ``Plotly``, ``Graph``, ``plot.*``: accepted, never recorded), and the
Keras callbacks in ``wandb.integration.keras`` (also ``wandb.keras``).

Steps: W&B's ``_step`` counts committed rows from 0; the stand-in writes W&B step N as
protocol step N + 1, one line per committed row.
"""

import atexit
import importlib
import importlib.util
import json
import math
import operator
import os
import sys
import time
from pathlib import Path

__version__ = "0.0.0+sweep-stand-in"

_STAND_IN = "sweep's offline W&B stand-in"
_SWITCH_OFF = "set `wandb: false` in the sweep file or run `sweep run --no-wandb`"


def _load_protocol():
    """The `sweep.py` helper next to this package (shared writer), loaded under a private name."""
    name = "_sweep_stand_in_protocol"
    if name in sys.modules:
        return sys.modules[name]
    # `sweep` puts the helper's folder on PYTHONPATH, next to or before this package's;
    # load that file by path so a user's own module named `sweep` cannot shadow it.
    folders = [Path(__file__).resolve().parent.parent]
    folders += [Path(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    path = next((f / "sweep.py" for f in folders if (f / "sweep.py").is_file()), None)
    if path is None:
        return importlib.import_module("sweep")
    spec = importlib.util.spec_from_file_location(name, str(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_protocol = _load_protocol()


# ----------------------------------------------------------------------------- errors


class Error(Exception):
    """Base error of the stand-in (W&B's `wandb.Error`)."""


class UsageError(Error):
    """Wrong use of the API (W&B's `wandb.UsageError`)."""


class CommError(Error):
    """Never raised: the stand-in does not talk to a server (W&B's `wandb.CommError`)."""


class ConfigError(Error):
    """A config value changed without ``allow_val_change=True`` (as W&B raises)."""


# ----------------------------------------------------------------------------- terminal

_warned_once = set()


def termlog(string="", newline=True, repeat=True, prefix=True):
    """Print `string` on stderr with W&B's "wandb: " prefix."""
    _term(string, "", newline, repeat, prefix)


def termwarn(string="", newline=True, repeat=True, prefix=True):
    """Print a warning on stderr ("wandb: WARNING ...")."""
    _term(string, "WARNING ", newline, repeat, prefix)


def termerror(string="", newline=True, repeat=True, prefix=True):
    """Print an error on stderr ("wandb: ERROR ...")."""
    _term(string, "ERROR ", newline, repeat, prefix)


def _term(string, level, newline, repeat, prefix):
    string = str(string)
    if not repeat:
        if string in _warned_once:
            return
        _warned_once.add(string)
    head = f"wandb: {level}" if prefix else level
    text = "\n".join(head + line for line in string.split("\n"))
    sys.stderr.write(text + ("\n" if newline else ""))
    sys.stderr.flush()


def _note_once(key, text):
    if key not in _warned_once:
        _warned_once.add(key)
        termlog(f"({_STAND_IN}) {text}")


# ----------------------------------------------------------------------------- media


class _Media:
    """A W&B data type: accepted with any arguments so scripts that build one do not fail,
    but `log` skips it (only numbers are recorded)."""

    def __init__(self, *args, **kwargs):
        self._args = args
        self._kwargs = kwargs

    def __repr__(self):
        return f"<wandb.{type(self).__name__} (not recorded by {_STAND_IN})>"

    def __getattr__(self, name):
        # Builder methods (Table.add_data, add_column, ...) do nothing and chain.
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *a, **k: None

    @classmethod
    def from_keras(cls, *args, **kwargs):
        return cls()


def _media_type(name):
    return type(name, (_Media,), {"__doc__": f"W&B's `wandb.{name}`: accepted, not recorded."})


Image = _media_type("Image")
Table = _media_type("Table")
Histogram = _media_type("Histogram")
Video = _media_type("Video")
Audio = _media_type("Audio")
Html = _media_type("Html")
Object3D = _media_type("Object3D")
Molecule = _media_type("Molecule")
Plotly = _media_type("Plotly")
Graph = _media_type("Graph")
Classes = _media_type("Classes")
box3d = _media_type("box3d")


class _PlotModule:
    """`wandb.plot`: every chart function (line, scatter, bar, histogram, line_series,
    confusion_matrix, pr_curve, roc_curve, ...) returns a chart object that `log` skips."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        chart = type(name, (_Media,), {})
        return lambda *a, **k: chart(*a, **k)


plot = _PlotModule()


class Settings:
    """`wandb.Settings(...)`: accepts any settings; none of them has an effect here."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


# ----------------------------------------------------------------------------- config


def _to_dict(params):
    """W&B's `parse_config`: a dict, argparse Namespace, absl/tf FLAGS, or any object with
    __dict__ -> dict."""
    if params is None:
        return {}
    if isinstance(params, dict):
        return dict(params)
    if isinstance(params, Config):
        return params.as_dict()
    flag_values = getattr(params, "flag_values_dict", None)
    if callable(flag_values):
        return dict(flag_values())
    if hasattr(params, "__dict__"):
        return {k: v for k, v in vars(params).items() if not k.startswith("_")}
    if hasattr(params, "keys") and hasattr(params, "__getitem__"):
        return {k: params[k] for k in params.keys()}
    raise TypeError(f"wandb.config: cannot read a config from {type(params).__name__}")


def _merge_dicts(base, over):
    out = dict(base)
    for k, v in over.items():
        if isinstance(out.get(k), dict) and isinstance(v, dict):
            out[k] = _merge_dicts(out[k], v)
        else:
            out[k] = v
    return out


class Config:
    """The run's config (W&B's `wandb.Config`): attribute and item access, `update`, `get`,
    `keys`/`items`, `as_dict`, `setdefaults`, `in`, iteration.

    The trial's parameters are locked, as W&B's agent locks a sweep's: a later `update`
    or assignment that would change one is ignored with a warning. Changing another
    key's value needs ``allow_val_change=True`` (else ConfigError, as in W&B). Keys are
    normalized by stripping leading/trailing "-"."""

    def __init__(self):
        object.__setattr__(self, "_items", {})
        object.__setattr__(self, "_locked", set())

    def __repr__(self):
        return str(dict(self.items()))

    def keys(self):
        return [k for k in self._items if not k.startswith("_")]

    def items(self):
        return [(k, v) for k, v in self._items.items() if not k.startswith("_")]

    def values(self):
        return [v for _, v in self.items()]

    def as_dict(self):
        return dict(self.items())

    def __getitem__(self, key):
        return self._items[key]

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self._items[key]
        except KeyError:
            raise AttributeError(f"{self.__class__!r} object has no attribute {key!r}") from None

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def __contains__(self, key):
        return key in self._items

    def get(self, *args):
        return self._items.get(*args)

    def _set(self, key, val, allow_val_change):
        key = str(key).strip("-")
        if key in self._locked:
            if self._items.get(key) != val:
                termwarn(f"Config item '{key}' was locked by 'sweep' (ignored update).")
            return
        if not allow_val_change and key in self._items and self._items[key] != val:
            raise ConfigError(
                f'Attempted to change value of key "{key}" from {self._items[key]} to {val}\n'
                "If you really want to do this, pass allow_val_change=True to config.update()")
        self._items[key] = val

    def __setitem__(self, key, val):
        self._set(key, val, allow_val_change=False)

    __setattr__ = __setitem__

    def update(self, d, allow_val_change=None):
        for k, v in _to_dict(d).items():
            self._set(k, v, allow_val_change)

    def setdefaults(self, d):
        for k, v in _to_dict(d).items():
            k = str(k).strip("-")
            if k not in self._items:
                self._items[k] = v

    def _merge_locked(self, d):
        for k, v in d.items():
            k = str(k).strip("-")
            if isinstance(self._items.get(k), dict) and isinstance(v, dict):
                self._items[k] = _merge_dicts(self._items[k], v)
            else:
                self._items[k] = v
            self._locked.add(k)


class _PreInit:
    """`wandb.config` / `wandb.summary` before `wandb.init()`: any use raises wandb.Error."""

    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        raise Error(f"You must call wandb.init() before {self._name}.{key}")

    def __setattr__(self, key, value):
        raise Error(f"You must call wandb.init() before {self._name}.{key}")

    def __getitem__(self, key):
        raise Error(f"You must call wandb.init() before {self._name}[{key!r}]")

    def __setitem__(self, key, value):
        raise Error(f"You must call wandb.init() before {self._name}[{key!r}]")


# ----------------------------------------------------------------------------- summary


class Summary:
    """The run's summary (W&B's `run.summary`): the last value logged for each key, which
    the script may overwrite (``run.summary["best_val"] = x``). Written to summary.json in
    the trial folder at finish."""

    def __init__(self):
        object.__setattr__(self, "_items", {})

    def keys(self):
        return [k for k in self._items if k != "_wandb"]

    def items(self):
        return [(k, self._items[k]) for k in self.keys()]

    def get(self, key, default=None):
        return self._items.get(key, default)

    def __getitem__(self, key):
        return self._items[key]

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self._items[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setitem__(self, key, val):
        self._items[key] = val

    __setattr__ = __setitem__

    def __delitem__(self, key):
        del self._items[key]

    __delattr__ = __delitem__

    def __contains__(self, key):
        return key in self._items

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def __repr__(self):
        return str(dict(self.items()))

    def update(self, d):
        self._items.update(d)

    def _as_dict(self):
        return dict(self._items)


# ----------------------------------------------------------------------------- values


def _flatten(data, prefix, out):
    """Nested dicts become dotted names, as W&B names nested metrics ({"a": {"b": 1}} -> "a.b")."""
    for key, value in data.items():
        if not isinstance(key, str):
            raise TypeError("Key values passed to `wandb.log` must be strings.")
        name = prefix + key
        if isinstance(value, dict):
            _flatten(value, name + ".", out)
        else:
            out[name] = value
    return out


class _Metric:
    """What `define_metric` returns: holds its arguments, has no effect."""

    def __init__(self, name, step_metric=None, step_sync=None, hidden=None, summary=None,
                 goal=None, overwrite=None, **kwargs):
        self.name = name
        self.step_metric = step_metric
        self.step_sync = step_sync
        self.hidden = hidden
        self.summary = summary
        self.goal = goal
        self.overwrite = overwrite

    def __repr__(self):
        return f"<wandb.Metric {self.name!r} (define_metric has no effect in {_STAND_IN})>"


# ----------------------------------------------------------------------------- run

_STATE_FILE = "wandb-stand-in-state.json"


class Run:
    """A run (W&B's `wandb.Run`). Inside a sweep trial the process is one trial and its
    run: `id` is "<sweep>-<trial>", `name` "trial-NNNN", `dir` the trial folder."""

    def __init__(self, config, project, entity, name, notes, tags, group, job_type, resume):
        self._in_trial = _protocol.in_trial()
        sweep_name = _protocol.name()
        trial = _protocol.trial()
        self.sweep_id = sweep_name
        self.id = f"{sweep_name}-{trial}" if self._in_trial else f"local-{os.getpid()}"
        self.name = f"trial-{trial:04d}" if trial is not None else (name or self.id)
        self.display_name = self.name
        self.project = project or "uncategorized"
        self.entity = entity or "local"
        self.notes = notes
        self.tags = tuple(tags or ())
        self.group = group
        self.job_type = job_type
        self.url = None
        self.offline = True
        self.disabled = False
        self.config = config
        self.summary = Summary()
        self._dir = None
        self._row = {}
        self._skipped = set()
        self._finished = False
        self._start = time.time()
        self._state_written = 0.0
        self.resumed = bool(resume) and resume != "never" and _protocol.resumed()
        self._step = self._read_state() if self.resumed else 0
        self.starting_step = self._step

    # --- identity -----------------------------------------------------------------

    @property
    def dir(self):
        """The trial folder (SWEEP_TRIAL_DIR), as a str like W&B's."""
        if self._dir is None:
            self._dir = str(_protocol.trial_dir())
        return self._dir

    @property
    def path(self):
        return f"{self.entity}/{self.project}/{self.id}"

    @property
    def step(self):
        """W&B's current step (`_step` of the row being filled)."""
        return self._step

    def get_url(self):
        return None

    def get_project_url(self):
        return None

    def get_sweep_url(self):
        return None

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"wandb.Run has no attribute {name!r} in {_STAND_IN}; supported: id, name, dir, "
            "config, summary, log, finish, define_metric, mark_preempting, project, entity, "
            f"sweep_id, step, resumed, starting_step. To use the real client, {_SWITCH_OFF}.")

    # --- logging ------------------------------------------------------------------

    def _check_open(self, what):
        if self._finished:
            raise UsageError(f"Run {self.id} is finished. The call to `{what}` will be ignored.")

    def log(self, data, step=None, commit=None, sync=None):
        """Record a row of metrics, with W&B's step rules.

        Each call without `step` and without ``commit=False`` commits the row and moves to
        the next step; ``commit=False`` accumulates into the current row; `step` jumps to
        that step (committing the current row first; a step below the current one is
        ignored with a warning, as W&B does) and, unless ``commit=True``, keeps the row
        open. Numbers are recorded (bool -> 0/1, numpy/torch scalars); nested dicts
        become dotted names; media, strings, lists and other values are skipped (one
        warning per key); NaN/Infinity are dropped."""
        self._check_open("log")
        if not isinstance(data, dict):
            raise TypeError("wandb.log must be passed a dictionary")
        flat = _flatten(data, "", {})
        if step is not None:
            if isinstance(step, bool):
                raise TypeError("wandb.log: step must be an integer")
            step = operator.index(step)
            if step < self._step:
                termwarn(f"Tried to log to step {step} that is less than the current step "
                         f"{self._step}. Steps must be monotonically increasing, so this data "
                         "will be ignored.")
                return
            if step > self._step:
                self._flush(next_step=step)
        skipped = []
        for key, value in flat.items():
            if key.startswith("_"):
                continue
            number = _protocol._number(value)
            if number is None:
                if key not in self._skipped:
                    self._skipped.add(key)
                    skipped.append(f"{key!r} ({type(value).__name__})")
                continue
            if key == "step":
                _note_once("step-key", "a metric named 'step' is the protocol's step key; "
                           "it is not recorded (the row's step is W&B's _step + 1)")
                continue
            self._row[key] = number
        if skipped:
            termwarn(f"({_STAND_IN}) only numbers are recorded; skipped: {', '.join(skipped)}")
        should_flush = commit if commit is not None else step is None
        if should_flush:
            self._flush(next_step=self._step + 1)

    def _flush(self, next_step):
        """Write the open row (if any) as protocol step `_step + 1`, then move to `next_step`."""
        if self._row:
            for key, value in self._row.items():
                self.summary._items[key] = value
            self.summary._items["_step"] = self._step
            self.summary._items["_runtime"] = time.time() - self._start
            if self._in_trial:
                _protocol._append(_protocol._line(self._step + 1, self._row))
            self._row = {}
        self._step = next_step
        if self._in_trial and time.time() - self._state_written >= 1.0:
            self._write_state()

    # --- resume state -------------------------------------------------------------

    def _read_state(self):
        try:
            with open(os.path.join(self.dir, _STATE_FILE)) as f:
                return int(json.load(f)["next_step"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0

    def _write_state(self):
        self._state_written = time.time()
        path = os.path.join(self.dir, _STATE_FILE)
        try:
            with open(path + ".tmp", "w") as f:
                json.dump({"next_step": self._step}, f)
            os.replace(path + ".tmp", path)
        except OSError:
            pass

    # --- the rest of the API ------------------------------------------------------

    def finish(self, exit_code=None, quiet=None):
        """Commit the open row, write summary.json into the trial folder, end the run."""
        if self._finished:
            return
        self._flush(next_step=self._step + 1 if self._row else self._step)
        self._finished = True
        if self._in_trial:
            self._write_state()
            try:
                path = os.path.join(self.dir, "summary.json")
                with open(path + ".tmp", "w") as f:
                    json.dump(_json_safe(self.summary._as_dict()), f, indent=1, sort_keys=True)
                    f.write("\n")
                os.replace(path + ".tmp", path)
            except OSError as e:
                termwarn(f"could not write summary.json: {e}")
        _end_run(self)

    def mark_preempting(self):
        """Tell `sweep` the run is being pre-empted: the trial is resumed later, not failed."""
        self._check_open("mark_preempting")
        if self._in_trial:
            _protocol.mark_preempting()

    def define_metric(self, name, step_metric=None, step_sync=None, hidden=None, summary=None,
                      goal=None, overwrite=None, **kwargs):
        """Accepted and ignored (steps are always W&B's _step + 1; the sweep file's metric
        decides what is optimized)."""
        return _Metric(name, step_metric, step_sync, hidden, summary, goal, overwrite)

    def watch(self, *args, **kwargs):
        return None

    def unwatch(self, *args, **kwargs):
        return None

    def save(self, *args, **kwargs):
        return True

    def alert(self, title="", text="", *args, **kwargs):
        termlog(f"alert: {title}: {text}")

    def log_code(self, *args, **kwargs):
        return None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if exc_type is not None:
            import traceback
            traceback.print_exception(exc_type, exc_val, exc_tb)
        self.finish(exit_code=1 if exc_type is not None else 0)
        return False

    def __repr__(self):
        return f"<wandb.Run {self.id} ({_STAND_IN})>"


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (str, bool)) or value is None:
        return value
    number = _protocol._number(value)
    if number is None:
        return repr(value)
    if isinstance(number, float) and not math.isfinite(number):
        return None
    return number


# ----------------------------------------------------------------------------- module API

run = None
config = _PreInit("wandb.config")
summary = _PreInit("wandb.summary")


def _end_run(r):
    global run, config, summary
    if run is r:
        run = None
        config = _PreInit("wandb.config")
        summary = _PreInit("wandb.summary")


@atexit.register
def _finish_at_exit():
    if run is not None:
        run.finish()


def init(project=None, entity=None, config=None, name=None, reinit=None, resume=None,
         notes=None, tags=None, group=None, job_type=None, mode=None, dir=None, id=None,
         settings=None, config_exclude_keys=None, config_include_keys=None,
         allow_val_change=None, **kwargs):
    """Start the run (W&B's `wandb.init`) and return it; also sets `wandb.run`,
    `wandb.config` and `wandb.summary`.

    Config: `config` (a dict, argparse Namespace or object with __dict__) gives the
    defaults; the trial's parameters (SWEEP_PARAMS) are merged over them and locked, as
    W&B's agent does. `project`, `entity` and `name` are kept on the run; `id`, `dir`,
    `mode` and other W&B arguments are accepted and have no effect (the run is always
    the trial, always local). With `resume` set (True, "allow", "must", "auto") on a
    later attempt (SWEEP_ATTEMPT > 1), steps continue after the last one this stand-in
    wrote in the trial, as a resumed W&B run's do; without it they start over at 1.

    Called again while a run is active, it returns that run (W&B's default outside
    notebooks), unless ``reinit=True`` / "finish_previous" / "create_new": then the
    previous run is finished and a new one starts; its steps continue after the old
    run's (one trial is one series of steps)."""
    global run, summary
    cfg = config
    if run is not None:
        if reinit in (True, "finish_previous", "create_new"):
            previous_step = run._step
            run.finish()
        else:
            termlog("wandb.init() called while a run is active, so returning the previous run.")
            return run
    else:
        previous_step = None
    if not _protocol.in_trial():
        _note_once("outside", "not in a sweep trial (no SWEEP_METRICS): "
                   "wandb.log values are not recorded")
    values = _to_dict(cfg)
    if config_include_keys:
        values = {k: v for k, v in values.items() if k in config_include_keys}
    if config_exclude_keys:
        values = {k: v for k, v in values.items() if k not in config_exclude_keys}
    conf = Config()
    conf.update(values, allow_val_change=True)
    conf._merge_locked(_protocol.params())
    r = Run(conf, project, entity, name, notes, tags, group, job_type, resume)
    if previous_step is not None and previous_step > r._step:
        r._step = r.starting_step = previous_step
    run = r
    globals()["config"] = conf
    summary = r.summary
    return r


def _current(what):
    if run is None:
        raise Error(f"You must call wandb.init() before {what}()")
    return run


def log(data, step=None, commit=None, sync=None):
    """`wandb.run.log(...)`; raises wandb.Error before `wandb.init()`."""
    _current("wandb.log").log(data, step=step, commit=commit)


def finish(exit_code=None, quiet=None):
    """Finish the active run, if any."""
    if run is not None:
        run.finish(exit_code=exit_code, quiet=quiet)


join = finish


def mark_preempting():
    """`wandb.run.mark_preempting()`: writes {"_preempting": true}; the trial is resumed later."""
    _current("wandb.mark_preempting").mark_preempting()


def define_metric(name, step_metric=None, step_sync=None, hidden=None, summary=None,
                  goal=None, overwrite=None, **kwargs):
    """Accepted and ignored; returns a Metric object holding the arguments."""
    _current("wandb.define_metric")
    return _Metric(name, step_metric, step_sync, hidden, summary, goal, overwrite)


def login(*args, **kwargs):
    """Nothing to log in to: returns True."""
    return True


def watch(*args, **kwargs):
    """No-op (W&B logs gradients/parameters as histograms, which are not recorded here)."""
    return None


def unwatch(*args, **kwargs):
    return None


def save(*args, **kwargs):
    """No-op: files written to `wandb.run.dir` (the trial folder) stay there."""
    return True


def alert(title="", text="", *args, **kwargs):
    termlog(f"alert: {title}: {text}")


def setup(*args, **kwargs):
    return None


def teardown(*args, **kwargs):
    finish()


def sweep(sweep=None, entity=None, project=None, prior_runs=None):
    """Return an id for the running sweep (SWEEP_NAME; "local-sweep" outside one).

    No sweep is created: `sweep run` and its sweep file decide the trials, and this
    process already is one of them. Together with `agent` (which calls the function
    once), notebook-style scripts that call ``wandb.sweep`` + ``wandb.agent`` run
    unchanged."""
    _note_once("sweep", f"wandb.sweep(): no sweep is created ({_STAND_IN}); this process "
               "is one trial of the sweep that `sweep run` runs, with its sweep file's parameters")
    return _protocol.name() or "local-sweep"


def agent(sweep_id=None, function=None, entity=None, project=None, count=None,
          forward_signals=False, term_timeout=None):
    """Call `function()` ONCE: inside a sweep trial this process is one run, with the
    trial's parameters in `wandb.config` after `function` calls `wandb.init()`. `count`
    is ignored. A run left open by `function` is finished. An exception in `function`
    propagates (the trial fails), where W&B's agent would print it and go on."""
    if function is None:
        termwarn(f"wandb.agent() without a function does nothing in {_STAND_IN}: "
                 "`sweep run` starts the sweep file's program itself.")
        return None
    _note_once("agent", f"wandb.agent(): calling the function once ({_STAND_IN}: "
               "this process is one trial)")
    try:
        function()
    finally:
        finish()


_SUPPORTED = (
    "init, run, config, summary, log, finish, define_metric (no effect), mark_preempting, "
    "login, watch, unwatch, save, alert, sweep, agent (calls the function once), Settings, "
    "Error, termlog, termwarn, termerror, the media types Image, Table, Histogram, Video, "
    "Audio, Html, Object3D, Molecule, Plotly, Graph and plot.* (accepted, not recorded), and "
    "the Keras callbacks in wandb.integration.keras / wandb.keras "
    "(WandbMetricsLogger, WandbModelCheckpoint, WandbCallback)")

_SUBMODULES = ("integration", "keras")


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    raise AttributeError(
        f"module 'wandb' has no attribute {name!r}: this is {_STAND_IN}, which records "
        f"metrics for `sweep` offline and supports only: {_SUPPORTED}. To use the real "
        f"wandb package instead, {_SWITCH_OFF}.")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
