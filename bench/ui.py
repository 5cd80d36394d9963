#!/usr/bin/env python3
"""How fast `sweep ui` (the live dashboard) is, and what it costs the sweep it watches.

  python3 bench/ui.py [--bin target/release/sweep] [--dir /tmp/sweep-ui-bench] [--reps 20]
                      [--parts db,http,browser,latency,writer] [--markdown FILE]
                      [--benchmarks BENCHMARKS.md]

About 7 minutes on 2 cores the first time (5 of them making the database, cached after),
2 to 3 after. Needs python3 (stdlib only) and, for the browser parts, /usr/bin/chromium and
/usr/bin/chromedriver (Debian: apt-get install chromium-driver). Every figure comes from
the built binary; nothing is written into a database by hand.

1. db: a database of 10,000 trials x 50 epochs (500,000 epoch rows), made with
   `sweep run --fake-trainer 0` (the fake trainer writes the same rows as real training;
   `max_epochs: 50, patience: 50` so every trial runs all 50 epochs), plus two small sweeps
   (a grid with diverging trials, a random one that stops early) so the list has several.
   Cached under --dir (reused when its checks pass); the time it took is kept with it.
2. http: `sweep ui --db DB --port 0`, then each page's requests with urllib, one after the
   other, as the page's app.js makes them (sweep list; the big sweep's page: its data and
   the curves of its table's first 50 rows; its best trial's page), --reps times: the first
   load, median and max. Apart: the shell's static assets, the sweep page's "What mattered"
   (which the page does not wait for) and its live poll. Beside them, the CLI reading the
   same data in the same run (`sweep status`, `leaderboard`, `compare`, `importance`).
   Server memory: resident at start, then peak (VmHWM of /proc/PID/status) after the http
   and browser parts, and after 4 clients loading the sweep page at once.
3. browser: the same pages in headless Chromium through chromedriver's WebDriver API:
   navigation start (performance.timeOrigin) to the page's `document.body.dataset.loaded`
   being "1" (the page's own `dataset.loadedMs` when it sets one, else performance.now()
   when polling every 20 ms first sees it). The requests the page made (Resource Timing)
   must be exactly those the http part times; one made twice is reported.
4. latency: a sweep of fake epochs of --latency-epoch-ms (370 ms) in a second database,
   shown live in Chromium on its sweep page, then on a running trial's page. A script in
   the page notes when `window.sweepUi.latest` ({trial: epochs shown}) changes (Date.now(),
   checked on every change of body's data-updates and every 10 ms); per new epoch, that
   moment minus the epoch's `recorded_at` in SQLite (same machine clock).
5. writer: a sweep of --writer-trials x 50 fake epochs of 0 ms, 2 workers, in a fresh
   database each run: epochs/s from the database's timestamps (epochs recorded after the
   first 2 s, over their span), (a) with nothing else running, (b) with `sweep ui` serving
   that database and Chromium showing the sweep's page (polling every second; the CPU both
   used is noted), alternated --writer-rounds times. `--parts writer-a` runs (a) only.

Progress goes to stderr; each measurement as a JSON line to --dir/results.jsonl; the
results table (Markdown) to stdout, to --markdown FILE, and between the bench/ui markers
of --benchmarks FILE. Exits non-zero on anything unexpected (a failed command, a wrong row
count, a page that never loads or asks for something not timed).
"""
import argparse
import json
import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--window-size=1400,1000",
]
BIG = "ui-big"
BIG_TRIALS, BIG_EPOCHS = 10_000, 50
LIVE = "ui-live"
WRITER = "ui-writer"
AIMS = {"list": 0.5, "sweep": 2.0, "trial": 0.3, "memory_mib": 150}

DATA = "data:\n  synthetic: {rows: 100, seed: 1}\n"
BIG_SPEC = f"""name: {BIG}
method: random
metric: {{name: val_r2, goal: maximize}}
run_cap: {BIG_TRIALS}
seed: 11
parameters:
  learning_rate: {{distribution: log_uniform_values, min: 0.0003, max: 0.03}}
  dropout_dense: {{values: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5]}}
  dropout_lstm:  {{values: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5]}}
  batch_size:    {{values: [128, 256, 512, 1024]}}
  lstm_units:    {{values: [8, 16, 32, 64]}}
{DATA}training: {{max_epochs: {BIG_EPOCHS}, patience: {BIG_EPOCHS}}}
"""
EXTRA_SPECS = {
    # 4 of 12 trials diverge (learning rate 2): failed trials in the list.
    "ui-grid": """name: ui-grid
method: grid
metric: {name: val_r2, goal: maximize}
seed: 2
parameters:
  learning_rate: {values: [0.001, 0.003, 2.0]}
  dropout_dense: {values: [0.1, 0.2, 0.3, 0.4]}
""" + DATA + "training: {max_epochs: 20, patience: 20}\n",
    # Patience 3: most trials stop early, at different epochs.
    "ui-early": """name: ui-early
method: random
metric: {name: val_r2, goal: maximize}
run_cap: 40
seed: 3
parameters:
  learning_rate: {distribution: uniform, min: 0.0005, max: 0.01}
  dropout_lstm: {values: [0.1, 0.3, 0.5]}
""" + DATA + "training: {max_epochs: 40, patience: 3}\n",
}


def live_spec(epochs):
    return f"""name: {LIVE}
method: random
metric: {{name: val_r2, goal: maximize}}
run_cap: 2
seed: 5
parameters:
  learning_rate: {{distribution: uniform, min: 0.001, max: 0.005}}
{DATA}training: {{max_epochs: {epochs}, patience: {epochs}}}
"""


def writer_spec(name, trials, epochs):
    return f"""name: {name}
method: random
metric: {{name: val_r2, goal: maximize}}
run_cap: {trials}
seed: 9
parameters:
  learning_rate: {{distribution: uniform, min: 0.001, max: 0.005}}
  dropout_dense: {{values: [0.1, 0.2, 0.3]}}
{DATA}training: {{max_epochs: {epochs}, patience: {epochs}}}
"""


class BenchError(Exception):
    """Something the benchmark did not expect: the run stops with a non-zero exit."""


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def check(condition, message):
    if not condition:
        raise BenchError(message)


# ---------------------------------------------------------------------------------------
# Time, SQLite, commands


def utc_ms(text):
    """Milliseconds since the epoch of the store's UTC text (2026-11-27T18:30:57.123Z)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000.0


def query(db, sql, params=()):
    """Rows of a read-only query (the database may be in use by writers)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def wait_for(what, probe, timeout, every=0.05):
    """Call probe() until it returns something truthy; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = probe()
        except sqlite3.OperationalError:
            value = None  # the database is not made yet, or is locked for a moment
        if value:
            return value
        check(time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def run_checked(cmd, **kwargs):
    """Run a command to its end; on a non-zero exit show its output and fail."""
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        log(done.stdout[-4000:], done.stderr[-4000:])
        raise BenchError(f"exit {done.returncode}: {' '.join(map(str, cmd))}")
    return done


def timed(cmd, **kwargs):
    start = time.perf_counter()
    done = run_checked(cmd, **kwargs)
    return time.perf_counter() - start, done


def sweep_run(bin_, spec_path, db, workers, fake_ms, **popen):
    """`sweep run` of a sweep file with the fake trainer, its output kept in a log file."""
    cmd = [bin_, "run", spec_path, "--db", db, "--workers", str(workers),
           "--fake-trainer", str(fake_ms), "--no-report"]
    out = open(Path(db).parent / f"run-{Path(spec_path).stem}.log", "w")
    return subprocess.Popen([str(c) for c in cmd], cwd=Path(db).parent, stdout=out,
                            stderr=subprocess.STDOUT, **popen)


def finish(proc, what, timeout, expected=(0,)):
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise BenchError(f"{what} still running after {timeout} s")
    check(rc in expected, f"{what} exited with {rc} (see its log beside the database)")


def still_running(proc, what):
    check(proc.poll() is None, f"{what} ended early, exit {proc.returncode} (see its log "
                               "beside the database)")


def interrupt(proc, what, timeout=30):
    """Ctrl-C a `sweep run` we started: it stops its workers and exits 130."""
    check(proc.poll() is None, f"{what} ended before it was interrupted")
    proc.send_signal(signal.SIGINT)
    finish(proc, what, timeout, expected=(130,))


def epoch_times(db, sweep):
    """recorded_at of every epoch of a sweep, in ms, sorted."""
    rows = query(db, "SELECT e.recorded_at FROM epochs e JOIN trials t ON t.id = e.trial_id "
                     "JOIN sweeps s ON s.id = t.sweep_id WHERE s.name = ?", (sweep,))
    return sorted(utc_ms(r[0]) for r in rows)


def stats(values):
    check(values, "no values to summarize")
    return {"first": values[0], "median": statistics.median(values), "max": max(values),
            "n": len(values)}


# ---------------------------------------------------------------------------------------
# 1. The database


def big_counts(db):
    """(trials, completed trials, epoch rows, trials with exactly 50 epochs) of the big sweep."""
    return query(db, f"""
        SELECT COUNT(*), SUM(t.state = 'completed'),
               (SELECT COUNT(*) FROM epochs e JOIN trials t2 ON t2.id = e.trial_id
                 WHERE t2.sweep_id = s.id),
               (SELECT COUNT(*) FROM (SELECT COUNT(*) AS n FROM epochs e
                  JOIN trials t3 ON t3.id = e.trial_id WHERE t3.sweep_id = s.id
                  GROUP BY e.trial_id) WHERE n = {BIG_EPOCHS})
        FROM sweeps s JOIN trials t ON t.sweep_id = s.id WHERE s.name = ?""", (BIG,))[0]


def expected_big_counts():
    return (BIG_TRIALS, BIG_TRIALS, BIG_TRIALS * BIG_EPOCHS, BIG_TRIALS)


def build_database(bin_, root, workers):
    """The cached 10,000 x 50 database and the facts of its making (see the docstring)."""
    folder = root / "db"
    db, meta_path = folder / "sweeps.db", folder / "made.json"
    specs = {BIG: BIG_SPEC, **EXTRA_SPECS}
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("specs") == specs and tuple(big_counts(db)) == expected_big_counts():
            log(f"db: reusing {db} (made {meta['made']})")
            return db, meta
        log("db: the cached database does not match; making it again")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, text in specs.items():
        (folder / f"{name}.yaml").write_text(text)
    log(f"db: making {BIG_TRIALS} trials x {BIG_EPOCHS} epochs with {workers} workers "
        "(minutes)...")
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    finish(sweep_run(bin_, folder / f"{BIG}.yaml", db, workers, 0), "sweep run (big)", 3 * 3600)
    seconds = time.perf_counter() - start
    for name in EXTRA_SPECS:
        finish(sweep_run(bin_, folder / f"{name}.yaml", db, 2, 0), f"sweep run ({name})", 600)
    counts = tuple(big_counts(db))
    check(counts == expected_big_counts(),
          f"big sweep: (trials, completed, epochs, trials of 50 epochs) = {counts}, "
          f"expected {expected_big_counts()}")
    times = epoch_times(db, BIG)
    meta = {
        "specs": specs, "made": datetime.now().isoformat(timespec="seconds"),
        "workers": workers, "wall_s": seconds, "epochs": len(times), "load_before": load_before,
        "epochs_per_s_wall": len(times) / seconds,
        "epochs_per_s_recorded": (len(times) - 1) / ((times[-1] - times[0]) / 1000.0),
        "db_mib": db.stat().st_size / 2**20,
    }
    meta_path.write_text(json.dumps(meta, indent=1))
    return db, meta


# ---------------------------------------------------------------------------------------
# The dashboard server


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dashboard:
    """`sweep ui --db DB --port 0`, its address read from the line it prints."""

    def __init__(self, bin_, db):
        self.log_path = Path(db).parent / "ui.log"
        self.proc = subprocess.Popen([str(bin_), "ui", "--db", str(db), "--port", "0"],
                                     stdout=subprocess.PIPE,
                                     stderr=open(self.log_path, "w"))
        self.url = self._address()

    def _address(self):
        ready, _, _ = select.select([self.proc.stdout], [], [], 20)
        check(ready, f"sweep ui printed nothing in 20 s (stderr: {self.log_path})")
        line = self.proc.stdout.readline().decode()
        found = re.match(r"dashboard: (http://[^/\s]+)/\S*$", line.strip())
        check(found, f"sweep ui's first line is not its address: {line!r}")
        return found.group(1)

    def memory_kib(self):
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        return {k: int(fields[k].split()[0]) for k in ("VmHWM", "VmRSS")}

    def cpu_s(self):
        return cpu_s([self.proc.pid])

    def close(self):
        check(self.proc.poll() is None, f"sweep ui died early (stderr: {self.log_path})")
        self.proc.send_signal(signal.SIGTERM)
        finish(self.proc, "sweep ui (after SIGTERM)", 10)

    def __enter__(self):
        return self

    def __exit__(self, kind, *_):
        if kind is None:
            self.close()
        elif self.proc.poll() is None:
            self.proc.kill()


def proc_stat(pid):
    """The fields of /proc/PID/stat after the command name (state is [0], ppid [1])."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def descendants(pid):
    """pid and every process below it."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int(proc_stat(entry.name)[1]), []).append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                pass  # gone meanwhile
    out, todo = [], [pid]
    while todo:
        out.append(todo.pop())
        todo.extend(children.get(out[-1], []))
    return out


def cpu_s(pids):
    """User and system CPU seconds of live processes (a process gone meanwhile counts 0)."""
    total = 0
    for pid in pids:
        try:
            fields = proc_stat(pid)
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def get(url):
    """GET a URL to its last byte: (seconds, body)."""
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        check(response.status == 200, f"GET {url}: HTTP {response.status}")
        body = response.read()
    return time.perf_counter() - start, body


def get_json(url):
    return json.loads(get(url)[1])


# ---------------------------------------------------------------------------------------
# 2. Pages over HTTP


def quoted(name):
    return urllib.parse.quote(name, safe="")


def page_requests(sweep, trial, first_trials):
    """The requests each page load makes, in order, as app.js makes them (the shell's five
    static assets aside: they are timed on their own)."""
    s = quoted(sweep)
    trials = ",".join(map(str, first_trials))
    return {
        "list": ["/", "/api/sweeps"],
        "sweep": [f"/sweeps/{s}", f"/api/sweeps/{s}", f"/api/sweeps/{s}/curves?trials={trials}"],
        "trial": [f"/sweeps/{s}/trials/{trial}", f"/api/sweeps/{s}/trials/{trial}"],
    }


def late_requests(sweep):
    """Requests a page makes beside the others, without waiting for them to say it is loaded:
    the sweep page's "What mattered" (`sweep importance`'s analysis)."""
    return {"sweep": [f"/api/sweeps/{quoted(sweep)}/importance"]}


def shell_assets(base):
    """What every page's HTML shell loads before app.js asks for data (its /assets/ links)."""
    html = get(base + "/")[1].decode()
    assets = re.findall(r'(?:href|src)="(/assets/[^"]+)"', html)
    check(any(a.endswith("/app.js") for a in assets), f"the page shell loads no app.js: {html}")
    return assets
FIRST_TABLE_PAGE = 50  # rows the sweep page's table shows first, and whose curves it fetches


def targets(base):
    """The big sweep's page and its best trial, from the API itself."""
    sweeps = get_json(base + "/api/sweeps")["sweeps"]
    names = [s["name"] for s in sweeps]
    check(BIG in names and all(n in names for n in EXTRA_SPECS), f"/api/sweeps lists {names}")
    big = next(s for s in sweeps if s["name"] == BIG)
    check(big["counts"]["total"] == BIG_TRIALS and big["counts"]["completed"] == BIG_TRIALS,
          f"/api/sweeps counts of {BIG}: {big['counts']}")
    check(big["best"], f"/api/sweeps gives {BIG} no best trial")
    page = get_json(base + f"/api/sweeps/{BIG}")
    check(len(page["rows"]) == BIG_TRIALS, f"/api/sweeps/{BIG} has {len(page['rows'])} rows")
    first = [row_trial(r) for r in page["rows"][:FIRST_TABLE_PAGE]]
    return big["best"]["trial"], first, page["now"]


def row_trial(row):
    for key in ("trial", "number"):
        if key in row:
            return row[key]
    raise BenchError(f"a leaderboard row without a trial number: {sorted(row)}")


def time_pages(base, pages, reps):
    """Per page: the seconds of each load (its requests one after the other), and bytes."""
    out = {}
    for page, paths in pages.items():
        loads, sizes, per_request = [], {}, {p: [] for p in paths}
        for _ in range(reps):
            total = 0.0
            for path in paths:
                seconds, body = get(base + path)
                total += seconds
                per_request[path].append(seconds)
                sizes[path] = len(body)
            loads.append(total)
        out[page] = {"load_s": stats(loads), "bytes": sizes,
                     "request_median_s": {p: statistics.median(v) for p, v in per_request.items()}}
    return out


def concurrent_loads(base, paths, clients, each):
    """`clients` threads each loading a page `each` times at once: seconds per load."""
    loads, errors = [], []

    def client():
        try:
            for _ in range(each):
                loads.append(sum(get(base + path)[0] for path in paths))
        except Exception as e:  # noqa: BLE001 (shown below, the run fails)
            errors.append(repr(e))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, f"concurrent loads failed: {errors[:3]}")
    return {"clients": clients, "load_s": stats(loads)}


def time_cli(bin_, db, trial, reps=5):
    """The CLI reading the same data: the reference beside each page."""
    commands = {
        "list": [bin_, "status", "--db", db],
        "sweep": [bin_, "leaderboard", BIG, "--db", db, "--format", "json"],
        "trial": [bin_, "compare", BIG, str(trial), "--db", db],
        "importance": [bin_, "importance", BIG, "--db", db, "--format", "json"],
    }
    out = {}
    for page, cmd in commands.items():
        out[page] = stats([timed(cmd)[0] for _ in range(reps)])
        out[page]["command"] = " ".join(["sweep", cmd[1]] + [str(c) for c in cmd[2:]
                                                             if c != db and c != "--db"])
    return out


# ---------------------------------------------------------------------------------------
# Headless Chromium through chromedriver (WebDriver REST API)


class Browser:
    """One headless Chromium session with a fresh profile."""

    def __init__(self, root):
        for path in (CHROMIUM, CHROMEDRIVER):
            check(os.access(path, os.X_OK), f"{path} is missing (apt-get install chromium-driver)")
        self.profile = root / "chromium-profile"
        shutil.rmtree(self.profile, ignore_errors=True)
        port = free_port()
        self.driver = subprocess.Popen([CHROMEDRIVER, f"--port={port}"],
                                       stdout=open(root / "chromedriver.log", "w"),
                                       stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{port}"
        wait_for("chromedriver", self._ready, 20)
        caps = {"browserName": "chrome", "pageLoadStrategy": "normal",
                "goog:chromeOptions": {"binary": CHROMIUM,
                                       "args": CHROMIUM_ARGS + [f"--user-data-dir={self.profile}"]}}
        self.session = self._call("POST", "/session", {"capabilities": {"alwaysMatch": caps}})[
            "sessionId"]

    def _ready(self):
        try:
            return self._call("GET", "/status")["ready"]
        except OSError:
            return False

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as e:
            raise BenchError(f"WebDriver {method} {path}: {e.code} {e.read()[:2000]!r}")

    def cpu_s(self):
        """CPU seconds of Chromium's processes (those under chromedriver), as of now."""
        return cpu_s(descendants(self.driver.pid)[1:])

    def navigate(self, url):
        self._call("POST", f"/session/{self.session}/url", {"url": url})

    def js(self, script, *args):
        return self._call("POST", f"/session/{self.session}/execute/sync",
                          {"script": script, "args": list(args)})

    def close(self):
        try:
            self._call("DELETE", f"/session/{self.session}")
        finally:
            self.driver.terminate()
            self.driver.wait(10)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()


LOADED_JS = """
const b = document.body;
if (!b || b.dataset.loaded !== "1") return null;
const nav = performance.getEntriesByType("navigation")[0];
return {loadedMs: b.dataset.loadedMs === undefined ? null : Number(b.dataset.loadedMs),
        now: performance.now(), url: location.href,
        responseEnd: nav ? nav.responseEnd : null,
        domContentLoaded: nav ? nav.domContentLoadedEventEnd : null,
        navBytes: nav ? nav.transferSize : 0, entries: RESOURCES()};
"""
# Every request the page made so far (finished ones only): path, end (ms), bytes transferred.
RESOURCES_JS = """() => performance.getEntriesByType("resource").map((e) => ({
    path: new URL(e.name).pathname + new URL(e.name).search, end: e.responseEnd,
    bytes: e.transferSize}))"""
LOADED_JS = LOADED_JS.replace("RESOURCES()", f"({RESOURCES_JS})()")


def browser_load(browser, url, late=(), timeout=60):
    """Open a page and wait for it to say it has rendered: ms from navigation start. Then wait
    for the `late` requests (which the page makes without waiting for them), if any."""
    browser.navigate(url)
    seen = wait_for(f"{url} to set body.dataset.loaded", lambda: browser.js(LOADED_JS),
                    timeout, every=0.02)
    check(seen["url"] == url, f"the browser is at {seen['url']}, not {url}")
    seen["ms"] = seen["loadedMs"] if seen["loadedMs"] is not None else seen["now"]
    seen["source"] = "dataset.loadedMs" if seen["loadedMs"] is not None else "polling"
    api = [e["end"] for e in seen["entries"] if e["path"].startswith("/api/")
           and e["path"] not in late]
    seen["api_done"] = max(api, default=0)
    if late:
        seen["entries"] = wait_for(f"{url}'s requests {late}",
                                   lambda: finished(browser, late), timeout, every=0.05)
        seen["late_done"] = max(e["end"] for e in seen["entries"] if e["path"] in late)
    seen["requests"] = [e["path"] for e in seen["entries"]]
    seen["transferred"] = seen["navBytes"] + sum(e["bytes"] for e in seen["entries"])
    return seen


def finished(browser, paths):
    """The page's requests once all of `paths` have finished, else None."""
    entries = browser.js(f"return ({RESOURCES_JS})()")
    done = {e["path"] for e in entries}
    return entries if all(p in done for p in paths) else None


def time_browser_pages(browser, base, pages, late, assets, reps):
    """Per page: ms to loaded over reps loads (the first with a cold cache), and the requests
    the page made (checked against `pages` and `late`, what the http part times)."""
    out = {}
    for page, paths in pages.items():
        page_late = late.get(page, [])
        loads = [browser_load(browser, base + paths[0], page_late) for _ in range(reps)]
        requests = loads[0]["requests"]
        timed_paths = set(assets) | {p for p in paths if p.startswith("/api/")} | set(page_late)
        check(set(requests) == timed_paths, f"the {page} page asked for {requests}, the http "
                                            f"part times {sorted(timed_paths)}")
        out[page] = {"loaded_ms": stats([l["ms"] for l in loads]),
                     "dom_content_loaded_ms": statistics.median(
                         l["domContentLoaded"] for l in loads),
                     "api_done_ms": statistics.median(l["api_done"] for l in loads),
                     "late_ms": (stats([l["late_done"] for l in loads]) if page_late
                                 else None),
                     "transferred_bytes": [l["transferred"] for l in loads],
                     "source": loads[0]["source"], "requests": requests,
                     "repeated": sorted({r for r in requests if requests.count(r) > 1})}
    return out


# ---------------------------------------------------------------------------------------
# 4. Commit -> browser latency

WATCH_JS = """
if (!window.__bench) {
  window.__bench = [];
  let last = null;
  const note = () => {
    const ui = window.sweepUi;
    const latest = ui && ui.latest ? JSON.stringify(ui.latest) : null;
    if (latest !== last) {
      last = latest;
      window.__bench.push({t: Date.now(), latest: latest && JSON.parse(latest)});
    }
  };
  new MutationObserver(note).observe(document.body,
      {attributes: true, attributeFilter: ["data-updates", "data-loaded"]});
  setInterval(note, 10);
  note();
}
return window.__bench.splice(0);
"""


def shown_epochs(browser, n, only_trial, timeout):
    """Watch the open page until n new epochs have appeared: {(trial, epoch): shown ms}."""
    snapshots = browser.js(WATCH_JS)
    check(snapshots and snapshots[0]["latest"] is not None,
          "window.sweepUi.latest is missing on the page")
    known = {int(k): int(v) for k, v in snapshots[0]["latest"].items()}
    first_seen = {}
    deadline = time.monotonic() + timeout
    while len(first_seen) < n:
        check(time.monotonic() < deadline, f"only {len(first_seen)} of {n} epochs shown "
                                           f"in {timeout} s")
        time.sleep(0.2)
        for snap in browser.js(WATCH_JS):
            for key, shown in (snap["latest"] or {}).items():
                trial, shown = int(key), int(shown)
                if only_trial is not None and trial != only_trial:
                    continue
                before = known.get(trial)
                if before is None:  # a trial new to the page: its epochs count from now
                    known[trial] = before = 0
                for epoch in range(before + 1, shown + 1):
                    first_seen.setdefault((trial, epoch), snap["t"])
                known[trial] = max(before, shown)
    return dict(list(first_seen.items())[:n])


def latencies(db, sweep, first_seen):
    rows = query(db, "SELECT t.number, e.epoch, e.recorded_at FROM epochs e "
                     "JOIN trials t ON t.id = e.trial_id JOIN sweeps s ON s.id = t.sweep_id "
                     "WHERE s.name = ?", (sweep,))
    recorded = {(n, e): utc_ms(at) for n, e, at in rows}
    out = []
    for key, shown in first_seen.items():
        check(key in recorded, f"the page shows trial {key[0]} epoch {key[1]}, "
                               "which the database does not have")
        out.append(shown - recorded[key])
    check(min(out) >= 0, f"an epoch shown before it was recorded: {min(out)} ms")
    return sorted(out)


def measure_latency(bin_, root, epochs_per_page, epoch_ms):
    """Sweep page, then a running trial's page: ms from recorded_at to shown (see docstring)."""
    folder = root / "live"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    spec = folder / f"{LIVE}.yaml"
    spec.write_text(live_spec(3 * epochs_per_page + 20))
    db = folder / "sweeps.db"
    run = sweep_run(bin_, spec, db, 2, epoch_ms)

    def first_epoch():
        still_running(run, "sweep run (live sweep)")
        return epoch_times(db, LIVE)

    try:
        wait_for("the live sweep's first epoch", first_epoch, 60)
        with Dashboard(bin_, db) as ui, Browser(root) as browser:
            out = {}
            browser_load(browser, f"{ui.url}/sweeps/{LIVE}")
            log(f"latency: sweep page, {epochs_per_page} epochs...")
            seen = shown_epochs(browser, epochs_per_page, None, 60 + epochs_per_page)
            out["sweep"] = stats(latencies(db, LIVE, seen))
            running = query(db, "SELECT t.number FROM trials t JOIN sweeps s ON "
                                "s.id = t.sweep_id WHERE s.name = ? AND t.state = 'running' "
                                "ORDER BY t.number LIMIT 1", (LIVE,))
            check(running, "no trial of the live sweep is running any more")
            trial = running[0][0]
            browser_load(browser, f"{ui.url}/sweeps/{LIVE}/trials/{trial}")
            log(f"latency: trial {trial}'s page, {epochs_per_page} epochs...")
            seen = shown_epochs(browser, epochs_per_page, trial, 60 + epochs_per_page)
            out["trial"] = stats(latencies(db, LIVE, seen))
    except BaseException:
        if run.poll() is None:
            run.kill()
        raise
    interrupt(run, "sweep run (live sweep)")
    return out


# ---------------------------------------------------------------------------------------
# 5. Writer throughput with and without the dashboard

SKIP_S = 2.0  # epochs of a run's first seconds are left out (the page is opening in (b))


def writer_database(bin_, root, label, trials):
    """A fresh database holding a one-epoch sweep (in both kinds of run, so that it exists
    for `sweep ui` before the writer starts), and the writer's sweep file beside it."""
    folder = root / "writer" / label
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    db = folder / "sweeps.db"
    warm = folder / "ui-warm.yaml"
    warm.write_text(writer_spec("ui-warm", 1, 1))
    finish(sweep_run(bin_, warm, db, 1, 0), "sweep run (warm-up)", 60)
    spec = folder / f"{WRITER}.yaml"
    spec.write_text(writer_spec(WRITER, trials, BIG_EPOCHS))
    return db, spec


def show_writer(run, ui, browser, db):
    """Open the writer's sweep page as soon as the sweep exists: the time it showed (ms)."""
    def made():
        still_running(run, "sweep run (writer)")
        return query(db, "SELECT 1 FROM sweeps WHERE name = ?", (WRITER,))

    wait_for("the writer sweep", made, 30, every=0.01)
    browser_load(browser, f"{ui.url}/sweeps/{WRITER}")
    return time.time() * 1000.0


def throughput(db, trials, shown_at):
    """Epochs/s of the writer's sweep from its timestamps, after its first SKIP_S seconds."""
    times = epoch_times(db, WRITER)
    check(len(times) == trials * BIG_EPOCHS, f"writer run: {len(times)} epochs, expected "
                                             f"{trials * BIG_EPOCHS}")
    start = times[0] + SKIP_S * 1000.0
    window = [t for t in times if t >= start]
    check(len(window) > 100, f"writer run too short: {len(window)} epochs after {SKIP_S} s "
                             "(raise --writer-trials)")
    if shown_at is not None:
        check(shown_at <= start, f"the page took {(shown_at - times[0]) / 1000:.2f} s to show, "
                                 f"more than the {SKIP_S} s left out")
    return {"epochs_per_s": (len(window) - 1) / ((window[-1] - window[0]) / 1000.0),
            "whole_run_epochs_per_s": (len(times) - 1) / ((times[-1] - times[0]) / 1000.0),
            "seconds": (times[-1] - times[0]) / 1000.0}


def writer_run(bin_, root, label, trials, browser):
    """One writer run in a fresh database; with browser, the dashboard is showing it."""
    db, spec = writer_database(bin_, root, label, trials)
    ui = run = None
    try:
        ui = Dashboard(bin_, db) if browser else None
        cpu_before = (ui.cpu_s(), browser.cpu_s()) if ui else None
        run = sweep_run(bin_, spec, db, 2, 0)
        shown_at = show_writer(run, ui, browser, db) if ui else None
        finish(run, "sweep run (writer)", 1800)
        if ui:
            cpu = (ui.cpu_s() - cpu_before[0], browser.cpu_s() - cpu_before[1])
            updates = int(browser.js("return document.body.dataset.updates || '0'"))
            ui.close()
            browser.navigate("about:blank")
    except BaseException:
        for proc in (run, ui and ui.proc):
            if proc and proc.poll() is None:
                proc.kill()
        raise
    result = {"label": label, "dashboard": bool(browser), **throughput(db, trials, shown_at)}
    if ui:
        check(updates >= result["seconds"] / 2 - 1,
              f"the page applied {updates} live updates in a {result['seconds']:.0f} s run")
        result.update(ui_cpu_s=cpu[0], browser_cpu_s=cpu[1], page_updates=updates)
    return result


def measure_writer(bin_, root, trials, rounds, with_dashboard=True):
    runs = []
    browser = Browser(root) if with_dashboard else None
    try:
        for i in range(1, rounds + 1):
            runs.append(writer_run(bin_, root, f"{i}a", trials, None))
            log(f"writer {i}a: {runs[-1]['epochs_per_s']:.0f} epochs/s")
            if browser:
                runs.append(writer_run(bin_, root, f"{i}b", trials, browser))
                log(f"writer {i}b (dashboard open): {runs[-1]['epochs_per_s']:.0f} epochs/s")
    finally:
        if browser:
            browser.close()
    return runs


# ---------------------------------------------------------------------------------------
# The table


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), "?")
    return f"{os.cpu_count()} cores, {cpu}"


def size(n):
    return f"{n} B" if n < 1024 else f"{n / 1024:.0f} KiB" if n < 2**20 else f"{n / 2**20:.1f} MiB"


def markdown(args, r):
    lines = [f"Command: `python3 bench/ui.py{args.shown}` · machine: {machine()} · "
             f"date: {time.strftime('%Y-%m-%d', time.gmtime())} · load before: "
             f"{args.load_before:.2f}", ""]
    if "db" in r:
        m = r["db"]
        lines += [f"Database: {BIG_TRIALS:,} trials × {BIG_EPOCHS} epochs ({m['epochs']:,} epoch "
                  f"rows, {m['db_mib']:.0f} MiB) and two small sweeps, made by `sweep run "
                  f"--fake-trainer 0 --workers {m['workers']}` in {m['wall_s']:.0f} s "
                  f"({m['epochs_per_s_wall']:.0f} epochs/s; load before "
                  f"{m.get('load_before', float('nan')):.2f}; made {m['made']}).", ""]
    if "http" in r:
        h, cli = r["http"], r["cli"]
        lines += ["| page (its requests, one after the other) | sweep ui: first / median / max "
                  "(s) | the CLI, same data: median (s) | aim |", "|---|---|---|---|"]
        for page, title in (("list", "sweep list"), ("sweep", f"sweep page ({BIG})"),
                            ("trial", f"trial page ({BIG} #{r['trial']})")):
            s = h[page]["load_s"]
            paths = ", ".join(f"`{p.split('?')[0]}` {size(h[page]['bytes'][p])}"
                              for p in h[page]["bytes"])
            lines.append(f"| {title}: {paths} | {s['first']:.3f} / {s['median']:.3f} / "
                         f"{s['max']:.3f} | `{cli[page]['command']}` {cli[page]['median']:.3f} | "
                         f"under {AIMS[page]} |")
        s = h["assets"]["load_s"]
        names = ", ".join(p.rsplit("/", 1)[1] for p in h["assets"]["bytes"])
        lines.append(f"| the shell's static assets, each page ({names}): "
                     f"{size(sum(h['assets']['bytes'].values()))} | {s['first']:.3f} / "
                     f"{s['median']:.3f} / {s['max']:.3f} | | |")
        s = h["sweep-late"]["load_s"]
        lines.append(f"| the sweep page's \"What mattered\" (`/api/sweeps/{BIG}/importance`, "
                     f"{size(sum(h['sweep-late']['bytes'].values()))}; asked for beside the "
                     f"curves, the page is loaded without it) | {s['first']:.3f} / "
                     f"{s['median']:.3f} / {s['max']:.3f} | `sweep importance {BIG}` "
                     f"{cli['importance']['median']:.3f} | |")
        s = h["live"]["load_s"]
        lines.append(f"| the sweep page's poll each second (`/api/sweeps/{BIG}/live`), nothing "
                     f"changed | {s['first']:.3f} / {s['median']:.3f} / {s['max']:.3f} | | |")
    if "browser" in r:
        lines += ["", "| page in headless Chromium, navigation to `data-loaded` | first / "
                  "median / max (ms) | of which: last JSON response in, median (ms) | "
                  "bytes over the wire, later loads | aim |", "|---|---|---|---|---|"]
        for page in ("list", "sweep", "trial"):
            b = r["browser"][page]
            s = b["loaded_ms"]
            lines.append(f"| {page} ({b['source']}) | {s['first']:.0f} / {s['median']:.0f} / "
                         f"{s['max']:.0f} | {b['api_done_ms']:.0f} | "
                         f"{size(statistics.median(b['transferred_bytes'][1:] or [0]))} | "
                         f"under {AIMS[page] * 1000:.0f} |")
            if b["late_ms"]:
                s = b["late_ms"]
                lines.append(f"| {page}: its \"What mattered\" answer in (after `data-loaded`) "
                             f"| {s['first']:.0f} / {s['median']:.0f} / {s['max']:.0f} | | | |")
        for page in ("list", "sweep", "trial"):
            if r["browser"][page]["repeated"]:
                lines.append(f"\nThe {page} page requested more than once in one load: "
                             + ", ".join(f"`{x.split('=')[0]}=...`" if len(x) > 80 else f"`{x}`"
                                         for x in r["browser"][page]["repeated"]))
    if "memory" in r:
        lines += ["", f"Server memory: resident at start {r['memory_idle']['VmRSS'] / 1024:.0f} "
                      f"MiB; after the loads above, peak resident "
                      f"{r['memory']['VmHWM'] / 1024:.0f} MiB, resident now "
                      f"{r['memory']['VmRSS'] / 1024:.0f} MiB (aim: under "
                      f"{AIMS['memory_mib']} MB)."]
    if "concurrent" in r:
        c, m = r["concurrent"], r["memory_concurrent"]
        lines.append(f"Then the sweep page's requests by {c['clients']} clients at once, "
                     f"{c['load_s']['n']} loads: median {c['load_s']['median']:.3f} s, max "
                     f"{c['load_s']['max']:.3f} s a load; peak resident "
                     f"{m['VmHWM'] / 1024:.0f} MiB, resident after them "
                     f"{m['VmRSS'] / 1024:.0f} MiB.")
    if "latency" in r:
        lines += ["", "| epoch's commit (`recorded_at`) to the browser showing it | median (ms) "
                  "| max (ms) | epochs | reference |", "|---|---|---|---|---|"]
        for page in ("sweep", "trial"):
            s = r["latency"][page]
            lines.append(f"| {page} page | {s['median']:.0f} | {s['max']:.0f} | {s['n']} | "
                         "the page polls every 1,000 ms |")
        lines.append(f"\n(fake epochs of {args.latency_epoch_ms} ms, 2 workers)")
    if "writer" in r:
        a = [x["epochs_per_s"] for x in r["writer"] if not x["dashboard"]]
        b = [x["epochs_per_s"] for x in r["writer"] if x["dashboard"]]
        lines += ["", f"| writer: {args.writer_trials} trials × {BIG_EPOCHS} fake epochs of 0 ms, "
                      "2 workers (epochs/s) | runs, in order | median |", "|---|---|---|"]
        lines.append(f"| (a) nothing else running | {', '.join(f'{x:.0f}' for x in a)} | "
                     f"{statistics.median(a):.0f} |")
        if b:
            cpu = statistics.median(x["ui_cpu_s"] / x["seconds"] for x in r["writer"]
                                    if x["dashboard"])
            browser_cpu = statistics.median(x["browser_cpu_s"] / x["seconds"]
                                            for x in r["writer"] if x["dashboard"])
            lines.append(f"| (b) `sweep ui` serving it, Chromium showing its sweep page | "
                         f"{', '.join(f'{x:.0f}' for x in b)} | {statistics.median(b):.0f} "
                         f"({statistics.median(b) / statistics.median(a):.2f} × (a); server "
                         f"CPU {100 * cpu:.0f}%, Chromium {100 * browser_cpu:.0f}% of a core) |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin", default=REPO / "target/release/sweep", type=Path)
    p.add_argument("--dir", default=Path("/tmp/sweep-ui-bench"), type=Path)
    p.add_argument("--parts", default="db,http,browser,latency,writer")
    p.add_argument("--reps", type=int, default=20, help="loads of each page over HTTP")
    p.add_argument("--browser-reps", type=int, default=10)
    p.add_argument("--gen-workers", type=int, default=2)
    p.add_argument("--latency-epochs", type=int, default=40, help="epochs timed per page")
    # Not a divisor or multiple of the page's 1 s poll, so epochs land at every phase of it.
    p.add_argument("--latency-epoch-ms", type=int, default=370)
    p.add_argument("--writer-trials", type=int, default=400)
    p.add_argument("--writer-rounds", type=int, default=3)
    p.add_argument("--markdown", type=Path, help="also write the table to this file")
    p.add_argument("--benchmarks", type=Path, help="replace the table between the bench/ui "
                   "markers of this file (BENCHMARKS.md)")
    args = p.parse_args()
    args.load_before = os.getloadavg()[0]
    hidden = {"--markdown", "--benchmarks", str(args.markdown), str(args.benchmarks)}
    args.shown = "".join(f" {a}" for a in sys.argv[1:] if a.split("=")[0] not in hidden)
    parts = args.parts.split(",")
    unknown = set(parts) - {"db", "http", "browser", "latency", "writer", "writer-a"}
    check(not unknown, f"unknown --parts {sorted(unknown)}")
    check(args.bin.exists(), f"{args.bin} is missing: cargo build --release")
    args.dir.mkdir(parents=True, exist_ok=True)
    results = {}
    record = open(args.dir / "results.jsonl", "a")

    def keep(name, value):
        results[name] = value
        record.write(json.dumps({"part": name, "at": time.time(), "value": value}) + "\n")
        record.flush()
        shown = {k: v for k, v in value.items() if k != "specs"} if name == "db" else value
        log(f"{name}: {json.dumps(shown)[:600]}")

    if {"db", "http", "browser"} & set(parts):
        db, made = build_database(args.bin, args.dir, args.gen_workers)
        keep("db", made)
    if {"http", "browser"} & set(parts):
        with Dashboard(args.bin, db) as ui:
            trial, first, now = targets(ui.url)
            keep("trial", trial)
        # A server of its own for the timings, so that each page's first load is its first.
        with Dashboard(args.bin, db) as ui:
            keep("memory_idle", ui.memory_kib())
            pages = page_requests(BIG, trial, first)
            late = late_requests(BIG)
            assets = shell_assets(ui.url)
            if "http" in parts:
                log(f"http: {args.reps} loads of each page...")
                # The sweep page's poll each second, when nothing has changed.
                live = [f"/api/sweeps/{BIG}/live?since={urllib.parse.quote(now)}"]
                apart = {"sweep-late": late["sweep"], "assets": assets, "live": live}
                keep("http", time_pages(ui.url, {**pages, **apart}, args.reps))
                keep("cli", time_cli(args.bin, db, trial))
            if "browser" in parts:
                log(f"browser: {args.browser_reps} loads of each page...")
                with Browser(args.dir) as browser:
                    keep("browser", time_browser_pages(browser, ui.url, pages, late, assets,
                                                       args.browser_reps))
            keep("memory", ui.memory_kib())
            if "http" in parts:
                log("http: the sweep page by 4 clients at once...")
                keep("concurrent", concurrent_loads(ui.url, pages["sweep"], 4, 5))
                keep("memory_concurrent", ui.memory_kib())
    if "latency" in parts:
        keep("latency", measure_latency(args.bin, args.dir, args.latency_epochs,
                                        args.latency_epoch_ms))
    if "writer" in parts or "writer-a" in parts:  # writer-a: without the dashboard runs
        keep("writer", measure_writer(args.bin, args.dir, args.writer_trials,
                                      args.writer_rounds, with_dashboard="writer" in parts))
    table = markdown(args, results)
    print(table)
    if args.markdown:
        args.markdown.write_text(table)
    if args.benchmarks:
        replace_between_markers(args.benchmarks, table)


def replace_between_markers(path, table):
    start, end = "<!-- bench/ui: start -->", "<!-- bench/ui: end -->"
    text = path.read_text()
    check(text.count(start) == 1 and text.count(end) == 1, f"{path} lacks the {start} markers")
    before, rest = text.split(start)
    path.write_text(f"{before}{start}\n{table}{end}{rest.split(end, 1)[1]}")


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        log(f"bench/ui.py: FAILED: {e}")
        sys.exit(1)
