//! This process's memory, read from `/proc/self/status` (Linux), for the benchmarks' reports.

/// This process's peak resident memory (`VmHWM` in /proc/self/status), as a line for the
/// report; empty where /proc is not there.
pub fn peak_memory_line() -> String {
    status_kb("VmHWM:")
        .map(|kb| {
            format!(
                "\npeak resident memory of this process (server, load and any generation or \
                 rebuild it did): {:.0} MB\n",
                kb as f64 / 1024.0
            )
        })
        .unwrap_or_default()
}

/// A field of this process's `/proc/self/status` in KiB (`VmHWM:`, `VmRSS:`), where there is one.
pub(crate) fn status_kb(field: &str) -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
