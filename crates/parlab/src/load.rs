//! How much CPU other programs took while a measurement went on: the
//! kernel's own count of busy time on the CPUs this process may use
//! (`/proc/stat`, steal included), less what this process and the children
//! it waited for used. A timing means little when others held the CPUs: the
//! checker then says "inconclusive", and the benchmark marks the figure noisy.
//!
//! Linux only; elsewhere nothing is measured (`None`).

/// The counters at the start of a measurement.
///
/// ```
/// let load = parlab::OtherLoad::start();
/// // ... measure something ...
/// if let Some(others) = load.and_then(|l| l.cpu_secs()) {
///     assert!(others >= 0.0);
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct OtherLoad {
    busy_ticks: u64,
    mine_secs: f64,
}

impl OtherLoad {
    /// Reads the counters now; `None` where the system does not show them.
    pub fn start() -> Option<OtherLoad> {
        Some(OtherLoad { busy_ticks: busy_ticks()?, mine_secs: mine_secs() })
    }

    /// CPU-seconds that other programs used on this process's CPUs since
    /// [`OtherLoad::start`]: busy time less this process's and its reaped
    /// children's.
    pub fn cpu_secs(&self) -> Option<f64> {
        let busy = busy_ticks()?.saturating_sub(self.busy_ticks) as f64 / ticks_per_sec();
        Some((busy - (mine_secs() - self.mine_secs)).max(0.0))
    }
}

fn ticks_per_sec() -> f64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok().flatten().map_or(100.0, |t| t as f64)
}

/// CPU time of this process and of the children it waited for, so far.
fn mine_secs() -> f64 {
    let t = crate::sys::CpuTime::now();
    (t.own + t.children).as_secs_f64()
}

/// Busy ticks summed over the CPUs in this process's affinity mask: every
/// column of a `cpuN` line but idle and iowait.
#[cfg(target_os = "linux")]
fn busy_ticks() -> Option<u64> {
    let mask = nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0)).ok();
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let mut total = 0u64;
    let mut seen = false;
    for line in stat.lines() {
        let Some(rest) = line.strip_prefix("cpu") else { continue };
        let mut fields = rest.split_whitespace();
        let Some(Ok(cpu)) = fields.next().map(str::parse::<usize>) else { continue };
        if mask.as_ref().is_some_and(|m| !m.is_set(cpu).unwrap_or(false)) {
            continue;
        }
        let values: Vec<u64> = fields.filter_map(|f| f.parse().ok()).collect();
        // user nice system idle iowait irq softirq steal (guest is inside user).
        let busy: u64 = values.iter().take(8).enumerate().filter(|(i, _)| *i != 3 && *i != 4).map(|(_, v)| v).sum();
        total += busy;
        seen = true;
    }
    seen.then_some(total)
}

#[cfg(not(target_os = "linux"))]
fn busy_ticks() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn a_busy_process_that_is_not_ours_counts_as_others() {
        // Another process spins while this one sleeps: its CPU is not ours
        // until we wait for it.
        // `yes` spins in one process (a shell loop forks, and its children
        // can end between two reads of the counters).
        let mut spinner = std::process::Command::new("yes").stdout(std::process::Stdio::null()).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let load = OtherLoad::start().expect("/proc/stat on Linux");
        std::thread::sleep(std::time::Duration::from_millis(250));
        let others = load.cpu_secs().unwrap();
        spinner.kill().unwrap();
        spinner.wait().unwrap();
        assert!(others > 0.05, "others used {others} s");
    }
}
