use std::process::ExitCode;

use clap::Parser;
use sweep::cli::{self, Cli};

fn main() -> ExitCode {
    keep_freed_memory();
    match cli::run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(cli::exit_code(&error))
        }
    }
}

/// Lets glibc's allocator keep and reuse freed memory instead of handing it back to the
/// system. A training step allocates and frees many large buffers (the convolutions' unfolded
/// inputs, their gradients); by default glibc serves each buffer over 128 KiB to 32 MiB from a
/// fresh `mmap` and unmaps it on free, so every step pays the page faults and zeroing of
/// hundreds of megabytes again: 22% of a batch-512 training profile (BENCHMARKS.md, "Where
/// the time goes"). Serving every block below 1 GiB from the heap and never trimming it makes
/// the second step reuse the first step's pages; resident memory stays at the peak step's.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const ONE_GIB: libc::c_int = 1 << 30;
        // SAFETY: mallopt only sets allocator thresholds; it is called before any other
        // thread exists, and a rejected setting (return value 0) leaves glibc's default in
        // place, which is correct, only slower.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, ONE_GIB);
            libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX);
        }
    }
}
