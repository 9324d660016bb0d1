//! Runs the Python half (`python/bench.py`) with the `python3` on PATH.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// The script, found next to this crate's sources.
fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python").join("bench.py")
}

/// `Some(version)` if `python3` runs here.
pub fn version() -> Option<String> {
    let out = Command::new("python3").arg("--version").output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Runs one case; the script's JSON answer, or what went wrong in words.
pub fn run(case: &str, params: &Value) -> Result<Value, String> {
    let out = Command::new("python3")
        .arg(script())
        .arg(case)
        .arg(params.to_string())
        .output()
        .map_err(|e| format!("could not run python3: {e}"))?;
    if !out.status.success() {
        return Err(format!("python3 bench.py {case} failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("python3 bench.py {case} printed no JSON: {e}"))
}
