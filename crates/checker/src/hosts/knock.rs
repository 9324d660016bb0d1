//! `checker knock`: the remote shell `mpirun` is given under `--hosts`.
//!
//! Open MPI starts its daemon on another host as `AGENT HOST COMMAND...`,
//! the words of COMMAND to be joined into one line for a shell there (as
//! ssh does). Instead of a login, `knock` hands that line to the checker's
//! relay on HOST ([`super::relay`]), which starts it itself (so that it
//! knows the daemon, and so the ranks), and waits for it to end with its
//! exit code. The relay's door is a Unix socket on HOST: reached directly
//! where this machine sees it (the simulated pair shares one filesystem),
//! else by running `checker knock --door` on HOST through the remote shell.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// Where `host`'s door is, from the doors file the checker wrote.
pub fn door_of(doors: &Path, host: &str) -> Result<PathBuf, String> {
    let text = std::fs::read_to_string(doors).map_err(|e| format!("cannot read {}: {e}", doors.display()))?;
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .find(|(h, _)| *h == host)
        .map(|(_, door)| PathBuf::from(door.trim()))
        .ok_or_else(|| format!("no relay of the checker's runs on {host} (not in {})", doors.display()))
}

/// Knocks at `door` (on `host`, through the remote shell, when it is not
/// here) for `words`; the daemon's exit code.
pub fn main(door: &Path, host: Option<&str>, words: &[String]) -> i32 {
    let line = words.join(" ");
    let outcome = match host {
        Some(host) if !door.exists() => through_remote_shell(host, door, words),
        _ => knock(door, &line),
    };
    match outcome {
        Ok(code) => code,
        Err(why) => {
            eprintln!("checker knock: {why}");
            let _ = std::io::stderr().flush();
            1
        }
    }
}

fn knock(door: &Path, line: &str) -> Result<i32, String> {
    use nix::sys::socket::{AddressFamily, MsgFlags, SockFlag, SockType, UnixAddr, connect, recv, send, socket};
    let fd = socket(AddressFamily::Unix, SockType::SeqPacket, SockFlag::SOCK_CLOEXEC, None)
        .map_err(|e| format!("no socket: {e}"))?;
    let addr = UnixAddr::new(door).map_err(|e| format!("{}: {e}", door.display()))?;
    connect(fd.as_raw_fd(), &addr)
        .map_err(|e| format!("the checker's relay at {} does not answer: {e}", door.display()))?;
    let ask = serde_json::json!({ "command": line }).to_string();
    send(fd.as_raw_fd(), ask.as_bytes(), MsgFlags::MSG_NOSIGNAL).map_err(|e| format!("cannot knock: {e}"))?;
    let mut buf = [0u8; 4096];
    // The answer comes when the daemon has ended.
    let n = loop {
        match recv(fd.as_raw_fd(), &mut buf, MsgFlags::empty()) {
            Err(nix::errno::Errno::EINTR) => continue,
            other => break other.map_err(|e| format!("the checker's relay went away: {e}"))?,
        }
    };
    let v: serde_json::Value = serde_json::from_slice(&buf[..n])
        .map_err(|_| "the checker's relay went away before the daemon ended".to_string())?;
    if let Some(why) = v.get("error").and_then(serde_json::Value::as_str) {
        return Err(format!("the checker's relay refused: {why}"));
    }
    v.get("code")
        .and_then(serde_json::Value::as_i64)
        .map(|c| c as i32)
        .ok_or_else(|| format!("an answer without a code: {v}"))
}

/// On a real cluster: `knock --door` run on `host` itself.
fn through_remote_shell(host: &str, door: &Path, words: &[String]) -> Result<i32, String> {
    let me = std::env::current_exe().map_err(|e| format!("cannot find the checker itself: {e}"))?;
    let (agent, agent_args) = super::remote_shell();
    let mut remote = vec![super::quoted(&me.to_string_lossy()), "knock".into(), "--door".into()];
    remote.push(super::quoted(&door.to_string_lossy()));
    remote.extend(words.iter().map(|w| super::quoted(w)));
    let status = std::process::Command::new(&agent)
        .args(&agent_args)
        .arg(host)
        .args(&remote)
        .status()
        .map_err(|e| format!("cannot run {agent}: {e}"))?;
    Ok(status.code().unwrap_or(1))
}
