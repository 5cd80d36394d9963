//! `sweep ui [--port N] [--host ADDR]`: the live dashboard of every sweep in the database.

use std::net::IpAddr;

use crate::runs::Runs;
use crate::ui::{DEFAULT_PORT, Dashboard};

/// Arguments of `sweep ui`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The port to listen on (0: any free port).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// The address to listen on. Anything but loopback (127.0.0.1, ::1) needs the token
    /// printed at start, which the address it prints carries.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    host: IpAddr,
}

/// Run `sweep ui` until Ctrl-C or SIGTERM.
pub fn run(args: Args, runs: &Runs) -> anyhow::Result<()> {
    let dashboard = Dashboard::bind(runs.clone(), args.host, args.port)?;
    let mut said = format!("dashboard: {}\n", dashboard.url());
    if !args.host.is_loopback() {
        said.push_str(&format!(
            "(listening on {}: the token in the address is needed to open it)\n",
            args.host
        ));
    }
    said.push_str("Ctrl-C stops it\n");
    // Through write_stdout: a reader that closed the pipe (`| head -1`) leaves it serving.
    super::write_stdout(said.as_bytes())?;
    dashboard.serve(super::signals::stopped())
}
