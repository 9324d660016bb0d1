//! The runs of one verification: the program's, each in a private folder,
//! sandboxed and witnessed, and the checker's own sequential baseline, each
//! in a process of its own; and the judging of each run of the program.

use super::{Options, WORK_CPU_LINE};
use crate::evidence::{self, Run};
use crate::grade;
use crate::inputs::Input;
use crate::manifest::Exercise;
use crate::speed::{self, Timing};
use crate::verdict::Stop;
use crate::witness::Witness;
use parlab::exercise::{ANSWER_ENV, INPUT_ENV, WITNESS_ENV};
use parlab::trace_file::TRACE_FILE_ENV;
use parlab::workloads::TIME_SCALE_ENV;
use parlab_sandbox::stage::RunFolder;
use parlab_sandbox::{self as sandbox, RunAs, RunOutcome};
use serde_json::Value;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

/// Runs again after a problem that timing alone can cause, at most.
const NOISY_RETRIES: usize = 2;

/// Why a run did not pass: for good, or for a reason timing alone can cause
/// (with whether the kernel saw other programs keep the CPUs busy meanwhile).
enum Judged {
    Stop(Stop),
    Noise(Stop, bool),
}

impl From<Stop> for Judged {
    fn from(stop: Stop) -> Judged {
        Judged::Stop(stop)
    }
}

/// One run of the program, not judged yet: how it ended, what the witness
/// heard, and the answer file it left.
pub(super) struct Ran {
    outcome: RunOutcome,
    calls: Result<Vec<crate::witness::Call>, String>,
    got: Result<Option<Value>, String>,
}

/// What one graded run of the program gave.
pub(super) struct LearnerRun {
    pub(super) timing: Timing,
    pub(super) evidence: Option<crate::verdict::Evidence>,
    pub(super) timeline: Option<String>,
    /// Why a pass would not be sure (the run showed less work than the
    /// checker's, on CPUs other programs kept busy).
    pub(super) doubt: Option<String>,
}

/// The state of one verification. Each run of the program gets a private
/// folder of its own, made for it and removed after it (its own copy of the
/// program, its input, its answer, the checker's socket), so that no run can
/// leave anything there for the next, and every run looks the same from inside.
pub(super) struct Session<'a> {
    ex: &'a Exercise,
    opts: &'a Options,
    input: &'a Input,
    input_json: String,
    /// The program cargo built, copied into each run's folder.
    built: PathBuf,
    run_as: Option<RunAs>,
    runs: usize,
    /// The options' limits, with room for one thread per task where every
    /// task must be in flight at once (a hundred waits or more).
    limits: parlab_sandbox::Limits,
    /// For an MPI exercise: the launcher, and how many ranks and CPUs it uses.
    launcher: Option<(parlab_mpi::launcher::Launcher, usize, usize)>,
    /// For the MPI exercise with `--hosts`: the hosts its ranks run on.
    hosts: Option<crate::hosts::Hostfile>,
    /// CPU-seconds the work took in the checker's sequential runs (the least).
    work_cpu_secs: Option<f64>,
    /// The runs that showed a problem timing alone could cause.
    noisy_runs: Vec<usize>,
}

impl<'a> Session<'a> {
    pub(super) fn new(
        ex: &'a Exercise,
        opts: &'a Options,
        built: &Path,
        input: &'a Input,
        launcher: Option<parlab_mpi::launcher::Launcher>,
        hosts: Option<crate::hosts::Hostfile>,
    ) -> Session<'a> {
        let mut limits = opts.limits.clone();
        if ex.input == crate::manifest::InputKind::ManyWaits {
            limits.extra_threads += input.tasks();
        }
        let launcher = launcher.map(|l| {
            let usable = parlab::Cpus::detect().usable;
            let ranks = hosts.as_ref().map_or_else(|| crate::evidence::ranks_for(usable), |h| h.ranks());
            (l, ranks, usable)
        });
        Session {
            ex,
            opts,
            input,
            input_json: input.to_json().to_string(),
            built: built.to_path_buf(),
            run_as: RunAs::unprivileged_if_root(),
            runs: 0,
            limits,
            launcher,
            hosts,
            work_cpu_secs: None,
            noisy_runs: Vec::new(),
        }
    }

    /// Runs the checker's sequential reference in a process of its own: its
    /// timing, and its answer (read from its stdout, never from a file).
    pub(super) fn baseline(&mut self) -> Result<(Timing, Value), Stop> {
        let me = std::env::current_exe().map_err(|e| Stop::failed(format!("cannot find the checker itself: {e}")))?;
        let cpu = parlab::CpuTime::now().children;
        let load = parlab::OtherLoad::start();
        let mut child = std::process::Command::new(me)
            .arg("--dir")
            .arg(&self.opts.dir)
            .args(["baseline", &self.ex.name])
            .env(TIME_SCALE_ENV, self.opts.time_scale.to_string())
            .env_remove(TRACE_FILE_ENV)
            .env_remove(WITNESS_ENV)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| Stop::failed(format!("cannot run the checker's baseline: {e}")))?;
        // Timed from the end of spawn (after exec), like the program.
        let started = Instant::now();
        let mut stdin = child.stdin.take().expect("piped");
        let fed = stdin.write_all(self.input_json.as_bytes());
        drop(stdin);
        let mut answer = String::new();
        let read = child.stdout.take().expect("piped").read_to_string(&mut answer);
        let status = child.wait().map_err(|e| Stop::failed(format!("cannot wait for the baseline: {e}")))?;
        let wall_secs = started.elapsed().as_secs_f64();
        let cpu_secs = parlab::CpuTime::now().children.saturating_sub(cpu).as_secs_f64();
        if fed.is_err() || read.is_err() || !status.success() {
            return Err(Stop::failed(format!("the checker's baseline failed ({status})")));
        }
        // The workloads print as they go: the answer is the last line, the
        // CPU time of the work the line before it.
        let last = answer.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
        let value = serde_json::from_str(last).map_err(|e| Stop::failed(format!("the baseline's answer: {e}")))?;
        let work_ns = answer.lines().rev().find_map(|l| l.strip_prefix(WORK_CPU_LINE)?.trim().parse::<u64>().ok());
        let others_cpu_secs = load.and_then(|l| l.cpu_secs());
        // The least the work ever took: a baseline slowed by something the
        // kernel counts as its CPU time (a busy sibling hyperthread, time a
        // virtual CPU was stolen) must not make a program's counting look short.
        let work = work_ns.map_or(cpu_secs, |ns| ns as f64 / 1e9);
        self.work_cpu_secs = Some(self.work_cpu_secs.map_or(work, |w| w.min(work)));
        Ok((Timing { wall_secs, cpu_secs, others_cpu_secs }, value))
    }

    /// Runs the program once and grades that run in full. A problem that
    /// timing alone could cause (tasks that should have overlapped did not)
    /// fails at once on a quiet machine; in a run during which the kernel saw
    /// other programs keep the CPUs busy, the run is taken again, twice at
    /// most, and the problem seen in any two runs of a verification fails.
    /// So a program that does the work one task at a time in some runs only
    /// fails, and a correct one on a busy machine does not.
    /// `ran` is a run already made, to judge first.
    pub(super) fn learner_run(&mut self, expected: &Value, mut ran: Option<Ran>) -> Result<LearnerRun, Stop> {
        for _ in 0..NOISY_RETRIES + 1 {
            let judged = match ran.take() {
                Some(ran) => self.judge_run(ran, expected),
                None => self.execute().map_err(Judged::Stop).and_then(|ran| self.judge_run(ran, expected)),
            };
            match judged {
                Ok(run) => return Ok(run),
                Err(Judged::Noise(stop, busy)) => {
                    self.noisy_runs.push(self.runs);
                    if !busy || self.noisy_runs.len() >= 2 {
                        return Err(stop.in_runs(&self.noisy_runs));
                    }
                }
                Err(Judged::Stop(stop)) => return Err(stop.in_runs(&[self.runs])),
            }
        }
        Err(Stop::failed("every run of your program showed a problem").in_runs(&self.noisy_runs))
    }

    /// Runs the program once, in a private folder, witnessed; judges nothing.
    pub(super) fn execute(&mut self) -> Result<Ran, Stop> {
        self.runs += 1;
        let cant = |what: &str, e: &dyn std::fmt::Display| Stop::failed(format!("cannot {what}: {e}"));
        let name = self.built.file_name().map_or_else(|| "program".into(), |n| n.to_string_lossy());
        let dir =
            RunFolder::new("parlab-checker-", &self.built, &name, &[], self.run_as.as_ref()).map_err(Stop::failed)?;
        let program = dir.program().to_path_buf();
        let input = dir.path().join("input.json");
        std::fs::write(&input, &self.input_json).map_err(|e| cant("write the input", &e))?;
        let witness = Witness::start(dir.path(), self.opts.time_scale, self.input.lasting())
            .map_err(|e| cant("listen for the workloads' reports", &e))?;
        let answer = dir.path().join("answer.json");
        let envs: Vec<(&str, OsString)> = vec![
            (INPUT_ENV, input.clone().into()),
            (ANSWER_ENV, answer.clone().into()),
            (TIME_SCALE_ENV, self.opts.time_scale.to_string().into()),
            (WITNESS_ENV, witness.path().into()),
        ];
        // On other hosts, the checker's relays first: the ranks there report to them.
        let relays = match &self.hosts {
            Some(hosts) => Some(self.start_relays(hosts, dir.path(), &input)?),
            None => None,
        };
        let launch_args = match (&self.launcher, &relays, &self.hosts) {
            (Some((l, ranks, _)), Some((_, agent)), Some(hosts)) => {
                // A copy the program's user may read (mpirun runs as that user).
                let copy = dir.path().join("hostfile");
                std::fs::copy(&hosts.path, &copy).map_err(|e| cant("copy the hostfile", &e))?;
                Some(l.args_on_hosts(&copy, *ranks, agent, &program).map_err(Stop::failed)?)
            }
            (Some((l, ranks, usable)), ..) => Some(l.args(*ranks, *usable, &program)),
            _ => None,
        };
        let (program, args) = match (&self.launcher, &launch_args) {
            (Some((l, ..)), Some(args)) => (l.program.as_path(), args.as_slice()),
            _ => (program.as_path(), &[][..]),
        };
        let keep: Vec<i32> = relays.as_ref().map_or_else(Vec::new, |(r, _)| r.pids());
        let spec = sandbox::Spec {
            program,
            args,
            envs: &envs,
            cwd: dir.path(),
            limits: &self.limits,
            run_as: self.run_as.as_ref(),
            tag: &self.ex.name,
            watch: None,
            keep: &keep,
        };
        let started = std::time::SystemTime::now();
        let outcome = sandbox::run(&spec);
        let mut calls = witness.finish();
        let (mut remote_cpu, mut remote_cpu_here) = (0.0, 0.0);
        if let Some((relays, _)) = relays {
            match (relays.finish(), &mut calls) {
                (Ok(gathered), Ok(here)) => {
                    here.extend(gathered.calls);
                    here.sort_by_key(|c| c.start_ns);
                    (remote_cpu, remote_cpu_here) = (gathered.cpu_secs, gathered.cpu_secs_here);
                }
                (Err(why), _) => calls = Err(why),
                (Ok(_), Err(_)) => {}
            }
        }
        let got = read_answer(&answer);
        if let Some(user) = &self.run_as {
            user.sweep_temporary_files(started, dir.path());
        }
        let mut outcome = outcome.map_err(|e| cant("start your program", &e))?;
        // The program's CPU time includes its ranks' on other hosts, as
        // their relays measured it; ranks of a "host" that is this very
        // machine (the simulated pair) are not other programs.
        outcome.cpu_secs += remote_cpu;
        outcome.others_cpu_secs = outcome.others_cpu_secs.map(|o| (o - remote_cpu_here).max(0.0));
        Ok(Ran { outcome, calls, got })
    }

    /// Starts the checker's relay on every other host of `hosts`, for a run
    /// in `dir` reading `input`; the relays, and the remote shell to give
    /// `mpirun` ([`crate::hosts::knock`], as one line of words).
    fn start_relays(
        &self,
        hosts: &crate::hosts::Hostfile,
        dir: &Path,
        input: &Path,
    ) -> Result<(crate::hosts::Relays, String), Stop> {
        let args = crate::hosts::relay::Args {
            timeout: self.limits.wall.as_secs_f64(),
            scale: self.opts.time_scale,
            lasting: self.input.lasting(),
            input: input.to_path_buf(),
        };
        // A relay that cannot start is the grader's setup, not the program: skipped, with why.
        let relays = crate::hosts::Relays::start(hosts, &args.words())
            .map_err(|why| Stop::new(crate::verdict::Status::Skipped, why))?;
        let doors = dir.join("doors");
        std::fs::write(&doors, &relays.doors)
            .map_err(|e| Stop::failed(format!("cannot write {}: {e}", doors.display())))?;
        let me = std::env::current_exe().map_err(|e| Stop::failed(format!("cannot find the checker itself: {e}")))?;
        let knock = runnable_copy(&me, dir).map_err(Stop::failed)?;
        // Open MPI splits its agent setting at spaces: the paths must have none.
        let agent = format!("{} knock --doors {}", knock.display(), doors.display());
        if knock.to_string_lossy().contains(' ') || doors.to_string_lossy().contains(' ') {
            return Err(Stop::failed(format!(
                "the checker's path has a space, which mpirun's agent setting cannot hold: {agent}"
            )));
        }
        Ok((relays, agent))
    }

    /// Whether the run ended as a finished program does: not stopped at a
    /// `todo!()`, no crash, no time limit, an answer file fit to read.
    /// Needs no baseline.
    pub(super) fn finished(&self, ran: &Ran) -> Result<(), Stop> {
        let got = ran.got.as_ref().map_err(|e| Stop::failed(e.clone()))?;
        if let Some(why) = grade::not_done(got.as_ref()) {
            return Err(Stop::new(crate::verdict::Status::NotDone, why));
        }
        let open = ran.calls.as_ref().ok().and_then(|c| evidence::still_running(self.input, c));
        grade::ending(&ran.outcome, &self.limits, open.as_deref()).map_err(Stop::failed)
    }

    /// A problem of where and when the tasks ran that no timing can cause
    /// (work done twice, a rank that did nothing, a process the launcher did
    /// not start): fails before the baseline runs. The same evidence is
    /// judged again, in full, with the baseline's figures.
    pub(super) fn misshapen(&self, ran: &Ran) -> Result<(), Stop> {
        let Ok(calls) = &ran.calls else { return Ok(()) };
        let run = self.evidence_run(&ran.outcome, calls, None);
        let spans = evidence::account(self.input, &run).map_err(Stop::failed)?;
        let (_, problems) = evidence::shape(self.ex, self.input, &run, &spans, parlab::Cpus::detect().usable);
        match problems.first() {
            Some(first) if !first.noise && !first.load => {
                let mut stop = Stop::failed(first.reason.clone());
                stop.reasons.extend(problems[1..].iter().map(|p| p.reason.clone()));
                Err(stop)
            }
            _ => Ok(()),
        }
    }

    /// What the evidence needs to know of a run; `work_cpu_secs` is the
    /// CPU time the baseline's work took, once known.
    fn evidence_run<'r>(
        &self,
        outcome: &'r RunOutcome,
        calls: &'r [crate::witness::Call],
        work_cpu_secs: Option<f64>,
    ) -> Run<'r> {
        Run {
            calls,
            main_pid: outcome.pid,
            uid: self.run_as.as_ref().map_or_else(|| nix::unistd::geteuid().as_raw(), RunAs::uid),
            processes: &outcome.processes,
            time_scale: self.opts.time_scale,
            work_cpu_secs,
            ranks: self.hosts.as_ref().map(crate::hosts::Hostfile::ranks),
        }
    }

    fn judge_run(&self, ran: Ran, expected: &Value) -> Result<LearnerRun, Judged> {
        let (ex, input) = (self.ex, self.input);
        self.finished(&ran)?;
        let Ran { outcome, calls, got } = ran;
        let outcome = &outcome;
        let calls = calls.map_err(Stop::failed)?;
        let got = got.map_err(Stop::failed)?;
        let got = got.ok_or_else(|| Stop::failed("your program gave no answer: keep main() as it is"))?;
        let run = self.evidence_run(outcome, &calls, self.work_cpu_secs);
        let spans = evidence::account(input, &run).map_err(Stop::failed)?;
        grade::answer(ex, input, &got, expected, &spans).map_err(Stop::failed)?;
        let cpus = parlab::Cpus::detect();
        let (ev, problems) = evidence::shape(ex, input, &run, &spans, cpus.usable);
        let timing = Timing {
            wall_secs: outcome.wall_secs,
            cpu_secs: outcome.cpu_secs,
            others_cpu_secs: outcome.others_cpu_secs,
        };
        let others = timing.others_cpu_secs.map(|o| o / timing.wall_secs.max(1e-9));
        let busy = others.is_some_and(|o| o >= speed::BUSY_CPUS);
        // Work that took somewhat less CPU than the checker's own (far less
        // failed in `account`): a doubt that makes a pass inconclusive, as
        // what shares a core changes what a CPU-second buys (a correct 07
        // was seen at 0.73 of it in CI); a failure still fails.
        let doubt = evidence::short_of_cpu(&run).map(|reason| match others {
            Some(o) if busy => format!(
                "{reason}; but other programs kept {o:.2} CPUs busy meanwhile, which changes how much work a \
                 CPU-second does: run the checker again when the machine is quieter"
            ),
            _ => format!(
                "{reason}; honest work can show that where something shares the CPUs' cores: run the checker again"
            ),
        });
        if let Some(first) = problems.first() {
            let mut stop = match others {
                Some(o) if first.load && busy => Stop::inconclusive(format!(
                    "{}; but other programs kept {o:.2} CPUs busy meanwhile, which slows a pool's hand-over alone: \
                     run the checker again when the machine is quieter",
                    first.reason
                )),
                _ => Stop::failed(first.reason.clone()),
            };
            stop.reasons.extend(problems[1..].iter().map(|p| p.reason.clone()));
            return Err(match (first.noise, first.load && busy) {
                (_, true) => Judged::Stop(stop),
                (true, false) => Judged::Noise(stop, busy),
                (false, false) => Judged::Stop(stop),
            });
        }
        // Tiny tasks are not witnessed one by one (each call costs less than
        // a report): the verdict shows no timeline for them.
        let traced = input.traced();
        let timeline = (traced && !spans.is_empty()).then(|| {
            let mut t = parlab::Trace::from_spans(format!("your run of {}", ex.name), spans.clone());
            t.parent_pid = outcome.pid;
            parlab::timeline::text(&t, 50)
        });
        Ok(LearnerRun { timing, evidence: traced.then_some(ev), timeline, doubt })
    }
}

/// `program` itself if every user may run it, else a copy in `dir` (the
/// run's folder, which the program's user may read): `mpirun`, run as that
/// user, starts it as its remote shell.
fn runnable_copy(program: &Path, dir: &Path) -> Result<PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    let others_may = |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o001 != 0);
    if others_may(program) && program.ancestors().skip(1).all(|d| d.as_os_str().is_empty() || others_may(d)) {
        return Ok(program.to_path_buf());
    }
    let copy = dir.join("checker");
    std::fs::copy(program, &copy).map_err(|e| format!("cannot copy the checker for mpirun: {e}"))?;
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
    Ok(copy)
}

/// The most of an answer file the checker reads.
const MAX_ANSWER: u64 = 1 << 20;

/// Reads the answer the program left, as a hostile file: never following a
/// link, never blocking (a FIFO), only a regular file, and only so much of it.
fn read_answer(path: &Path) -> Result<Option<Value>, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let opened =
        std::fs::OpenOptions::new().read(true).custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK).open(path);
    let file = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(_) => return Err("the answer file your program left is a link, not a file: keep main() as it is".into()),
    };
    let meta = file.metadata().map_err(|e| format!("cannot read the answer file: {e}"))?;
    if !meta.file_type().is_file() {
        return Err(
            "the answer file your program left is not a regular file (a FIFO or a device?): keep main() as it is"
                .into(),
        );
    }
    let mut text = String::new();
    let read = file.take(MAX_ANSWER + 1).read_to_string(&mut text);
    if read.is_err() || text.len() as u64 > MAX_ANSWER {
        return Err(format!("the answer file your program left is not text of {MAX_ANSWER} bytes or less"));
    }
    Ok(serde_json::from_str(&text).ok())
}
