//! Timing that knows when it was not fair: a run during which other
//! programs took the CPUs, or that did not receive the CPU time it should
//! have kept busy, is run again (at most twice), and said to be noisy if it
//! still was.

/// Other programs (or the hypervisor) may take this much CPU during one
/// timed run before the run is not trusted.
pub const BUSY_CPUS: f64 = 0.25;

/// Times one run: `f` sets up, measures and tears down (a pool is dropped
/// inside, so that its workers' CPU counts as this process's children's,
/// not as other programs'), and returns the seconds it measured. A run
/// during which others took a quarter of a CPU or more is run again, at
/// most twice: a sweep's points are seconds apart, and one busy moment
/// must not bend one of them. Returns the seconds and whether the last run
/// was still busy.
///
/// `busy_cpus` is how many CPUs the run should keep busy (0 where that is
/// not known): a run whose processes received less than 80% of that much
/// CPU time did not get the CPU it asked for (a hypervisor that held a
/// virtual CPU back shows so, whatever `/proc/stat` says), and is run again
/// too.
pub fn fair(busy_cpus: f64, f: &dyn Fn() -> f64) -> (f64, bool) {
    let cpu = || {
        let t = parlab::CpuTime::now();
        (t.own + t.children).as_secs_f64()
    };
    let mut last = (f64::NAN, true);
    for _ in 0..3 {
        let (load, cpu_before) = (parlab::OtherLoad::start(), cpu());
        let started = std::time::Instant::now();
        let secs = f();
        let others = load.and_then(|l| l.cpu_secs()).map(|c| c / started.elapsed().as_secs_f64());
        let starved = cpu() - cpu_before < 0.8 * busy_cpus * secs;
        last = (secs, others.is_some_and(|o| o >= BUSY_CPUS) || starved);
        if !last.1 {
            break;
        }
    }
    last
}

/// `reps` fair runs: their seconds, and whether any stayed noisy.
pub fn fair_runs(reps: usize, busy_cpus: f64, f: &dyn Fn() -> f64) -> (Vec<f64>, bool) {
    let runs: Vec<(f64, bool)> = (0..reps).map(|_| fair(busy_cpus, f)).collect();
    (runs.iter().map(|r| r.0).collect(), runs.iter().any(|r| r.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run that sleeps where it claims to keep 64 CPUs busy received far
    /// less CPU time (even with other tests spinning in this process): it is
    /// run three times and still said to be noisy.
    #[test]
    fn a_run_that_did_not_receive_its_cpu_is_noisy() {
        let runs = std::cell::Cell::new(0);
        let (secs, noisy) = fair(64.0, &|| {
            runs.set(runs.get() + 1);
            std::thread::sleep(std::time::Duration::from_millis(20));
            0.02
        });
        assert_eq!((secs, noisy, runs.get()), (0.02, true, 3));
    }
}
