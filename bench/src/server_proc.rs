//! What the server process uses, read from `/proc/<pid>` (Linux): its resident memory and its
//! CPU time. Every mode that measures a running server reads them the same way.

use anyhow::Context;

/// The server's resident memory (VmRSS), in KiB.
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .context("no VmRSS line")
}

/// Length of the clock tick `/proc/<pid>/stat` counts CPU time in (`USER_HZ` = 100 on Linux).
const CLOCK_TICK_US: u64 = 10_000;

/// The server's CPU time so far (user + system), in microseconds (to the 10 ms clock tick).
pub fn cpu_us(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').context("malformed stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11).context("no utime")?.parse()?;
    let stime: u64 = fields.get(12).context("no stime")?.parse()?;
    Ok((utime + stime) * CLOCK_TICK_US)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_memory_and_cpu_time() {
        let pid = std::process::id();
        assert!(rss_kib(pid).unwrap() > 0);
        cpu_us(pid).unwrap();
    }
}
