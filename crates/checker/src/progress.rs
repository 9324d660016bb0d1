//! Which exercises have passed, kept in `<exercises>/.checker-progress.json`
//! with a hash of each source that passed, so that an unchanged solution is
//! not graded again, a changed one is, and a solution put back as it was
//! after trying a variant still counts as passed. The file is the learner's
//! own convenience: it lives in the repository, so a classroom's grading
//! (`--json`) never skips an exercise on its word.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Sources remembered per exercise, newest last.
const KEPT: usize = 16;

pub struct Progress {
    path: PathBuf,
    passed: BTreeMap<String, Vec<String>>,
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
        let Some(now) = source_hash(dir, exercise) else { return false };
        self.passed.get(exercise).is_some_and(|hashes| hashes.contains(&now))
    }

    pub fn is_passed(&self, exercise: &str) -> bool {
        self.passed.get(exercise).is_some_and(|h| !h.is_empty())
    }

    /// Keeps the verdict on the exercise's present source: a pass adds it,
    /// any other verdict forgets it (other sources that passed stay).
    pub fn record(&mut self, dir: &Path, exercise: &str, passed: bool) {
        let Some(now) = source_hash(dir, exercise) else { return };
        let hashes = self.passed.entry(exercise.into()).or_default();
        hashes.retain(|h| *h != now);
        if passed {
            hashes.push(now);
            let extra = hashes.len().saturating_sub(KEPT);
            hashes.drain(..extra);
        }
        if hashes.is_empty() {
            self.passed.remove(exercise);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_survives_a_variant_tried_and_undone() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("01_x/src/main.rs");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, "good").unwrap();
        let mut p = Progress::load(dir.path());
        p.record(dir.path(), "01_x", true);
        std::fs::write(&file, "variant").unwrap();
        p.record(dir.path(), "01_x", false);
        assert!(!p.passed_unchanged(dir.path(), "01_x") && p.is_passed("01_x"));
        std::fs::write(&file, "good").unwrap();
        assert!(Progress::load(dir.path()).passed_unchanged(dir.path(), "01_x"));
        // The same source failing now (a stricter checker) is forgotten.
        p.record(dir.path(), "01_x", false);
        assert!(!Progress::load(dir.path()).is_passed("01_x"));
    }
}
