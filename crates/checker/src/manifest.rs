//! `exercises/manifest.toml`: the exercises in course order, with their
//! grading rules.

use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    #[serde(rename = "exercise")]
    pub exercises: Vec<Exercise>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    /// Folder name, "NN_words": the number ties it to its chapter and example.
    pub name: String,
    pub title: String,
    pub input: InputKind,
    pub answer: AnswerRule,
    #[serde(rename = "where")]
    pub where_: WhereRule,
    pub overlap: OverlapRule,
    pub speedup: SpeedupRule,
    pub hint: String,
}

/// Which inputs the checker draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Sleeps,
    TwoSleeps,
    Pool,
    Ranges,
    Numbers,
    Fragile,
}

/// How the answer is compared with the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerRule {
    InOrder,
    CompletionOrder,
    Timed,
    Total,
    Survivors,
}

/// Where the tasks must run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhereRule {
    Main,
    OwnProcess,
    Pool,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverlapRule {
    None,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpeedupRule {
    None,
    Ideal,
    Cpus,
    BeatsSequential,
}

impl Exercise {
    /// The cargo package: "ex" + the folder name (a package cannot start with a digit).
    pub fn package(&self) -> String {
        format!("ex{}", self.name)
    }

    /// The two-digit course number.
    pub fn number(&self) -> &str {
        self.name.split('_').next().unwrap_or("")
    }
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Manifest, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let m: Manifest = toml::from_str(&text).map_err(|e| format!("{} is malformed: {e}", path.display()))?;
        if m.exercises.is_empty() {
            return Err(format!("{} lists no exercise", path.display()));
        }
        Ok(m)
    }

    /// Finds an exercise by its full name ("03_two_processes") or its number ("03").
    pub fn find(&self, name: &str) -> Result<&Exercise, String> {
        self.exercises.iter().find(|e| e.name == name || e.number() == name).ok_or_else(|| {
            let names: Vec<&str> = self.exercises.iter().map(|e| e.name.as_str()).collect();
            format!("no exercise called '{name}'; the exercises are: {}", names.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_manifest_loads_and_names_match_folders() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../exercises");
        let m = Manifest::load(&dir.join("manifest.toml")).unwrap();
        for e in &m.exercises {
            assert!(dir.join(&e.name).join("src/main.rs").is_file(), "{} has no crate", e.name);
            assert_eq!(e.number().len(), 2, "{} starts with a two-digit number", e.name);
        }
        assert_eq!(m.find("03").unwrap().name, "03_two_processes");
        assert!(m.find("99").unwrap_err().contains("01_sequential"));
    }

    #[test]
    fn a_malformed_manifest_says_where() {
        let dir = std::env::temp_dir().join(format!("checker-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("manifest.toml");
        std::fs::write(&path, "[[exercise]]\nname = 3\n").unwrap();
        let err = Manifest::load(&path).unwrap_err();
        assert!(err.contains("malformed"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
