//! What the end-to-end tests of PostgreSQL run databases share (`tests/postgres.rs`,
//! `tests/cluster.rs`): the test server, and a fresh database on it per test.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Names the test server (`scripts/cluster-up` starts one and writes it to its env file).
const POSTGRES_VARIABLE: &str = "SWEEP_TEST_POSTGRES";

/// Whether a missing cluster is a failure (CI) rather than a skip.
pub fn cluster_required() -> bool {
    std::env::var_os("SWEEP_REQUIRE_CLUSTER").is_some()
}

/// The test server's URL, or `None` (said on stderr, naming `test`) to skip; a failure when
/// [`cluster_required`].
pub fn postgres_server(test: &str) -> Option<String> {
    let server = std::env::var(POSTGRES_VARIABLE).ok();
    if server.is_none() {
        assert!(
            !cluster_required(),
            "SWEEP_REQUIRE_CLUSTER is set but {POSTGRES_VARIABLE} is not: run scripts/cluster-up \
             and source /tmp/sweep-cluster.env"
        );
        eprintln!(
            "SKIPPED {test}: {POSTGRES_VARIABLE} is not set (scripts/cluster-up starts a server)"
        );
    }
    server
}

/// A fresh database on the test server for one test, dropped afterwards.
pub struct TestDatabase {
    admin: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// A new, empty database named after `prefix` and this process.
    pub fn new(admin: &str, prefix: &str) -> TestDatabase {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "{prefix}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let mut client = postgres::Client::connect(admin, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to {POSTGRES_VARIABLE} ({admin}): {e}"));
        // One statement per call: CREATE/DROP DATABASE refuse to run inside a transaction,
        // which a multi-statement string is.
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .expect("no stale test database");
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("a test database");
        let server = admin.rsplit_once('/').map_or(admin, |(s, _)| s);
        let url = format!("{server}/{name}");
        TestDatabase {
            admin: admin.to_string(),
            name,
            url,
        }
    }

    /// Its URL, for `--db`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
