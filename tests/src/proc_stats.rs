//! CPU time and peak memory of a process, read from `/proc` (Linux).

use core::time::Duration;
use std::fs;

/// `/proc/[pid]/stat` counts CPU time in clock ticks of `USER_HZ`, which Linux fixes at 100
/// for user space on every architecture this runs on.
const TICKS_PER_SECOND: u64 = 100;

/// User and system CPU time of process `pid` (`"self"` for this one), all threads.
pub fn cpu_time(pid: &str) -> Option<Duration> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_ticks(&stat).map(|ticks| Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND))
}

/// `utime + stime` from a `/proc/[pid]/stat` line. The command name (field 2) may hold
/// spaces and parentheses, so fields are counted after its last `)`.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // After the name: state (3), ppid (4), ... utime is field 14, stime field 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Peak resident set size (`VmHWM`) of process `pid`, in bytes.
pub fn peak_rss(pid: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_kib_field(&status, "VmHWM:").map(|kib| kib * 1024)
}

/// Resident set size now (`VmRSS`) of process `pid`, in bytes.
pub fn rss(pid: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_kib_field(&status, "VmRSS:").map(|kib| kib * 1024)
}

fn parse_kib_field(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(name))?;
    let mut parts = line[name.len()..].split_whitespace();
    let value = parts.next()?.parse().ok()?;
    (parts.next() == Some("kB")).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let line = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 500 0 0 0 \
                    1234 56 0 0 20 0 3 0 100 1000 200";
        assert_eq!(parse_cpu_ticks(line), Some(1234 + 56));
        assert_eq!(parse_cpu_ticks("garbage"), None);
    }

    #[test]
    fn vm_hwm_is_read_in_kib() {
        let status = "Name:\tx\nVmPeak:\t  9000 kB\nVmHWM:\t  2048 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(parse_kib_field(status, "VmHWM:"), Some(2048));
        assert_eq!(parse_kib_field("VmHWM:\t12 MB\n", "VmHWM:"), None);
    }

    #[test]
    fn this_process_can_be_measured() {
        assert!(cpu_time("self").is_some());
        assert!(peak_rss("self").is_some_and(|b| b > 0));
        assert!(rss("self").is_some_and(|b| b > 0 && b <= peak_rss("self").unwrap()));
    }
}
