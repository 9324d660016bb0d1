//! Which exercises have passed, kept in `<exercises>/.checker-progress.json`
//! with a hash of the solution that passed, so that an unchanged solution is
//! not graded again and a changed one is.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct Progress {
    path: PathBuf,
    passed: BTreeMap<String, String>,
}

impl Progress {
    pub fn load(dir: &Path) -> Progress {
        let path = dir.join(".checker-progress.json");
        let passed =
            std::fs::read_to_string(&path).ok().and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default();
        Progress { path, passed }
    }

    /// Whether `exercise` passed with the source it has now.
    pub fn passed_unchanged(&self, dir: &Path, exercise: &str) -> bool {
        self.passed.get(exercise).is_some_and(|h| Some(h) == source_hash(dir, exercise).as_ref())
    }

    pub fn is_passed(&self, exercise: &str) -> bool {
        self.passed.contains_key(exercise)
    }

    pub fn record(&mut self, dir: &Path, exercise: &str, passed: bool) {
        match (passed, source_hash(dir, exercise)) {
            (true, Some(h)) => {
                self.passed.insert(exercise.into(), h);
            }
            _ => {
                self.passed.remove(exercise);
            }
        }
        // Written beside and renamed over: an interrupted write never leaves half a file.
        let tmp = self.path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(&self.passed).unwrap_or_default();
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, &self.path);
        }
    }
}

fn source_hash(dir: &Path, exercise: &str) -> Option<String> {
    let src = std::fs::read(dir.join(exercise).join("src/main.rs")).ok()?;
    Some(format!("{:x}", Sha256::digest(src)))
}
