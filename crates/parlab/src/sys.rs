//! The few facts the engine needs from the operating system, each behind one
//! small function so that a port to another Unix only touches this file.
//! Linux answers from `/proc` and cgroups; elsewhere the answers are `None`
//! and callers fall back to what the standard library knows.

use std::time::Duration;

/// Threads in this process, or `None` where the OS does not tell us cheaply.
pub fn thread_count() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        // procfs gives /proc/self/task a link count of 2 + threads: one
        // `stat`, several times cheaper than reading /proc/self/status, and
        // this runs before every fork.
        use std::os::unix::fs::MetadataExt;
        if let Ok(meta) = std::fs::metadata("/proc/self/task")
            && meta.nlink() >= 3
        {
            return Some(meta.nlink() as usize - 2);
        }
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        status.lines().find_map(|l| l.strip_prefix("Threads:")).and_then(|n| n.trim().parse().ok())
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// The names of this process's threads (Linux; empty elsewhere).
pub fn thread_names() -> Vec<String> {
    #[cfg(target_os = "linux")]
    {
        let mut names: Vec<String> = std::fs::read_dir("/proc/self/task")
            .into_iter()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("comm")).ok())
            .map(|n| n.trim().to_string())
            .collect();
        names.sort();
        names
    }
    #[cfg(not(target_os = "linux"))]
    {
        Vec::new()
    }
}

/// Where the usable CPU count comes from: cores, affinity and cgroup quota.
/// A container or `taskset` often allows fewer CPUs than the machine has, and
/// more workers than usable CPUs cannot make CPU-bound work faster.
///
/// ```
/// use parlab::Cpus;
///
/// let cpus = Cpus::detect();
/// assert!(cpus.usable >= 1 && cpus.usable <= cpus.online);
/// println!("{}", cpus.explain());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cpus {
    /// CPUs the machine has online.
    pub online: usize,
    /// CPUs this process may be scheduled on (affinity mask), if known.
    pub affinity: Option<usize>,
    /// CPU time per second the cgroup allows (`cpu.max`), if limited.
    pub quota: Option<f64>,
    /// What parallel work can really use: the smallest of the above, at least 1.
    pub usable: usize,
}

impl Cpus {
    /// Reads the CPU budget of this process now (it can change while it runs).
    ///
    /// ```
    /// let cpus = parlab::Cpus::detect();
    /// if let Some(mask) = cpus.affinity {
    ///     assert!(cpus.usable <= mask);
    /// }
    /// ```
    pub fn detect() -> Cpus {
        let online = online_cpus();
        let affinity = affinity_cpus();
        let quota = cgroup_quota();
        let mut usable = affinity.unwrap_or(online).min(online);
        if let Some(q) = quota {
            usable = usable.min(q.ceil() as usize);
        }
        Cpus { online, affinity, quota, usable: usable.max(1) }
    }

    /// One line that explains the number, for verdicts and the book.
    ///
    /// ```
    /// use parlab::Cpus;
    ///
    /// let cpus = Cpus { online: 8, affinity: Some(4), quota: Some(2.5), usable: 3 };
    /// assert_eq!(
    ///     cpus.explain(),
    ///     "3 usable CPU(s): 8 online, 4 in this process's affinity mask, cgroup quota 2.50 CPU"
    /// );
    /// ```
    pub fn explain(&self) -> String {
        let mut s = format!("{} usable CPU(s): {} online", self.usable, self.online);
        if let Some(a) = self.affinity {
            s.push_str(&format!(", {a} in this process's affinity mask"));
        }
        if let Some(q) = self.quota {
            s.push_str(&format!(", cgroup quota {q:.2} CPU"));
        }
        s
    }
}

fn online_cpus() -> usize {
    // sysconf(_SC_NPROCESSORS_ONLN) through nix, portable across Unix.
    nix::unistd::sysconf(nix::unistd::SysconfVar::_NPROCESSORS_ONLN).ok().flatten().map(|n| n as usize).unwrap_or(1)
}

fn affinity_cpus() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        use nix::sched::{CpuSet, sched_getaffinity};
        let set = sched_getaffinity(nix::unistd::Pid::from_raw(0)).ok()?;
        Some((0..CpuSet::count()).filter(|&i| set.is_set(i).unwrap_or(false)).count())
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

fn cgroup_quota() -> Option<f64> {
    #[cfg(target_os = "linux")]
    {
        // cgroup v2: "max 100000" or "150000 100000".
        if let Ok(s) = std::fs::read_to_string("/sys/fs/cgroup/cpu.max") {
            let mut it = s.split_whitespace();
            let (quota, period) = (it.next()?, it.next()?);
            if quota == "max" {
                return None;
            }
            return Some(quota.parse::<f64>().ok()? / period.parse::<f64>().ok()?);
        }
        // cgroup v1.
        let q: f64 = std::fs::read_to_string("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").ok()?.trim().parse().ok()?;
        let p: f64 = std::fs::read_to_string("/sys/fs/cgroup/cpu/cpu.cfs_period_us").ok()?.trim().parse().ok()?;
        (q > 0.0).then(|| q / p)
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// CPU time (user + system) used so far by this process and by its reaped children.
/// Set against wall time, it tells work that computed from work that waited.
///
/// ```
/// use parlab::CpuTime;
///
/// let before = CpuTime::now();
/// let primes = parlab::workloads::count_primes((0, 20_000));
/// let used = CpuTime::now().since(&before);
/// assert_eq!(primes, 2262);
/// println!("{primes} primes in {:?} of CPU", used.own);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CpuTime {
    /// Used by this process, every thread included.
    pub own: Duration,
    /// Used by the children this process has reaped (and by the descendants
    /// they reaped): a child still running counts nothing yet.
    pub children: Duration,
}

impl CpuTime {
    /// Reads `getrusage` for self and for children.
    ///
    /// ```
    /// let cpu = parlab::CpuTime::now();
    /// assert!(cpu.own > std::time::Duration::ZERO);
    /// ```
    pub fn now() -> CpuTime {
        use nix::sys::resource::{UsageWho, getrusage};
        let total = |who| getrusage(who).map(|u| tv(u.user_time()) + tv(u.system_time())).unwrap_or_default();
        CpuTime { own: total(UsageWho::RUSAGE_SELF), children: total(UsageWho::RUSAGE_CHILDREN) }
    }

    /// CPU time spent between `earlier` and `self`.
    ///
    /// ```
    /// use parlab::CpuTime;
    /// use std::time::Duration;
    ///
    /// let earlier = CpuTime { own: Duration::from_millis(10), children: Duration::ZERO };
    /// let later = CpuTime { own: Duration::from_millis(25), children: Duration::from_millis(40) };
    /// let spent = later.since(&earlier);
    /// assert_eq!((spent.own, spent.children), (Duration::from_millis(15), Duration::from_millis(40)));
    /// ```
    pub fn since(&self, earlier: &CpuTime) -> CpuTime {
        CpuTime { own: self.own.saturating_sub(earlier.own), children: self.children.saturating_sub(earlier.children) }
    }
}

fn tv(t: nix::sys::time::TimeVal) -> Duration {
    Duration::from_secs(t.tv_sec() as u64) + Duration::from_micros(t.tv_usec() as u64)
}
