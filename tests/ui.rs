//! `sweep ui` end to end: the built binary serving real SQLite run databases made by real
//! sweeps (the fake trainer where only the dashboard is under test), looked at by headless
//! Chromium through WebDriver, and asked over plain HTTP for what a browser cannot show
//! (tokens, path escapes, what the server never writes).
//!
//! CI installs Chromium and ChromeDriver and sets SWEEP_REQUIRE_BROWSER=1, so there the
//! browser tests cannot be skipped.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

#[path = "common/browser.rs"]
mod browser;
#[path = "common/chromium.rs"]
mod chromium;
#[path = "common/fake_sweep.rs"]
mod fake_sweep;
#[path = "common/postgres.rs"]
mod pg;
#[path = "common/processes.rs"]
mod processes;

use browser::{Browser, Dashboard, chromium_and_driver, http};
use fake_sweep::fake_sweep;

/// Where the README's screenshot comes from: `SWEEP_UI_SCREENSHOT=docs/dashboard.png`
/// writes it there; otherwise it goes to the target folder.
const SCREENSHOT_VARIABLE: &str = "SWEEP_UI_SCREENSHOT";

fn sweep(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sweep"));
    command.current_dir(dir);
    command
}

/// Run a sweep file to the end with the fake trainer (`ms` per epoch).
fn run_fake(dir: &Path, file: &str, text: &str, ms: u64) {
    std::fs::write(dir.join(file), text).unwrap();
    let out = sweep(dir)
        .args(["run", file, "--workers", "2", "--fake-trainer"])
        .arg(ms.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{file}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A grid of `trials` learning rates 0.0005, 0.00051, ... (1,000 distinct values).
fn fine_grid(name: &str, trials: usize, epochs: usize) -> String {
    let rates: Vec<String> = (0..trials)
        .map(|i| format!("{:.6}", 0.0005 + 0.00001 * i as f64))
        .collect();
    format!(
        "name: {name}\nmethod: grid\nparameters:\n  learning_rate: {{values: [{}]}}\n\
         data:\n  synthetic: {{rows: 100, seed: 1}}\ntraining: {{max_epochs: {epochs}, patience: {epochs}}}\n",
        rates.join(", ")
    )
}

/// A sweep running in the background (the fake trainer, `ms` per epoch), killed when dropped.
struct Running(Child);

impl Running {
    fn start(dir: &Path, file: &str, text: &str, ms: u64) -> Running {
        std::fs::write(dir.join(file), text).unwrap();
        let child = sweep(dir)
            .args(["run", file, "--workers", "1", "--fake-trainer"])
            .arg(ms.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Running(child)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for pid in processes::children_of(self.0.id()) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// No console message at all above `INFO` (a script error, a refused resource, a CSP
/// violation, a failed request), and every request went to the dashboard itself.
fn assert_clean(browser: &Browser, dashboard: &Dashboard, page: &str) {
    let console: Vec<String> = browser
        .console()
        .into_iter()
        .filter(|line| !line.starts_with("\"INFO\"") && !line.starts_with("\"DEBUG\""))
        .collect();
    assert!(console.is_empty(), "{page}: console says {console:#?}");
    let origin = dashboard.url.trim_end_matches('/');
    for request in browser.requests() {
        assert!(
            request.starts_with(origin)
                || request.starts_with("blob:")
                || request.starts_with("data:"),
            "{page} asked {request}, which is not the dashboard ({origin})"
        );
    }
}

/// Wait until the page shows trial `number`'s curve three epochs longer than it did, and
/// check that the page was never reloaded meanwhile.
fn grows_without_a_reload(browser: &Browser, number: usize) {
    browser.run("window.__samePage = true; return null;");
    browser.wait_until(
        &format!("(window.sweepUi.latest[{number}] || 0) >= 1"),
        Duration::from_secs(30),
    );
    let before = self::number(&browser.run(&format!("return window.sweepUi.latest[{number}];")));
    browser.wait_until(
        &format!(
            "window.sweepUi.latest[{number}] >= {} && window.__samePage === true",
            before + 3.0
        ),
        Duration::from_secs(10),
    );
}

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("a number, not {value}"))
}

/// The trial numbers of the table's rows, in order.
fn table_trials(browser: &Browser) -> Vec<usize> {
    let rows = browser.run(
        "return Array.from(document.querySelectorAll('#leaderboard tbody tr'))\
         .map(r => Number(r.dataset.trial));",
    );
    rows.as_array()
        .unwrap()
        .iter()
        .map(|v| number(v) as usize)
        .collect()
}

fn table_info(browser: &Browser) -> String {
    browser
        .run("return document.querySelector('#trials .info').textContent;")
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_dashboard_in_a_browser_lists_sorts_filters_grows_live_and_compares() {
    let Some((chromium, chromedriver)) = chromium_and_driver("dashboard in a browser") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    run_fake(dir.path(), "big.yaml", &fine_grid("big", 1000, 3), 0);
    let dashboard = Dashboard::start(dir.path(), "runs/sweeps.db", &[]);
    let base = dashboard.url.clone();
    let browser = Browser::start(&chromium, &chromedriver);

    // The sweep list.
    browser.open_page(&base);
    let listed = browser.run(
        "return Array.from(document.querySelectorAll('#sweeps tbody tr')).map(r => r.dataset.sweep);",
    );
    assert_eq!(listed, serde_json::json!(["big"]));
    assert_clean(&browser, &dashboard, "the sweep list");

    // A 1,000-trial sweep: paged, sorted, filtered.
    browser.open_page(&format!("{base}sweeps/big"));
    assert!(
        table_info(&browser).starts_with("1–50 of 1000 trials"),
        "{}",
        table_info(&browser)
    );
    browser.click("#leaderboard th[data-key='trial']");
    assert_eq!(table_trials(&browser)[..3], [1, 2, 3]);
    browser.click("#leaderboard th[data-key='trial']");
    assert_eq!(table_trials(&browser)[..3], [1000, 999, 998]);
    browser.click("#next-page");
    assert!(
        table_info(&browser).starts_with("51–100 of 1000"),
        "{}",
        table_info(&browser)
    );
    assert_eq!(table_trials(&browser)[0], 950);
    // Brushing the learning rate's axis of the parallel coordinates (its lower half) keeps
    // those trials in the table; a click on the axis lets go.
    let brush = |from: f64, to: f64| {
        browser.run(&format!(
            "const c = document.querySelector('#parallel canvas'); const b = c.getBoundingClientRect(); \
             const at = (t) => b.top + c.height - 40 - t * (c.height - 84); \
             const event = (type, t) => new MouseEvent(type, {{clientX: b.left + 60, clientY: at(t), bubbles: true}}); \
             c.dispatchEvent(event('mousedown', {from})); c.dispatchEvent(event('mousemove', {to})); \
             window.dispatchEvent(event('mouseup', {to})); return null;"
        ))
    };
    brush(0.0, 0.5);
    let kept = table_info(&browser);
    let count: usize = kept
        .split(" of ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (480..=520).contains(&count),
        "the lower half of the learning rates: {kept}"
    );
    brush(0.3, 0.3);
    assert!(
        table_info(&browser).contains("of 1000 trials"),
        "{}",
        table_info(&browser)
    );
    browser.type_into(
        "input.column-filter[data-key='param:learning_rate']",
        "0.000595..0.000705",
    );
    assert_eq!(
        table_trials(&browser),
        (11..=21).rev().collect::<Vec<_>>(),
        "the range keeps learning rates 0.0006 to 0.0007"
    );
    browser.run(
        "const s = document.getElementById('state-filter'); s.value = 'failed'; \
         s.dispatchEvent(new Event('change')); return null;",
    );
    assert!(
        table_info(&browser).starts_with("no trials match"),
        "{}",
        table_info(&browser)
    );
    browser.run(
        "const s = document.getElementById('state-filter'); s.value = 'completed'; \
         s.dispatchEvent(new Event('change')); return null;",
    );
    assert_eq!(table_trials(&browser).len(), 11);
    browser.type_into("#text-filter", "0.00066");
    assert_eq!(table_trials(&browser), [17]);
    // Numbers show 4 significant digits, the full value on hover.
    let cell = browser.run(
        "const c = document.querySelector('#leaderboard tbody tr td:nth-child(5)'); \
         return [c.textContent, c.title];",
    );
    let shown = cell[0].as_str().unwrap();
    let full: f64 = cell[1].as_str().unwrap().parse().unwrap();
    assert!(
        shown
            .trim_start_matches('-')
            .replace('.', "")
            .trim_start_matches('0')
            .len()
            <= 4,
        "{shown}"
    );
    assert!(
        (shown.parse::<f64>().unwrap() - full).abs() <= full.abs() * 1e-3,
        "{shown} vs {full}"
    );
    browser.click("#leaderboard tbody tr[data-trial='17'] input.pick");
    // What mattered, as `sweep importance` says it.
    browser.wait_until(
        "document.querySelectorAll('#mattered tbody tr').length === 1",
        Duration::from_secs(30),
    );
    let mattered = browser
        .run("return document.querySelector('#mattered tbody tr td:nth-child(2)').textContent;");
    assert_eq!(mattered, serde_json::json!("learning_rate"));
    assert_clean(&browser, &dashboard, "the 1,000-trial sweep");

    // A running sweep: its curve grows on the page, without a reload.
    let _running = Running::start(dir.path(), "live.yaml", &fake_sweep("live", 2, 400), 150);
    processes::wait_for(
        "the live sweep in the database",
        Duration::from_secs(60),
        || {
            http()
                .get(&format!("{base}api/sweeps/live"))
                .call()
                .is_ok_and(|r| r.status() == 200)
        },
    );
    browser.open_page(&format!("{base}sweeps/live"));
    grows_without_a_reload(&browser, 1);
    let drawn = browser.run("return document.querySelectorAll('#curves canvas').length;");
    assert!(number(&drawn) >= 1.0, "the curve is drawn");
    // The running trial gets its place in the table without a reload too.
    browser.wait_until(
        "document.querySelector('#leaderboard tbody tr[data-trial=\"1\"] td:nth-child(2)').textContent === '1'",
        Duration::from_secs(15),
    );
    browser.click("#leaderboard tbody tr[data-trial='1'] input.pick");
    let screenshot = browser.screenshot();
    assert_clean(&browser, &dashboard, "the running sweep");

    // Its running trial's page grows too.
    browser.open_page(&format!("{base}sweeps/live/trials/1"));
    grows_without_a_reload(&browser, 1);
    assert_clean(&browser, &dashboard, "the running trial");

    // Two runs of two sweeps, compared.
    browser.click("#compare-link");
    browser.wait_until(
        "document.body.dataset.loaded === '1' && location.pathname === '/compare'",
        Duration::from_secs(30),
    );
    let heads = browser.run(
        "return Array.from(document.querySelectorAll('#compare-params thead th a')).map(a => a.textContent);",
    );
    assert_eq!(heads, serde_json::json!(["big · 17", "live · 1"]));
    let differing = browser.run(
        "return Array.from(document.querySelectorAll('#compare-params tr.differs th')).map(t => t.textContent);",
    );
    assert_eq!(differing, serde_json::json!(["learning_rate ≠"]));
    let lines = browser.run("return document.querySelectorAll('#compare-chart canvas').length;");
    assert!(number(&lines) >= 1.0);
    assert_clean(&browser, &dashboard, "the compare page");

    // The served report is the offline file.
    let report = http()
        .get(&format!("{base}sweeps/big/report"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(report.contains("<h1>sweep big</h1>"));

    let shot = std::env::var_os(SCREENSHOT_VARIABLE).map_or_else(
        || PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png"),
        PathBuf::from,
    );
    std::fs::write(&shot, &screenshot).unwrap();
    eprintln!("screenshot: {}", shot.display());
    drop(browser);
    assert!(
        dashboard.stop().success(),
        "Ctrl-C stops the dashboard cleanly"
    );
}

/// A parameter name that would run if it were HTML (a program's parameter names may hold no
/// `=` or space, so no attribute payload).
const PARAM_NAME: &str = "<script>window.__xss++</script>";

/// A metric name a program reports, as HTML with a handler.
const METRIC_NAME: &str = "<b onmouseover=window.__xss=4>m</b>";

/// Payloads a user's strings might carry: each one, if it ran, would set `window.__xss`.
const PAYLOADS: [&str; 3] = [
    "<script>window.__xss=1</script>",
    "\"><img src=x onerror=\"window.__xss=2\">",
    "<svg onload=window.__xss=3>",
];

#[test]
fn every_user_string_is_shown_as_text_never_run() {
    let Some((chromium, chromedriver)) = chromium_and_driver("escaping in a browser") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // A program whose parameter values, metric names, log and error all carry payloads.
    std::fs::write(
        dir.path().join("train.sh"),
        format!(
            "#!/bin/sh\necho '{{\"step\": 1, \"loss\": 0.5, \"{METRIC_NAME}\": 1}}' >> \"$SWEEP_METRICS\"\n\
             echo '{p0}'\necho '{p1}' >&2\nexit 1\n",
            p0 = PAYLOADS[0],
            p1 = PAYLOADS[1]
        ),
    )
    .unwrap();
    let values: Vec<String> = PAYLOADS
        .iter()
        .map(|p| format!("'{}'", p.replace('\'', "''")))
        .collect();
    std::fs::write(
        dir.path().join("x.yaml"),
        format!(
            "name: xss\nprogram: train.sh\ncommand: [sh, \"${{program}}\", \"${{args}}\"]\nmethod: grid\n\
             metric: {{name: loss, goal: minimize}}\nparameters:\n  label: {{values: [{}]}}\n  \
             '{PARAM_NAME}': {{values: [1]}}\n",
            values.join(", ")
        ),
    )
    .unwrap();
    let out = sweep(dir.path()).args(["run", "x.yaml"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dashboard = Dashboard::start(dir.path(), "runs/sweeps.db", &[]);
    let base = dashboard.url.clone();
    let browser = Browser::start(&chromium, &chromedriver);
    let mut pages = vec![
        base.clone(),
        format!("{base}sweeps/xss"),
        format!("{base}compare?runs=xss:1,xss:2,xss:3"),
    ];
    pages.extend((1..=3).map(|n| format!("{base}sweeps/xss/trials/{n}")));
    for page in &pages {
        browser.open_page(page);
        // Hover and click everything a payload could hide behind.
        browser.run(
            "document.querySelectorAll('details').forEach(d => d.open = true); \
             document.querySelectorAll('*').forEach(e => e.dispatchEvent(new MouseEvent('mouseover'))); \
             return null;",
        );
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(
            browser.run("return window.__xss === undefined;"),
            Value::Bool(true),
            "{page}"
        );
        let text = browser.run("return document.body.innerText;");
        let text = text.as_str().unwrap();
        if page.contains("/trials/") {
            let n: usize = page.rsplit('/').next().unwrap().parse().unwrap();
            assert!(
                text.contains(PAYLOADS[n - 1]),
                "{page} shows its value as text: {text}"
            );
            assert!(
                text.contains(PAYLOADS[0]) && text.contains(PAYLOADS[1]),
                "{page}: logs and error as text"
            );
        }
        if page.ends_with("sweeps/xss") || page.contains("/trials/") {
            assert!(
                text.contains(PARAM_NAME),
                "{page} shows the parameter's name as text"
            );
        }
        if page.contains("/trials/") {
            assert!(
                text.contains(METRIC_NAME),
                "{page} shows the metric's name as text"
            );
        }
        if page.ends_with("sweeps/xss") {
            for payload in PAYLOADS {
                assert!(text.contains(payload), "{page} shows {payload} as text");
            }
        }
        assert_clean(&browser, &dashboard, page);
    }
    // The served report escapes them too (its own test checks the file; here, the route).
    let report = http()
        .get(&format!("{base}sweeps/xss/report"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    for payload in PAYLOADS.iter().chain([&PARAM_NAME, &METRIC_NAME]) {
        assert!(
            !report.contains(payload),
            "the report holds {payload} unescaped"
        );
    }
}

/// The SQLite file, its WAL and its shared memory, as bytes (what a write would change).
fn database_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    ["sweeps.db", "sweeps.db-wal"]
        .iter()
        .map(|f| {
            (
                f.to_string(),
                std::fs::read(dir.join("runs").join(f)).unwrap_or_default(),
            )
        })
        .collect()
}

fn get(url: &str) -> (u16, String) {
    let mut response = http().get(url).call().unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.body_mut().read_to_string().unwrap_or_default(),
    )
}

#[test]
fn the_server_reads_only_serves_only_the_runs_folder_and_wants_its_token_beyond_loopback() {
    let dir = tempfile::tempdir().unwrap();
    run_fake(dir.path(), "s.yaml", &fake_sweep("s", 3, 2), 0);
    std::fs::write(dir.path().join("secret.txt"), "TOP-SECRET-CONTENT").unwrap();
    std::fs::write(dir.path().join("runs/s/trial-0001/notes.log"), "a note\n").unwrap();
    let before = database_files(dir.path());
    let dashboard = Dashboard::start(dir.path(), "runs/sweeps.db", &[]);
    let base = dashboard.url.clone();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    for path in [
        "",
        "api/sweeps",
        "api/sweeps/s",
        "api/sweeps/s/curves?trials=1,2,3",
        "api/sweeps/s/live?since=2000-01-01T00:00:00.000Z",
        "api/sweeps/s/trials/2",
        "api/sweeps/s/importance",
        "api/compare?runs=s:1,s:3",
        "sweeps/s/report",
        "files/s/1/notes.log",
        "assets/app.js",
        "assets/uPlot.iife.min.js",
    ] {
        let (status, body) = get(&format!("{base}{path}"));
        assert_eq!(status, 200, "{path}: {body}");
    }
    let (_, sweep) = get(&format!("{base}api/sweeps/s"));
    let sweep: Value = serde_json::from_str(&sweep).unwrap();
    assert_eq!(sweep["rows"].as_array().unwrap().len(), 3);
    assert_eq!(sweep["facts"][0]["name"], "metric");
    for (path, status) in [
        ("api/sweeps/nope", 404),
        ("api/sweeps/s/trials/9", 404),
        ("api/sweeps/s/curves?trials=x", 400),
        ("api/compare?runs=s", 400),
        ("files/s/1/..%2F..%2F..%2Fsecret.txt", 404),
        ("files/s/1/%2E%2E", 404),
        ("files/..%2F..%2Fsecret.txt/1/x", 404),
        ("files/s/1/notes.log%2F..%2F..%2F..%2F..%2Fsecret.txt", 404),
        ("nowhere", 404),
    ] {
        let (got, body) = get(&format!("{base}{path}"));
        assert_eq!(got, status, "{path}: {body}");
        assert!(!body.contains("TOP-SECRET"), "{path}: {body}");
    }
    // Assets are asked for again on every load, and sent again only when they changed.
    let script = http().get(&format!("{base}assets/app.js")).call().unwrap();
    let tag = script
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let again = http()
        .get(&format!("{base}assets/app.js"))
        .header("If-None-Match", &tag)
        .call()
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    // Answers only to its own loopback name (DNS rebinding).
    let rebinding = http()
        .get(&format!("{base}api/sweeps"))
        .header("Host", "attacker.example:80")
        .call()
        .unwrap();
    assert_eq!(rebinding.status().as_u16(), 421);
    // It wrote nothing, and every answer forbids what is not the server's own.
    let headers = http().get(&base).call().unwrap();
    let policy = headers
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        policy.contains("default-src 'none'") && policy.contains("connect-src 'self'"),
        "{policy}"
    );
    assert!(dashboard.stop().success());
    assert!(
        database_files(dir.path()) == before,
        "the dashboard changed the database"
    );

    // Beyond loopback: a token in the printed address, required by every request.
    let open = Dashboard::start(dir.path(), "runs/sweeps.db", &["--host", "0.0.0.0"]);
    let (with_token, token) = open
        .url
        .split_once("?token=")
        .expect("a token in the address");
    assert_eq!(token.len(), 32, "{token}");
    let port = with_token.trim_end_matches('/').rsplit(':').next().unwrap();
    let local = format!("http://127.0.0.1:{port}/");
    assert_eq!(get(&format!("{local}api/sweeps")).0, 401);
    assert_eq!(
        get(&format!("{local}api/sweeps?token=wrong{}", &token[5..])).0,
        401
    );
    let first = http()
        .get(&format!("{local}?token={token}"))
        .call()
        .unwrap();
    assert_eq!(first.status().as_u16(), 200);
    let cookie = first
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap();
    let later = http()
        .get(&format!("{local}api/sweeps"))
        .header("Cookie", pair)
        .call()
        .unwrap();
    assert_eq!(later.status().as_u16(), 200);
    drop(open);
}

#[test]
fn a_missing_database_or_a_taken_port_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = sweep(dir.path())
        .args(["--db", "none.db", "ui", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no run database at none.db"));
    run_fake(dir.path(), "s.yaml", &fake_sweep("s", 1, 1), 0);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = sweep(dir.path())
        .args(["ui", "--port", &port])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen on 127.0.0.1:"));
}

#[test]
fn the_dashboard_reads_postgres_and_never_shows_its_password() {
    let Some(server) = pg::postgres_server("the dashboard on PostgreSQL") else {
        return;
    };
    let database = pg::TestDatabase::new(&server, "sweep_ui");
    // The test server trusts loopback, so any password logs in: enough to see where it goes.
    let password = "pw-NEVER-SHOWN-7f3a";
    let url = database.url().replacen(
        "postgres://sweep@",
        &format!("postgres://sweep:{password}@"),
        1,
    );
    assert!(
        url.contains(password),
        "the test server's URL has the user `sweep`: {url}"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.yaml"), fake_sweep("pg", 3, 3)).unwrap();
    let out = sweep(dir.path())
        .args([
            "--db",
            &url,
            "--runs",
            "runs",
            "run",
            "s.yaml",
            "--workers",
            "2",
            "--fake-trainer",
            "0",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dashboard = Dashboard::start(dir.path(), &url, &["--runs", "runs"]);
    assert!(!dashboard.url.contains(password));
    let base = dashboard.url.clone();
    for path in [
        "api/sweeps",
        "api/sweeps/pg",
        "api/sweeps/pg/trials/1",
        "api/sweeps/pg/live?since=2000-01-01T00:00:00.000Z",
        "api/compare?runs=pg:1,pg:2",
        "sweeps/pg/report",
        "api/sweeps/nope",
        "api/sweeps/pg/trials/99",
    ] {
        let (status, body) = get(&format!("{base}{path}"));
        assert!(status == 200 || status == 404, "{path}: {status} {body}");
        assert!(!body.contains(password), "{path} shows the password");
    }
    let (_, sweeps) = get(&format!("{base}api/sweeps"));
    let sweeps: Value = serde_json::from_str(&sweeps).unwrap();
    assert_eq!(sweeps["sweeps"][0]["counts"]["completed"], 3);
    assert!(dashboard.stop().success());
}
