//! A real browser for the dashboard's tests: Debian's headless Chromium, driven through
//! ChromeDriver's WebDriver protocol (W3C, plain HTTP and JSON), and the `sweep ui` server
//! it looks at.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Chromium and ChromeDriver, or `None` (said on stderr, naming `test`) to skip; a failure
/// when [`browser_required`].
pub fn chromium_and_driver(test: &str) -> Option<(PathBuf, PathBuf)> {
    let browser = crate::chromium::chromium();
    let driver = [
        std::env::var_os("SWEEP_CHROMEDRIVER").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/chromedriver")),
    ]
    .into_iter()
    .flatten()
    .find(|p| p.exists());
    match (browser, driver) {
        (Some(b), Some(d)) => Some((b, d)),
        _ => {
            assert!(
                !crate::chromium::browser_required(),
                "SWEEP_REQUIRE_BROWSER is set but chromium or chromedriver is missing \
                 (Debian: apt-get install chromium chromium-driver)"
            );
            eprintln!(
                "SKIPPED {test}: no chromium and chromedriver (Debian's `chromium` and \
                 `chromium-driver`, or set SWEEP_BROWSER and SWEEP_CHROMEDRIVER)"
            );
            None
        }
    }
}

/// A free port on loopback.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// An HTTP client that hands back 4xx and 5xx answers instead of failing on them.
pub fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// `sweep ui` on a free port, stopped (SIGINT) when dropped.
pub struct Dashboard {
    child: Child,
    /// The address it printed, e.g. `http://127.0.0.1:PORT/`.
    pub url: String,
}

impl Dashboard {
    /// Start `sweep --db DB ui --port 0 EXTRA...` in `dir` and read the address it prints.
    pub fn start(dir: &Path, db: &str, extra: &[&str]) -> Dashboard {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sweep"))
            .current_dir(dir)
            .args(["--db", db, "ui", "--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting sweep ui");
        let stdout = child.stdout.take().expect("its stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line).expect("its first line");
        // The rest of what it says is read and dropped, so that it never writes to a
        // closed pipe.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let url = line
            .trim()
            .strip_prefix("dashboard: ")
            .unwrap_or_else(|| panic!("`dashboard: URL` first, not {line:?}"))
            .to_string();
        Dashboard { child, url }
    }

    /// Stop it as Ctrl-C does and wait: its exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        crate::processes::kill(self.child.id(), "-INT");
        let status = crate::processes::exit_within(
            &mut self.child,
            Duration::from_secs(30),
            "sweep ui to stop after Ctrl-C",
        );
        std::mem::forget(self);
        status
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebDriver session in headless Chromium, ended (with its driver) when dropped.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Start ChromeDriver and a headless Chromium that can reach nothing but 127.0.0.1 (any
    /// other host name fails to resolve, so a request that would leave the server fails
    /// loudly, in the console).
    pub fn start(chromium: &Path, chromedriver: &Path) -> Browser {
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let agent = http();
        let started = Instant::now();
        while agent.get(&format!("{base}/status")).call().is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromedriver did not answer within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().expect("a browser profile folder");
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".to_string(),
            "--disable-gpu".to_string(),
            "--disable-dev-shm-usage".to_string(),
            "--disable-background-networking".to_string(),
            "--disable-component-update".to_string(),
            "--disable-sync".to_string(),
            "--no-first-run".to_string(),
            "--window-size=1300,1000".to_string(),
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1".to_string(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium.display().to_string(), "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let mut browser = Browser {
            driver,
            base,
            session: String::new(),
            agent,
            _profile: profile,
        };
        let answer = browser.send("POST", "/session", Some(capabilities));
        browser.session = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_string();
        browser
    }

    /// One WebDriver command; its `value`.
    fn send(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = if path == "/session" {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self.agent.post(&url).send_json(body.unwrap_or(json!({}))),
        };
        let mut response = response.unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        let status = response.status();
        let value: Value = response
            .body_mut()
            .read_json()
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        assert!(
            status.is_success(),
            "WebDriver {method} {path}: {status} {value}"
        );
        value["value"].clone()
    }

    /// Open `url`.
    pub fn open(&self, url: &str) {
        self.send("POST", "/url", Some(json!({ "url": url })));
    }

    /// Run `script` (a function body: `return ...`) in the page; what it returns.
    pub fn run(&self, script: &str) -> Value {
        self.send(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Wait (up to `limit`) until `condition` (a JavaScript expression) is true.
    pub fn wait_until(&self, condition: &str, limit: Duration) {
        let started = Instant::now();
        loop {
            if self.run(&format!("return !!({condition});")) == json!(true) {
                return;
            }
            assert!(
                started.elapsed() < limit,
                "waited {limit:?} for `{condition}`; the page says: {}",
                self.run("return document.body.innerText.slice(0, 2000);")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Open `url` and wait until its page has drawn its data.
    pub fn open_page(&self, url: &str) {
        self.open(url);
        self.wait_until(
            "document.body.dataset.loaded === '1'",
            Duration::from_secs(30),
        );
    }

    /// The element `css` selects (the first), as a WebDriver element id.
    fn element(&self, css: &str) -> String {
        let found = self.send(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element `{css}`: {found}"))
            .to_string()
    }

    /// Click the element `css` selects, as a user does.
    pub fn click(&self, css: &str) {
        let id = self.element(css);
        self.send("POST", &format!("/element/{id}/click"), Some(json!({})));
    }

    /// Type `text` into the element `css` selects.
    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.send(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        );
    }

    /// The browser console's messages since the last call, as `LEVEL message`.
    pub fn console(&self) -> Vec<String> {
        let entries = self.send("POST", "/se/log", Some(json!({"type": "browser"})));
        entries
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|e| format!("{} {}", e["level"], e["message"]))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every address the page has fetched (scripts, styles, JSON), from the browser's own
    /// resource timing.
    pub fn requests(&self) -> Vec<String> {
        let names = self.run(
            "return performance.getEntriesByType('resource').map(e => e.name)\
             .concat([location.href]);",
        );
        names
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A PNG of the window.
    pub fn screenshot(&self) -> Vec<u8> {
        use base64::Engine as _;
        let data = self.send("GET", "/screenshot", None);
        base64::engine::general_purpose::STANDARD
            .decode(data.as_str().expect("base64 text"))
            .expect("a PNG in base64")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let url = format!("{}/session/{}", self.base, self.session);
            let _ = self.agent.delete(&url).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
