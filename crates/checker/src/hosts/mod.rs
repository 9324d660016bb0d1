//! Grading an MPI exercise with its ranks on several hosts
//! (`checker verify 13 --hosts FILE`).
//!
//! The checker cannot see another host's kernel, so on every host of the
//! hostfile but this one it first starts a relay of its own ([`relay`]),
//! through the remote shell `mpirun` would use (ssh; on the simulated pair
//! of `crates/parlab-mpi/two-hosts.sh`, its agent). A relay is the witness
//! of its host: the ranks there report to it as the ranks here report to
//! the checker, with the kernel's word on who reported and how much CPU each
//! thread used. It also starts that host's MPI daemon itself (the remote
//! shell `mpirun` is given is [`knock`], which asks the relay to), so it
//! knows which processes are ranks: the children of that daemon, in the
//! session it started. What a relay witnessed comes back over the channel
//! the checker opened to it (its stdout), with its times moved onto the
//! checker's clock by the offset measured over that same channel.
//!
//! What a remote host's kernel attests reaches the checker only through its
//! relay: the relay is the checker's own program, run as the user the remote
//! shell logs in as (root's on the simulated pair), never as the program's.

pub mod knock;
pub mod relay;

use crate::witness::Call;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

/// The hosts of an Open MPI hostfile (`NAME [slots=N]` per line, `#` comments).
#[derive(Debug, Clone, PartialEq)]
pub struct Hostfile {
    pub path: PathBuf,
    /// Each host as named in the file, with its slots (1 where not given).
    pub hosts: Vec<(String, usize)>,
}

impl Hostfile {
    /// Reads and checks `path`.
    pub fn read(path: &Path) -> Result<Hostfile, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read the hostfile {}: {e}", path.display()))?;
        let hosts = parse(&text).map_err(|e| format!("the hostfile {}: {e}", path.display()))?;
        let path = path.canonicalize().map_err(|e| format!("the hostfile {}: {e}", path.display()))?;
        Ok(Hostfile { path, hosts })
    }

    /// One rank per slot.
    pub fn ranks(&self) -> usize {
        self.hosts.iter().map(|(_, slots)| slots).sum()
    }

    /// The hosts that are not this machine, where relays must run.
    pub fn remote(&self) -> Vec<&str> {
        self.hosts.iter().map(|(h, _)| h.as_str()).filter(|h| !is_this_host(h)).collect()
    }
}

fn parse(text: &str) -> Result<Vec<(String, usize)>, String> {
    let mut hosts = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        let Some(host) = words.next() else { continue };
        let mut slots = 1;
        for word in words {
            if let Some(("slots", n)) = word.split_once('=') {
                slots = n.parse().ok().filter(|&n| n > 0).ok_or_else(|| format!("\"{word}\" is not a count"))?;
            }
        }
        // A name a shell would split or expand cannot go to the remote shell as it is.
        if !host.chars().all(|c| c.is_ascii_alphanumeric() || "._-:".contains(c)) {
            return Err(format!("\"{host}\" is not a host name or address"));
        }
        hosts.push((host.to_string(), slots));
    }
    if hosts.len() < 2 {
        return Err("it must name two hosts at least (one per line, `NAME slots=N`)".into());
    }
    Ok(hosts)
}

/// Whether `host` names this machine: its name, or an address of one of its
/// interfaces (one a socket here can be bound to).
fn is_this_host(host: &str) -> bool {
    if host == "localhost" || hostname() == host {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => std::net::UdpSocket::bind((ip, 0)).is_ok(),
        Err(_) => false,
    }
}

/// A relay's first words: where its door and witness are, and which
/// machine it runs on (two hosts that are one machine share a boot id).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ready {
    pub door: PathBuf,
    pub hostname: String,
    pub boot_id: String,
}

/// What a relay witnessed, once the run is over.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finished {
    /// The calls the host's ranks reported (times on the relay's clock), or
    /// the first reason they cannot count.
    pub calls: Result<Vec<Call>, String>,
    /// CPU-seconds the host's daemon and ranks used.
    pub cpu_secs: f64,
    /// What the daemon printed (its last few lines), for a failed launch.
    pub output: String,
}

/// One line from the relay on its stdout.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Said {
    Ready(Ready),
    Clock(u64),
    Finished(Finished),
}

/// The relays of one run, one per remote host.
pub struct Relays {
    remotes: Vec<Remote>,
    /// `HOST DOOR` per line: where [`knock`] finds each host's relay.
    pub doors: String,
}

/// What the relays gave: their calls on this checker's clock, the CPU
/// their hosts' daemons and ranks used, and how much of it on this very
/// machine (the simulated pair).
pub struct Gathered {
    pub calls: Vec<Call>,
    pub cpu_secs: f64,
    pub cpu_secs_here: f64,
}

struct Remote {
    host: String,
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    ready: Ready,
    /// What it writes on stderr, read on a thread until it ends.
    errors: Option<std::thread::JoinHandle<String>>,
    /// Offsets (relay clock minus this one, in ns) with the round trip that measured each.
    offsets: Vec<(i128, u64)>,
}

/// How long a relay may take to answer (its start goes through a remote shell).
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

impl Relays {
    /// Starts a relay on every remote host of `hostfile` and measures each
    /// one's clock. `args` are the relay's own ([`relay::Args`], as words).
    pub fn start(hostfile: &Hostfile, args: &[String]) -> Result<Relays, String> {
        let me = std::env::current_exe().map_err(|e| format!("cannot find the checker itself: {e}"))?;
        let mut remotes = Vec::new();
        for host in hostfile.remote() {
            let mut remote = Remote::start(host, &me, args)?;
            remote.measure_clock()?;
            remotes.push(remote);
        }
        let doors = remotes.iter().map(|r| format!("{} {}\n", r.host, r.ready.door.display())).collect();
        Ok(Relays { remotes, doors })
    }

    /// The relays' processes here (their remote shells), to keep when the
    /// program's run is cleaned up.
    pub fn pids(&self) -> Vec<i32> {
        self.remotes.iter().map(|r| r.child.id() as i32).collect()
    }

    /// Ends every relay (stopping what it started), and gathers what each witnessed.
    pub fn finish(self) -> Result<Gathered, String> {
        let here = boot_id();
        let mut gathered = Gathered { calls: Vec::new(), cpu_secs: 0.0, cpu_secs_here: 0.0 };
        let mut first_error = None;
        for mut remote in self.remotes {
            let measured = remote.measure_clock();
            match measured.and_then(|()| remote.finish()) {
                Ok((finished, offset)) => {
                    gathered.cpu_secs += finished.cpu_secs;
                    if remote.ready.boot_id == here {
                        gathered.cpu_secs_here += finished.cpu_secs;
                    }
                    match finished.calls {
                        Ok(calls) => gathered.calls.extend(calls.into_iter().map(|c| moved(c, &remote.host, offset))),
                        Err(why) => {
                            first_error.get_or_insert(why);
                        }
                    }
                }
                Err(why) => {
                    first_error.get_or_insert(why);
                }
            }
        }
        match first_error {
            Some(why) => Err(why),
            None => Ok(gathered),
        }
    }
}

/// `call`, witnessed on `host`, with its times moved onto this clock.
fn moved(mut call: Call, host: &str, offset: i128) -> Call {
    let here = |ns: u64| (ns as i128 - offset).max(0) as u64;
    call.host = Some(host.to_string());
    call.start_ns = here(call.start_ns);
    if let Some(end) = call.end.as_mut() {
        end.at_ns = here(end.at_ns);
    }
    call
}

impl Remote {
    fn start(host: &str, me: &Path, args: &[String]) -> Result<Remote, String> {
        let (agent, agent_args) = remote_shell();
        // The remote shell joins its words into one command line for a
        // shell there (ssh does): each word is quoted.
        let mut words = vec![quoted(&me.to_string_lossy()), "relay".to_string()];
        words.extend(args.iter().map(|a| quoted(a)));
        let mut child = Command::new(&agent)
            .args(&agent_args)
            .arg(host)
            .args(&words)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the checker's relay on {host} with {agent}: {e}"))?;
        let stdin = child.stdin.take().expect("piped");
        let lines = lines_of(child.stdout.take().expect("piped"));
        let stderr = child.stderr.take().expect("piped");
        let errors = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut std::io::Read::take(stderr, 64 * 1024), &mut text);
            text
        });
        let ready = match lines.recv_timeout(ANSWER_WITHIN).map(|l| serde_json::from_str::<Said>(&l)) {
            Ok(Ok(Said::Ready(ready))) => ready,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                let said = errors.join().unwrap_or_default();
                let said = said.trim();
                let why = match other {
                    Err(RecvTimeoutError::Timeout) => format!("it did not answer within {ANSWER_WITHIN:?}"),
                    _ if !said.is_empty() => format!("it said: {said}"),
                    _ => "it ended without a word".to_string(),
                };
                return Err(format!(
                    "cannot start the checker's relay on {host} (through `{agent}`): {why}. The checker must be at \
                     the same path on every host, and `{agent} {host}` must log in without a password"
                ));
            }
        };
        Ok(Remote { host: host.to_string(), child, stdin, lines, ready, errors: Some(errors), offsets: Vec::new() })
    }

    /// Asks the relay for its clock a few times: the answer with the
    /// shortest round trip gives the offset, within half that trip.
    fn measure_clock(&mut self) -> Result<(), String> {
        for _ in 0..5 {
            let t0 = parlab::now_ns();
            let said = self.ask("clock")?;
            let t2 = parlab::now_ns();
            let Said::Clock(there) = said else {
                return Err(format!("the checker's relay on {} answered out of turn", self.host));
            };
            let mid = (t0 as i128 + t2 as i128) / 2;
            self.offsets.push((there as i128 - mid, t2 - t0));
        }
        Ok(())
    }

    fn ask(&mut self, what: &str) -> Result<Said, String> {
        let within = if what == "finish" { ANSWER_WITHIN * 4 } else { ANSWER_WITHIN };
        let asked = writeln!(self.stdin, "{what}").and_then(|()| self.stdin.flush());
        let line = match asked.map_err(|e| e.to_string()) {
            Ok(()) => self.lines.recv_timeout(within).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        match line {
            Ok(line) => serde_json::from_str(&line).map_err(|e| self.lost(format!("{e}: {line}"))),
            Err(e) => Err(self.lost(e)),
        }
    }

    /// Why the relay stopped answering, with what it said on stderr.
    fn lost(&mut self, why: String) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let said = self.errors.take().and_then(|t| t.join().ok()).unwrap_or_default();
        let said = said.trim();
        let said = if said.is_empty() { String::new() } else { format!("; it said: {said}") };
        format!("the checker's relay on {} stopped answering ({why}){said}", self.host)
    }

    /// Ends the relay; what it witnessed, and its clock's offset.
    fn finish(&mut self) -> Result<(Finished, i128), String> {
        let said = self.ask("finish");
        let _ = self.child.wait();
        let Said::Finished(finished) = said? else {
            return Err(format!("the checker's relay on {} answered out of turn", self.host));
        };
        let offset = self.offsets.iter().min_by_key(|(_, trip)| *trip).map_or(0, |(o, _)| *o);
        Ok((finished, offset))
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        // Its stdin closes with it: a relay that reads end of file stops
        // what it started. Killed too, if it has not ended.
        if self.child.try_wait().ok().flatten().is_none() {
            std::thread::sleep(Duration::from_millis(50));
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The lines `out` gives, as they come (read on a thread of their own, so
/// that a silent remote shell can be waited for with a limit).
fn lines_of(out: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (send, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    lines
}

/// The remote shell and its own arguments: Open MPI's setting when there
/// is one (`OMPI_MCA_plm_rsh_agent`, as `two-hosts.sh` sets), else ssh.
pub fn remote_shell() -> (String, Vec<String>) {
    let setting = std::env::var("OMPI_MCA_plm_rsh_agent").unwrap_or_default();
    let mut words = setting.split_whitespace().map(String::from);
    match words.next() {
        Some(agent) => (agent, words.collect()),
        None => ("ssh".into(), Vec::new()),
    }
}

/// `word` quoted for a POSIX shell.
pub fn quoted(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// This host's name (its UTS namespace's: each host of the simulated pair has its own).
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|s| s.trim().to_string()).unwrap_or_default()
}

/// This machine's boot id: the same on two hosts that are one machine.
pub fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id").map(|s| s.trim().to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostfile_names_hosts_and_slots() {
        let hosts = parse("# two hosts\n10.0.0.1 slots=2\n\nhost-b   # one slot\n").unwrap();
        assert_eq!(hosts, [("10.0.0.1".to_string(), 2), ("host-b".to_string(), 1)]);
        assert!(parse("only-one slots=4\n").unwrap_err().contains("two hosts"));
        assert!(parse("a slots=x\nb\n").unwrap_err().contains("not a count"));
        assert!(parse("a;rm\nb\n").unwrap_err().contains("not a host name"));
    }

    #[test]
    fn this_machine_is_recognized() {
        assert!(is_this_host("localhost") && is_this_host("127.0.0.1"));
        assert!(!is_this_host("192.0.2.1")); // TEST-NET-1: never an address of ours
    }

    #[test]
    fn words_are_quoted_for_a_shell() {
        let out =
            std::process::Command::new("sh").arg("-c").arg(format!("printf %s {}", quoted("it's a; test"))).output();
        assert_eq!(String::from_utf8_lossy(&out.unwrap().stdout), "it's a; test");
    }

    #[test]
    fn relay_times_move_onto_this_clock() {
        let call = Call {
            pid: 1,
            uid: 0,
            tid: 1,
            session: None,
            parent: None,
            host: None,
            work: crate::witness::Work::Count(0, 1),
            start_ns: 3_600_000_000_100,
            end: None,
            died: false,
        };
        let here = moved(call, "host-b", 3_600_000_000_000);
        assert_eq!((here.start_ns, here.host.as_deref()), (100, Some("host-b")));
    }
}
