//! How much CPU other programs took while a run went on: the kernel's own
//! count of busy time on the CPUs this process may use (`/proc/stat`, steal
//! included), less what the run and the checker used themselves. A verdict
//! on speed or overlap means nothing when others held the CPUs, so the
//! checker says "inconclusive" then, with this number as the reason.
//!
//! Linux only; elsewhere nothing is measured and no run counts as contended.

/// Busy and total clock ticks on this process's CPUs, at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    busy_ticks: u64,
    own_cpu_secs: f64,
}

impl Snapshot {
    /// Reads the counters now; `None` where the system does not show them.
    pub fn now() -> Option<Snapshot> {
        Some(Snapshot { busy_ticks: busy_ticks()?, own_cpu_secs: own_cpu_secs() })
    }

    /// CPU-seconds that programs other than the run (which used `run_cpu_secs`)
    /// and this checker used on our CPUs since `self`.
    pub fn others_since(&self, run_cpu_secs: f64) -> Option<f64> {
        let later = Snapshot::now()?;
        let busy = later.busy_ticks.saturating_sub(self.busy_ticks) as f64 / ticks_per_sec();
        let mine = later.own_cpu_secs - self.own_cpu_secs;
        Some((busy - run_cpu_secs - mine).max(0.0))
    }
}

fn ticks_per_sec() -> f64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok().flatten().map_or(100.0, |t| t as f64)
}

/// CPU time of this process (all its threads) so far.
fn own_cpu_secs() -> f64 {
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
        .map(|u| {
            let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
            t(u.user_time()) + t(u.system_time())
        })
        .unwrap_or(0.0)
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
    fn a_busy_thread_of_another_process_counts_as_others() {
        let before = Snapshot::now().expect("/proc/stat on Linux");
        // Another process spins for 300 ms; this one does nothing.
        let mut child = std::process::Command::new("sh")
            .args(["-c", "end=$(($(date +%s%N) + 300000000)); while [ $(date +%s%N) -lt $end ]; do :; done"])
            .spawn()
            .unwrap();
        child.wait().unwrap();
        // The child's CPU is not ours to subtract: say the run used none.
        let others = before.others_since(0.0).unwrap();
        assert!(others > 0.05, "others used {others} s");
    }
}
