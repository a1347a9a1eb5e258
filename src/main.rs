//! The `framelens` command: parse arguments, run, map the outcome to an exit code.
//!
//! Exit codes: 0 every document done, 1 some documents failed (listed), 2 fatal error.

mod cli;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_t` (`mimalloc.h`).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// `mi_option_allow_thp` in mimalloc v3's `mi_option_t` (`mimalloc.h`).
const MI_OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

fn main() -> ExitCode {
    // Freed memory goes back to the system 50 ms after it is freed, so the resident size of a
    // long batch stays flat (AllSides x1 and x20: 140 MB both); purging at once costs 6% more
    // CPU, and left to itself mimalloc lets it creep up (150 -> 186 MB).
    // SAFETY: setting an option has no preconditions; it is read when memory is freed.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 50) };
    // No transparent huge pages: the allocator's arenas asked for them, and each fault on a
    // purged part then zeroed a whole 2 MB page. Without them AllSides x20 runs as fast or
    // faster and peak RSS falls from about 125 to 70 MB (N = 1: 117 -> 62 MB with --jobs 1).
    // mimalloc reads its own option too late for this (at start-up), so the process disables
    // them itself, before the batch allocates; the option stops the arenas asking.
    // SAFETY: as above; `prctl(PR_SET_THP_DISABLE)` only changes how this process's memory
    // is backed, and a failure (an old kernel) leaves things as they were.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, 0);
        #[cfg(target_os = "linux")]
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    match cli::run() {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("framelens: error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
