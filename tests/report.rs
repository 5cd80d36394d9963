//! End-to-end tests of `sweep report`: a database with known rows, written through the
//! library, then the built binary makes the HTML report the way a user does.

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::str::contains;
use sweep::metric::EpochMetrics;
use sweep::metric::{Goal, MetricName};
use sweep::store::{Database, Finish, NewSweep, NewTrial, Store, SweepId, WorkerInfo};

#[path = "common/chromium.rs"]
mod chromium;

const HOSTILE: &str = "<script>alert(1)</script>";

/// Sweep `name` of 4 trials; trial 3's `activation` parameter is a hostile string.
fn new_sweep(name: &str) -> NewSweep {
    NewSweep {
        name: name.to_string(),
        spec_text: format!("name: {name}\n# {HOSTILE}\n"),
        spec_hash: "fingerprint".to_string(),
        data_path: PathBuf::from("data/train.txt"),
        metric: MetricName::VAL_R2,
        goal: Goal::Maximize,
        data_header: None,
        program: None,
        trials: (1..=4)
            .map(|number| NewTrial {
                number,
                seed: number as u64,
                params_json: serde_json::json!({
                    "learning_rate": 0.001 * number as f64,
                    "batch_size": 64 * number,
                    "activation": if number == 3 { HOSTILE } else { "relu" },
                })
                .to_string(),
            })
            .collect(),
    }
}

fn epoch(n: usize, r2: f64) -> EpochMetrics {
    EpochMetrics {
        epoch: n,
        train_loss: 1.2 - r2,
        val_loss: 1.0 - r2,
        val_r2: r2,
        val_pearson: r2.sqrt(),
        val_spearman: r2.sqrt(),
        learning_rate: 0.001,
        seconds: 2.0,
        samples_per_s: 1000.0,
        extra: Default::default(),
    }
}

fn train(store: &mut Store, sweep: SweepId, r2: &[f64], finish: Finish) {
    let me = WorkerInfo {
        host: "node1".to_string(),
        pid: 7,
        device: "cpu".to_string(),
        threads: 1,
        job: None,
    };
    let alive: &dyn Fn(&str, u32) -> bool = &|_, _| false;
    let trial = store
        .claim_next(sweep, &me, Duration::from_secs(3600), alive)
        .expect("claim")
        .expect("a trial");
    for (i, &value) in r2.iter().enumerate() {
        store
            .record_epoch(trial.id, &me, &epoch(i + 1, value), None)
            .expect("epoch");
    }
    store.finish_trial(trial.id, &me, &finish).expect("finish");
}

/// Trials 1-3 completed with best val_r2 0.3, 0.6, 0.45 (200 epochs for trial 2); trial 4
/// failed with a hostile error message.
fn database(dir: &Path, name: &str) -> PathBuf {
    let db = dir.join("sweeps.db");
    let mut store = Store::open(&Database::sqlite(&db)).expect("store");
    let (sweep, _) = store.create_or_open_sweep(&new_sweep(name)).expect("sweep");
    train(&mut store, sweep.id, &[0.1, 0.3, 0.2], Finish::Completed);
    let long: Vec<f64> = (1..=200).map(|e| 0.6 * e as f64 / 200.0).collect();
    train(&mut store, sweep.id, &long, Finish::Completed);
    train(&mut store, sweep.id, &[0.45, 0.4], Finish::Completed);
    train(
        &mut store,
        sweep.id,
        &[0.01],
        Finish::Failed(format!("diverged {HOSTILE}")),
    );
    db
}

fn report(dir: &Path, db: &Path, name: &str) -> String {
    let out = dir.join("report.html");
    cargo_bin_cmd!("sweep")
        .arg("--db")
        .arg(db)
        .args(["report", name, "-o"])
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("report.html"));
    std::fs::read_to_string(&out).expect("the report")
}

#[test]
fn the_report_ranks_trials_and_holds_every_trials_curves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(dir.path(), "demo");
    let html = report(dir.path(), &db, "demo");

    let body = &html[html.find("<tbody>").expect("leaderboard body")..];
    let order: Vec<usize> = body
        .split("<tr id=\"row-")
        .skip(1)
        .filter_map(|row| row.split('"').next()?.parse().ok())
        .collect();
    assert_eq!(
        order,
        [2, 3, 1, 4],
        "ranked by best val_r2, the failed trial last"
    );
    assert!(html.contains("<tr id=\"row-2\" data-trial=\"2\" class=\"best\">"));
    for n in 1..=4 {
        let section = html
            .split(&format!("<details class=\"trial\" id=\"trial-{n}\">"))
            .nth(1)
            .unwrap_or_default();
        let section = section.split("</details>").next().unwrap_or_default();
        assert!(section.contains("<svg"), "trial {n} has its curves");
    }
    assert!(
        html.contains("id=\"sweep-data\""),
        "the compare view's data"
    );
    for external in ["<script src", "<link rel=\"stylesheet\" href", "https://"] {
        assert!(!html.contains(external), "self-contained: no `{external}`");
    }
}

#[test]
fn every_user_string_is_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = format!("x{HOSTILE}");
    let db = database(dir.path(), &name);
    let html = report(dir.path(), &db, &name);
    // The page's own scripts are the only ones: two script elements (data and code).
    assert_eq!(
        html.matches("<script").count(),
        2,
        "no user string opens a script"
    );
    assert!(!html.contains(HOSTILE));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // Inside the JSON data block `<` is escaped as \u003c.
    let data = html
        .split("id=\"sweep-data\">")
        .nth(1)
        .and_then(|d| d.split("</script>").next())
        .expect("the data block");
    assert!(data.contains("\\u003cscript>"));
}

#[test]
fn a_report_of_an_unknown_sweep_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(dir.path(), "demo");
    cargo_bin_cmd!("sweep")
        .arg("--db")
        .arg(&db)
        .args(["report", "nope"])
        .assert()
        .code(2)
        .stderr(contains("no sweep named `nope`"));
}

/// Run headless Chromium on `page` with `args`; its stdout.
fn chromium(browser: &Path, profile: &Path, args: &[String]) -> String {
    let output = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("running chromium");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What the test harness records while it clicks through the page.
const HARNESS: &str = r#"<script>
(function () {
  var results = {errors: window.__errors};
  function order() {
    return Array.prototype.map.call(document.querySelectorAll('#leaderboard tbody tr'),
      function (r) { return Number(r.getAttribute('data-trial')); });
  }
  results.initial = order();
  var trialColumn = document.querySelectorAll('#leaderboard thead th')[2];
  trialColumn.click(); results.byTrialUp = order();
  trialColumn.click(); results.byTrialDown = order();
  var boxes = document.querySelectorAll('input.pick');
  boxes[0].click(); boxes[1].click();
  results.compareCharts = document.querySelectorAll('#compare-charts svg').length;
  results.comparedCurves = Array.prototype.map.call(
    document.querySelectorAll('#compare-charts svg polyline'),
    function (p) { return Number(p.getAttribute('data-trial')); });
  results.compareRows = document.querySelectorAll('#compare-params tr').length;
  var out = document.createElement('pre');
  out.id = 'test-results';
  out.textContent = JSON.stringify(results);
  document.body.appendChild(out);
})();
</script>"#;

/// The report in a real browser (Debian's Chromium, headless): no script errors, sorting on a
/// column click, ticking two trials overlays their curves; a screenshot is kept as an artifact.
/// CI installs Chromium and sets SWEEP_REQUIRE_BROWSER=1, so there it cannot be skipped.
#[test]
fn the_report_works_in_a_headless_browser() {
    let Some(browser) = chromium::chromium() else {
        assert!(
            !chromium::browser_required(),
            "SWEEP_REQUIRE_BROWSER is set but no chromium was found (set SWEEP_BROWSER)"
        );
        eprintln!("SKIPPED: no chromium found (install Debian's `chromium` or set SWEEP_BROWSER)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(dir.path(), "demo");
    let html = report(dir.path(), &db, "demo");
    // Record errors from the first script on, then click through the page after its own script.
    let page = html
        .replacen(
            "<head>",
            "<head>\n<script>window.__errors = []; window.addEventListener('error', \
             function (e) { window.__errors.push(String(e.message)); });</script>",
            1,
        )
        .replacen("</body>", &format!("{HARNESS}\n</body>"), 1);
    let harness = dir.path().join("harness.html");
    std::fs::write(&harness, page).expect("harness page");
    let url = format!("file://{}", harness.display());

    let dom = chromium(
        &browser,
        &dir.path().join("profile-1"),
        &["--dump-dom".to_string(), url.clone()],
    );
    let json = dom
        .split("<pre id=\"test-results\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .expect("the harness ran and wrote its results")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let results: serde_json::Value = serde_json::from_str(&json).expect("results JSON");
    assert_eq!(results["errors"], serde_json::json!([]), "no script errors");
    assert_eq!(results["initial"], serde_json::json!([2, 3, 1, 4]));
    assert_eq!(results["byTrialUp"], serde_json::json!([1, 2, 3, 4]));
    assert_eq!(results["byTrialDown"], serde_json::json!([4, 3, 2, 1]));
    assert_eq!(
        results["compareCharts"], 3,
        "val_r2, val_loss and train_loss overlays"
    );
    assert_eq!(
        results["comparedCurves"],
        serde_json::json!([4, 3, 4, 3, 4, 3]),
        "each overlay has the two ticked trials"
    );
    assert!(
        results["compareRows"].as_u64().is_some_and(|n| n >= 5),
        "parameters side by side"
    );

    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-browser");
    std::fs::create_dir_all(&artifacts).expect("artifact folder");
    let screenshot = artifacts.join("report.png");
    chromium(
        &browser,
        &dir.path().join("profile-2"),
        &[
            format!("--screenshot={}", screenshot.display()),
            "--window-size=1300,1600".to_string(),
            url,
        ],
    );
    let size = std::fs::metadata(&screenshot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10_000,
        "a screenshot was written: {}",
        screenshot.display()
    );
    eprintln!("screenshot: {}", screenshot.display());
}

#[test]
fn report_png_writes_every_chart_and_compare_png_writes_the_overlay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(dir.path(), "demo");
    let pngs = dir.path().join("png");
    cargo_bin_cmd!("sweep")
        .arg("--db")
        .arg(&db)
        .args(["report", "demo", "-o"])
        .arg(dir.path().join("r.html"))
        .arg("--png")
        .arg(&pngs)
        .assert()
        .success()
        .stdout(contains("11 PNG charts"));
    let mut names: Vec<String> = std::fs::read_dir(&pngs)
        .expect("the PNG folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    let mut expected: Vec<String> = [
        "progress",
        "top-val_r2",
        "top-val_loss",
        "param-activation",
        "param-batch_size",
        "param-learning_rate",
        "parallel",
        "trial-0001",
        "trial-0002",
        "trial-0003",
        "trial-0004",
    ]
    .iter()
    .map(|s| format!("{s}.png"))
    .collect();
    expected.sort();
    assert_eq!(names, expected);
    for name in &names {
        let bytes = std::fs::read(pngs.join(name)).expect("a PNG");
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{name} is a PNG");
    }

    let overlay = dir.path().join("f.png");
    cargo_bin_cmd!("sweep")
        .arg("--db")
        .arg(&db)
        .args(["compare", "demo", "2", "3", "--png"])
        .arg(&overlay)
        .assert()
        .success()
        .stdout(contains("f.png"));
    let bytes = std::fs::read(&overlay).expect("the overlay");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(bytes.len() > 8_000, "not blank");
}

#[test]
fn a_png_location_under_a_regular_file_fails_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(dir.path(), "demo");
    let file = dir.path().join("plain");
    std::fs::write(&file, "not a folder").expect("a file");
    let under = file.join("charts");
    cargo_bin_cmd!("sweep")
        .arg("--db")
        .arg(&db)
        .args(["report", "demo", "-o"])
        .arg(dir.path().join("r.html"))
        .arg("--png")
        .arg(&under)
        .assert()
        .failure()
        .stderr(contains(under.display().to_string()));
    let png = file.join("f.png");
    cargo_bin_cmd!("sweep")
        .arg("--db")
        .arg(&db)
        .args(["compare", "demo", "2", "3", "--png"])
        .arg(&png)
        .assert()
        .failure()
        .stderr(contains(png.display().to_string()));
}

/// A sweep of 2 learning rates × 2 batch sizes, 3 replicates each, where the learning rate
/// moves val_r2 by 0.4 and the batch size by nothing beyond ±0.02 of seed noise.
fn replicated_database(dir: &Path) -> PathBuf {
    let db = dir.join("replicated.db");
    let mut store = Store::open(&Database::sqlite(&db)).expect("store");
    let mut trials = Vec::new();
    let mut finals = Vec::new();
    for lr in [0.000001, 0.003] {
        for batch in [64, 128] {
            for noise in [0.02, -0.02, 0.0] {
                let number = trials.len() + 1;
                trials.push(NewTrial {
                    number,
                    seed: number as u64,
                    params_json: serde_json::json!({"learning_rate": lr, "batch_size": batch})
                        .to_string(),
                });
                let gain = if lr > 0.001 { 0.4 } else { 0.0 };
                finals.push(0.1 + gain + noise);
            }
        }
    }
    let spec = NewSweep {
        name: "replicated".to_string(),
        spec_text: "name: replicated\nseed: 3\n".to_string(),
        trials,
        ..new_sweep("replicated")
    };
    let (sweep, _) = store.create_or_open_sweep(&spec).expect("sweep");
    for r2 in finals {
        train(&mut store, sweep.id, &[r2 / 2.0, r2], Finish::Completed);
    }
    db
}

#[test]
fn the_report_says_what_mattered_with_intervals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = replicated_database(dir.path());
    let html = report(dir.path(), &db, "replicated");
    let section = html
        .split("<h2 id=\"what-mattered\">What mattered</h2>")
        .nth(1)
        .expect("the section")
        .split("<h2")
        .next()
        .unwrap_or_default();
    assert!(section.contains("12 completed trials in 4 combinations"));
    assert!(section.contains("Seed noise: sd 0.0200"), "{section}");
    let lr = section
        .split("<h3 class=\"effect\" id=\"effect-learning_rate\">")
        .nth(1)
        .expect("learning_rate's effect");
    assert!(
        lr.contains("effect: best 0.003 vs worst 1e-6 = +0.4000 ["),
        "{lr}"
    );
    // Each learning rate: 6 trials, mean with a 95% t interval (sd 0.0179, t(0.975, 5)).
    let half = 2.570_581_835_636_314 * (0.0016f64 / 5.0).sqrt() / 6f64.sqrt();
    let interval = format!("[{:.4}, {:.4}]", 0.5 - half, 0.5 + half);
    assert!(lr.contains(&interval), "{interval} not in {lr}");
    let batch = section
        .split("<h3 class=\"effect\" id=\"effect-batch_size\">")
        .nth(1)
        .expect("batch_size's effect");
    assert!(batch.contains("no effect detectable beyond seed noise at this sample size (p = "));
    assert_eq!(batch.matches("<td class=\"ci\">[").count(), 2, "{batch}");
    assert_eq!(
        batch.matches("<svg class=\"interval\"").count(),
        2,
        "{batch}"
    );
    let leaderboard = cargo_bin_cmd!("sweep")
        .arg("--db")
        .arg(&db)
        .args([
            "leaderboard",
            "replicated",
            "--by-combination",
            "--format",
            "csv",
        ])
        .assert()
        .success();
    let csv = String::from_utf8_lossy(&leaderboard.get_output().stdout).to_string();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(lines[1].starts_with("1,7 8 9,3,0.5,"), "{csv}");
}

#[test]
fn a_pruned_trial_is_shown_with_its_rung_and_the_pruning_chart() {
    use sweep::search::Pruner;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("sweeps.db");
    let mut store = Store::open(&Database::sqlite(&db)).expect("store");
    let (sweep, _) = store
        .create_or_open_sweep(&new_sweep("asha"))
        .expect("sweep");
    let pruner = Pruner::new(vec![2], 3.0, true);
    let me = WorkerInfo {
        host: "node1".to_string(),
        pid: 7,
        device: "cpu".to_string(),
        threads: 1,
        job: None,
    };
    let alive: &dyn Fn(&str, u32) -> bool = &|_, _| false;
    // Trial 1 reaches the rung first and trains on; trial 2 is worse there: pruned.
    for (r2, last) in [(&[0.2, 0.4, 0.5][..], true), (&[0.1, 0.2][..], false)] {
        let trial = store
            .claim_next(sweep.id, &me, Duration::from_secs(3600), alive)
            .expect("claim")
            .expect("a trial");
        for (i, &value) in r2.iter().enumerate() {
            store
                .record_epoch(trial.id, &me, &epoch(i + 1, value), Some(&pruner))
                .expect("epoch");
        }
        if last {
            store
                .finish_trial(trial.id, &me, &Finish::Completed)
                .expect("finish");
        }
    }
    drop(store);
    let html = report(dir.path(), &db, "asha");
    assert!(
        html.contains("class=\"pruned\""),
        "the pruned row is marked"
    );
    assert!(html.contains("pruned at epoch 2"));
    assert!(html.contains("early stopping: 1 trial(s) pruned at rungs (epochs 2)"));
    assert!(html.contains("pruned here"), "the chart's legend");
    cargo_bin_cmd!("sweep")
        .arg("--db")
        .arg(&db)
        .args(["leaderboard", "asha"])
        .assert()
        .success()
        .stdout(contains("pruned at"))
        .stdout(contains("epoch 2"));
}
