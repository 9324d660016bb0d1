//! `checker relay`: the checker's witness on another host.
//!
//! Started by the checker through the remote shell, before the program
//! runs. It listens for the workloads' reports on that host (a [`Witness`],
//! as the checker does at home), and at a door of its own for [`knock`]:
//! `mpirun`'s remote shell, which asks it to start the host's MPI daemon.
//! It starts that one command, once per run, in a sandbox of its own (as
//! the program's user, with the checker's limits), with the ranks' reports
//! sent to its witness. Over stdin and stdout it answers the checker:
//! `clock` (its monotonic clock, in ns), and `finish` (what it witnessed,
//! each call checked to come from a rank: a child of the daemon it started,
//! in that daemon's session). End of file on stdin stops everything too.
//!
//! [`knock`]: super::knock

use super::{Finished, Ready, Said};
use crate::witness::{Call, Witness};
use nix::sys::socket::{AddressFamily, Backlog, SockFlag, SockType, UnixAddr, accept4, bind, listen, socket};
use parlab_sandbox::{self as sandbox, RunAs};
use std::io::BufRead;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the checker tells a relay when it starts it.
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    /// Seconds the daemon and its ranks may run.
    pub timeout: f64,
    /// Real seconds per course second.
    pub scale: f64,
    /// How long a sleep of each value lasts (course seconds), as the checker's witness has it.
    pub lasting: Vec<(f64, f64)>,
    /// The run's input, for the ranks here (on a folder every host sees).
    pub input: PathBuf,
}

impl Args {
    /// As words for `checker relay`.
    pub fn words(&self) -> Vec<String> {
        let lasting: Vec<String> = self.lasting.iter().map(|(v, d)| format!("{v}:{d}")).collect();
        vec![
            "--timeout".into(),
            self.timeout.to_string(),
            "--scale".into(),
            self.scale.to_string(),
            "--lasting".into(),
            lasting.join(","),
            "--input".into(),
            self.input.to_string_lossy().into_owned(),
        ]
    }
}

/// Reads `--lasting`'s `VALUE:LASTS,...`.
pub fn parse_lasting(text: &str) -> Result<Vec<(f64, f64)>, String> {
    text.split(',')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (v, d) = pair.split_once(':').ok_or_else(|| format!("\"{pair}\" is not VALUE:LASTS"))?;
            Ok((
                v.parse().map_err(|_| format!("\"{v}\" is not a number"))?,
                d.parse().map_err(|_| format!("\"{d}\" is not a number"))?,
            ))
        })
        .collect()
}

/// The executables an Open MPI daemon has (`orted` up to 4, `prted` from 5).
const DAEMONS: [&str; 2] = ["orted", "prted"];

/// Runs the relay until the checker says `finish` or goes away; the exit code.
pub fn main(args: Args) -> i32 {
    // Not dumpable: the program's processes, if they run as this user,
    // cannot open its files or memory; orphans of the daemon come back here.
    let _ = nix::sys::prctl::set_dumpable(false);
    let _ = nix::sys::prctl::set_child_subreaper(true);
    match serve(&args) {
        Ok(()) => 0,
        Err(why) => {
            eprintln!("checker relay: {why}");
            2
        }
    }
}

/// What the door's one launch gave.
#[derive(Default)]
struct Launch {
    outcome: Option<sandbox::RunOutcome>,
    /// The MPI daemon's pid: the ranks are its children.
    daemon: Option<i32>,
    output: String,
}

fn serve(args: &Args) -> Result<(), String> {
    let run_as = RunAs::unprivileged_if_root();
    let dir = tempfile::Builder::new().prefix("parlab-relay-").tempdir().map_err(|e| format!("no folder: {e}"))?;
    use std::os::unix::fs::PermissionsExt;
    // Its sockets are for the program's user to reach.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
    let witness =
        Witness::start(dir.path(), args.scale, args.lasting.clone()).map_err(|e| format!("cannot listen: {e}"))?;
    let door_path = dir.path().join("door.sock");
    let door = listener(&door_path).map_err(|e| format!("cannot open the door: {e}"))?;
    let hostname = super::hostname();
    say(&Said::Ready(Ready { door: door_path, hostname, boot_id: super::boot_id() }));

    let stop = Arc::new(AtomicBool::new(false));
    let launch = Arc::new(Mutex::new(Launch::default()));
    let doorman = {
        let (stop, launch, args) = (Arc::clone(&stop), Arc::clone(&launch), args.clone());
        let (witness_path, cwd, run_as) = (witness.path().to_path_buf(), dir.path().to_path_buf(), run_as.clone());
        std::thread::spawn(move || open_door(&door, &stop, &launch, &args, &witness_path, &cwd, run_as.as_ref()))
    };
    let mut finish = false;
    for line in std::io::stdin().lock().lines() {
        match line.as_deref().map(str::trim) {
            Ok("clock") => say(&Said::Clock(parlab::now_ns())),
            Ok("finish") => {
                finish = true;
                break;
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    stop.store(true, Ordering::SeqCst);
    let _ = doorman.join();
    let calls = witness.finish();
    if finish {
        let launch = std::mem::take(&mut *launch.lock().unwrap_or_else(|e| e.into_inner()));
        let uid = run_as.as_ref().map_or_else(|| nix::unistd::geteuid().as_raw(), RunAs::uid);
        let host = super::hostname();
        let session = launch.outcome.as_ref().map(|o| o.pid);
        let calls = calls.and_then(|calls| from_ranks(calls, session, launch.daemon, uid, &host));
        let cpu_secs = launch.outcome.as_ref().map_or(0.0, |o| o.cpu_secs);
        say(&Said::Finished(Finished { calls, cpu_secs, output: launch.output }));
    }
    Ok(())
}

/// Prints one line for the checker.
fn say(said: &Said) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", serde_json::to_string(said).expect("plain data"));
    let _ = out.flush();
}

fn listener(path: &Path) -> std::io::Result<OwnedFd> {
    let fd = socket(AddressFamily::Unix, SockType::SeqPacket, SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK, None)?;
    bind(fd.as_raw_fd(), &UnixAddr::new(path)?)?;
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o666))?;
    listen(&fd, Backlog::new(8).map_err(std::io::Error::from)?)?;
    Ok(fd)
}

/// Serves knocks until `stop`: the first from the program's user starts
/// the daemon (and is answered with its exit code when it ends); any other
/// is refused.
fn open_door(
    door: &OwnedFd,
    stop: &AtomicBool,
    launch: &Mutex<Launch>,
    args: &Args,
    witness: &Path,
    cwd: &Path,
    run_as: Option<&RunAs>,
) {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let uid = run_as.map_or_else(|| nix::unistd::geteuid().as_raw(), RunAs::uid);
    let mut launched = false;
    while !stop.load(Ordering::SeqCst) {
        let mut fds = [PollFd::new(door.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(20u8)).unwrap_or(0) <= 0 {
            continue;
        }
        let Ok(conn) = accept4(door, SockFlag::SOCK_CLOEXEC) else { continue };
        let peer = nix::sys::socket::getsockopt(&conn, nix::sys::socket::sockopt::PeerCredentials);
        if peer.map(|p| p.uid()) != Ok(uid) {
            answer(&conn, &serde_json::json!({"error": "only the program's user may start the MPI daemon here"}));
            continue;
        }
        if launched {
            answer(&conn, &serde_json::json!({"error": "the MPI daemon of this run has been started already"}));
            continue;
        }
        // A knock says what to run at once: one that keeps silent must not
        // hold the door (and the relay's end) for good.
        let _ = nix::sys::socket::setsockopt(
            &conn,
            nix::sys::socket::sockopt::ReceiveTimeout,
            &nix::sys::time::TimeVal::new(2, 0),
        );
        let Some(command) = knocked(&conn) else { continue };
        launched = true;
        let (code, outcome, daemon, output) = run_daemon(&command, stop, args, witness, cwd, run_as);
        answer(&conn, &serde_json::json!({"code": code}));
        *launch.lock().unwrap_or_else(|e| e.into_inner()) = Launch { outcome, daemon, output };
    }
}

/// The command a knock asks for (`{"command": "..."}`).
fn knocked(conn: &OwnedFd) -> Option<String> {
    let mut buf = vec![0u8; 64 * 1024];
    let n = nix::sys::socket::recv(conn.as_raw_fd(), &mut buf, nix::sys::socket::MsgFlags::empty()).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&buf[..n]).ok()?;
    v.get("command")?.as_str().map(String::from)
}

fn answer(conn: &OwnedFd, v: &serde_json::Value) {
    let _ =
        nix::sys::socket::send(conn.as_raw_fd(), v.to_string().as_bytes(), nix::sys::socket::MsgFlags::MSG_NOSIGNAL);
}

/// Runs the daemon's command line (a remote shell's: for `sh -c`) in a
/// sandbox, its ranks reporting to this relay's witness: its exit code, the
/// run, the daemon's pid, and its last output.
fn run_daemon(
    command: &str,
    stop: &AtomicBool,
    args: &Args,
    witness: &Path,
    cwd: &Path,
    run_as: Option<&RunAs>,
) -> (i32, Option<sandbox::RunOutcome>, Option<i32>, String) {
    use parlab::exercise::{INPUT_ENV, WITNESS_ENV};
    let envs: Vec<(&str, std::ffi::OsString)> = vec![
        (WITNESS_ENV, witness.into()),
        (INPUT_ENV, args.input.clone().into()),
        (parlab::workloads::TIME_SCALE_ENV, args.scale.to_string().into()),
    ];
    let limits = sandbox::Limits {
        wall: Duration::from_secs_f64(args.timeout),
        max_processes: 64,
        extra_threads: 0,
        max_output: 1 << 20,
    };
    // The sandbox stops the run when its watch's flag is set: set once the
    // relay's own is (the checker said `finish`, or went away).
    let watched = Arc::new(AtomicBool::new(false));
    let watch = sandbox::Watch { output: Arc::new(|_: &[u8]| {}), stop: Arc::clone(&watched) };
    let cmd_args: Vec<std::ffi::OsString> = vec!["-c".into(), command.into()];
    let spec = sandbox::Spec {
        program: Path::new("/bin/sh"),
        args: &cmd_args,
        envs: &envs,
        cwd,
        limits: &limits,
        run_as,
        tag: "relay",
        watch: Some(&watch),
        keep: &[],
    };
    let running = AtomicBool::new(true);
    let (outcome, daemon) = std::thread::scope(|s| {
        let looking = s.spawn(|| {
            let mut daemon = None;
            while running.load(Ordering::SeqCst) {
                if stop.load(Ordering::SeqCst) {
                    watched.store(true, Ordering::SeqCst);
                }
                daemon = daemon.or_else(find_daemon);
                std::thread::sleep(Duration::from_millis(if daemon.is_some() { 20 } else { 2 }));
            }
            daemon
        });
        let outcome = sandbox::run(&spec);
        running.store(false, Ordering::SeqCst);
        (outcome, looking.join().ok().flatten())
    });
    match outcome {
        Ok(o) => {
            let code = match o.ending {
                sandbox::Ending::Exited(code) => code,
                _ => 1,
            };
            let text = format!("{}{}", o.stdout, o.stderr);
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(20)..].join("\n");
            (code, Some(o), daemon, tail)
        }
        Err(e) => (1, None, None, format!("cannot start the MPI daemon: {e}")),
    }
}

/// The MPI daemon this relay started, once it runs: the session leader the
/// sandbox made (this process's child, leading its own session) if it is
/// the daemon itself (the shell ran it in its place), else that leader's
/// child that is. Known by its pid, as `mpirun` is at home: a rank can run
/// a program of its own under the daemon's name, never be its parent.
fn find_daemon() -> Option<i32> {
    let me = std::process::id() as i32;
    let leader = parlab_sandbox::procs::children_of(me)
        .into_iter()
        .find(|&p| parlab_sandbox::procs::stat(p).is_some_and(|s| s.session == p))?;
    let is_daemon = |p: i32| crate::witness::exe_name(p).is_some_and(|e| DAEMONS.contains(&e.as_str()));
    if is_daemon(leader) {
        return Some(leader);
    }
    parlab_sandbox::procs::children_of(leader).into_iter().find(|&p| is_daemon(p))
}

/// The calls, once each is checked to come from a rank of this run: a
/// process of the program's user, in the session this relay started, whose
/// parent is the daemon it started.
fn from_ranks(
    calls: Vec<Call>,
    session: Option<i32>,
    daemon: Option<i32>,
    uid: u32,
    host: &str,
) -> Result<Vec<Call>, String> {
    for c in &calls {
        if c.uid != uid || session.is_none() || c.session != session {
            return Err(format!(
                "process {} on {host} reported {} to the checker's relay there, but it is not part of your \
                 program's run (another session or user): only the tasks of your program count",
                c.pid, c.work
            ));
        }
        if daemon.is_none() || c.parent != daemon {
            return Err(format!(
                "process {} on {host} counted a part, but the MPI daemon there did not start it (a process started \
                 inside a rank): on MPI every rank counts its own part, in its own process",
                c.pid
            ));
        }
    }
    Ok(calls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_go_there_and_back_as_words() {
        let args = Args {
            timeout: 20.0,
            scale: 0.05,
            lasting: vec![(1.0, 1.5), (2.0, 2.0)],
            input: "/tmp/x/input.json".into(),
        };
        let w = args.words();
        assert_eq!(w[5], "1:1.5,2:2");
        assert_eq!(parse_lasting(&w[5]).unwrap(), args.lasting);
        assert_eq!(parse_lasting("").unwrap(), []);
        assert!(parse_lasting("1").is_err());
    }

    fn call(pid: i32, session: i32, parent: i32) -> Call {
        Call {
            pid,
            uid: 7,
            tid: pid,
            session: Some(session),
            parent: Some(parent),
            host: None,
            work: crate::witness::Work::Count(0, 10),
            start_ns: 0,
            end: None,
            died: false,
        }
    }

    #[test]
    fn only_the_daemons_children_in_its_session_are_ranks() {
        assert!(from_ranks(vec![call(5, 3, 4), call(6, 3, 4)], Some(3), Some(4), 7, "h").is_ok());
        // A process under a parent named like the daemon is no rank: the pid decides.
        let inside = from_ranks(vec![call(9, 3, 5)], Some(3), Some(4), 7, "h").unwrap_err();
        assert!(inside.contains("the MPI daemon there did not start it"), "{inside}");
        let other = from_ranks(vec![call(5, 8, 4)], Some(3), Some(4), 7, "h").unwrap_err();
        assert!(other.contains("not part of your program's run"), "{other}");
        assert!(from_ranks(vec![call(5, 3, 4)], None, Some(4), 7, "h").is_err());
        assert!(from_ranks(vec![call(5, 3, 4)], Some(3), None, 7, "h").is_err());
    }
}
