//! `sweep ui`: a live, read-only web dashboard of every sweep and run in the database.
//!
//! The server answers two kinds of requests: pages (one HTML shell, the script and style
//! compiled into the binary, uPlot vendored beside them) and their JSON (`api.rs`), read from
//! the store on every request through connections opened with [`Runs::open_to_watch`]: read
//! only, never upgrading the schema, one short read per request, so a sweep writing to the
//! same database never waits on the dashboard. Pages poll once a second for what changed
//! (see `assets/app.js` for why polling rather than server-sent events).
//!
//! The HTTP stack is axum on tokio: both are kept by the tokio project, tokio is already in
//! the build (the PostgreSQL client runs on it), and axum's router, extractors and graceful
//! shutdown are what a small read-only server needs and no more; store reads run on tokio's
//! blocking threads, since the store is synchronous.

mod api;
mod assets;
mod files;
mod guard;
mod routes;

use std::future::Future;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

use crate::runs::Runs;
use crate::store::Store;

pub use api::ApiError;

/// The port `sweep ui` listens on unless `--port` says otherwise.
pub const DEFAULT_PORT: u16 = 8765;

/// Why the dashboard cannot start, when the user can fix it.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// The address is taken or not this machine's.
    #[error("cannot listen on {address}: {source} (choose another with --port or --host)")]
    Listen {
        /// The address asked for.
        address: SocketAddr,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

/// A dashboard bound to its address, ready to serve.
pub struct Dashboard {
    listener: TcpListener,
    address: SocketAddr,
    shared: Arc<Shared>,
}

/// What every request handler shares: where the runs are, a few open read-only connections
/// to reuse, and the token a non-loopback address requires.
struct Shared {
    runs: Runs,
    idle: Mutex<Vec<Store>>,
    token: Option<String>,
    address: SocketAddr,
}

/// Open connections kept for reuse between requests.
const IDLE_CONNECTIONS: usize = 4;

impl Shared {
    /// Run `read` on a read-only connection, on a blocking thread.
    async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        read: impl FnOnce(&Store, &Runs) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let shared = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let reused = shared.idle.lock().ok().and_then(|mut idle| idle.pop());
            let store = match reused {
                Some(store) => store,
                None => shared.runs.open_to_watch()?,
            };
            let answer = read(&store, &shared.runs);
            // A connection that failed may be broken (a restarted PostgreSQL): not kept.
            if answer.is_ok()
                && let Ok(mut idle) = shared.idle.lock()
                && idle.len() < IDLE_CONNECTIONS
            {
                idle.push(store);
            }
            answer
        })
        .await
        .map_err(|e| ApiError::Failed(format!("a request's reader stopped: {e}")))?
    }
}

impl Dashboard {
    /// Check that the database can be read (so that a wrong `--db` fails now, not in the
    /// browser) and listen on `host:port` (`port` 0: any free one). An address that is not
    /// loopback gets a fresh random token that every request must carry.
    pub fn bind(runs: Runs, host: IpAddr, port: u16) -> anyhow::Result<Dashboard> {
        let store = runs.open_to_watch()?;
        let address = SocketAddr::new(host, port);
        let listener =
            TcpListener::bind(address).map_err(|source| UiError::Listen { address, source })?;
        let address = listener.local_addr()?;
        let token = (!host.is_loopback()).then(guard::new_token).transpose()?;
        Ok(Dashboard {
            listener,
            address,
            shared: Arc::new(Shared {
                runs,
                idle: Mutex::new(vec![store]),
                token,
                address,
            }),
        })
    }

    /// The address to open: `http://HOST:PORT/`, with `?token=...` when one is needed.
    pub fn url(&self) -> String {
        let host = match self.address.ip() {
            IpAddr::V6(ip) => format!("[{ip}]"),
            IpAddr::V4(ip) => ip.to_string(),
        };
        let token = self
            .shared
            .token
            .as_ref()
            .map_or_else(String::new, |t| format!("?token={t}"));
        format!("http://{host}:{}/{token}", self.address.port())
    }

    /// Serve until `stop` completes, then finish the requests under way.
    pub fn serve(self, stop: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            // At most four reads at once (more wait their turn): each thread's allocations
            // stay with it, so fewer threads keep the server's memory small.
            .max_blocking_threads(4)
            .enable_all()
            .build()?;
        let shared = Arc::clone(&self.shared);
        let served = runtime.block_on(async move {
            self.listener.set_nonblocking(true)?;
            let listener = tokio::net::TcpListener::from_std(self.listener)?;
            let app = routes::router(self.shared);
            axum::serve(listener, app)
                .with_graceful_shutdown(stop)
                .await?;
            Ok(())
        });
        drop(runtime);
        // The PostgreSQL client closes its connection on a runtime of its own, which cannot
        // start inside ours: the kept connections are closed here, after it.
        if let Ok(mut idle) = shared.idle.lock() {
            idle.clear();
        }
        served
    }
}
