//! `exercises/manifest.toml`: the exercises in course order, with their
//! grading rules. The checker grades by the manifest it was built with
//! (embedded, as the starters are): the one in the repository being graded
//! only marks the exercises folder, as a student can edit it.

use serde::Deserialize;

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
    /// A nudge in words: `checker hint`.
    pub hint: String,
    /// The key lines of code, given only when asked again: `checker hint --code`.
    pub hint_code: String,
}

/// Which inputs the checker draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Sleeps,
    /// A hundred or more short waits and one long one: all must be in
    /// flight at once to come near the ideal.
    ManyWaits,
    TwoSleeps,
    Pool,
    Ranges,
    Numbers,
    Fragile,
    /// Sleeps and a pool size, to predict the schedule of, not to run.
    Schedule,
    /// A range of numbers to sort into `bucket`s: millions of tiny counts.
    Histogram,
    /// A range whose primes are counted twice: by threads, then by processes.
    Counter,
    /// A range whose primes are counted on MPI ranks, each its part.
    Ranks,
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
    /// A predicted (wall time, worker per task), checked against a pool's schedule.
    Schedule,
}

/// Where the tasks must run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhereRule {
    Main,
    OwnProcess,
    Pool,
    /// Part of the work on threads of the program's own process, part in
    /// child processes (the same count, done both ways).
    ThreadsAndProcesses,
    /// On the ranks of an MPI job, which the checker starts with `mpirun`:
    /// every rank counts a part, in the process `mpirun` started for it.
    Ranks,
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

    /// Refuses rule combinations the checker cannot grade.
    fn validate(&self) -> Result<(), String> {
        use InputKind as I;
        let sleeping = matches!(self.input, I::Sleeps | I::ManyWaits | I::TwoSleeps | I::Pool | I::Fragile);
        let fits = match self.answer {
            AnswerRule::Timed => self.input == I::Sleeps,
            AnswerRule::CompletionOrder => matches!(self.input, I::Pool | I::Sleeps),
            AnswerRule::Survivors => self.input == I::Fragile,
            AnswerRule::Schedule => self.input == I::Schedule,
            AnswerRule::Total => matches!(self.input, I::Ranges | I::Numbers | I::Histogram | I::Counter | I::Ranks),
            AnswerRule::InOrder => matches!(self.input, I::Sleeps | I::ManyWaits | I::TwoSleeps | I::Pool),
        };
        if !fits {
            return Err(format!("answer {:?} cannot be graded on input {:?}", self.answer, self.input));
        }
        if self.speedup == SpeedupRule::Ideal && !sleeping {
            return Err(format!("speedup \"ideal\" needs sleeping tasks, not input {:?}", self.input));
        }
        if self.where_ == WhereRule::Pool && self.input != I::Pool {
            return Err("where \"pool\" needs input \"pool\", which names the pool's size".into());
        }
        if (self.where_ == WhereRule::ThreadsAndProcesses) != (self.input == I::Counter) {
            return Err("where \"threads_and_processes\" goes with input \"counter\", and only with it".into());
        }
        if (self.where_ == WhereRule::Ranks) != (self.input == I::Ranks) {
            return Err("where \"ranks\" goes with input \"ranks\", and only with it".into());
        }
        let n = self.number();
        if n.len() != 2 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err("the name must start with a two-digit number and an underscore".into());
        }
        Ok(())
    }

    /// The two-digit course number.
    pub fn number(&self) -> &str {
        self.name.split('_').next().unwrap_or("")
    }
}

/// The course's manifest, as the checker was built.
const EMBEDDED: &str = include_str!("../../../exercises/manifest.toml");

impl Manifest {
    /// The grading rules the checker was built with.
    pub fn embedded() -> Result<Manifest, String> {
        Manifest::parse(EMBEDDED, "the checker's own manifest")
    }

    /// Reads a manifest's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Manifest, String> {
        let m: Manifest = toml::from_str(text).map_err(|e| format!("{origin} is malformed: {e}"))?;
        if m.exercises.is_empty() {
            return Err(format!("{origin} lists no exercise"));
        }
        for e in &m.exercises {
            e.validate().map_err(|why| format!("{origin}: exercise {}: {why}", e.name))?;
        }
        Ok(m)
    }

    /// Finds an exercise by its full name ("03_two_processes") or its number ("03" or "3").
    pub fn find(&self, name: &str) -> Result<&Exercise, String> {
        let number = name.parse::<u32>().ok();
        let found = self.exercises.iter().find(|e| {
            e.name == name || e.number() == name || (number.is_some() && e.number().parse::<u32>().ok() == number)
        });
        found.ok_or_else(|| {
            let names: Vec<&str> = self.exercises.iter().map(|e| e.name.as_str()).collect();
            format!("no exercise called '{name}'; the exercises are: {}", names.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_embedded_manifest_loads_and_names_match_folders() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../exercises");
        let m = Manifest::embedded().unwrap();
        for e in &m.exercises {
            assert!(dir.join(&e.name).join("src/main.rs").is_file(), "{} has no crate", e.name);
            assert_eq!(e.number().len(), 2, "{} starts with a two-digit number", e.name);
        }
        assert_eq!(m.find("03").unwrap().name, "03_two_processes");
        assert_eq!(m.find("3").unwrap().name, "03_two_processes");
        assert!(m.find("99").unwrap_err().contains("01_sequential"));
    }

    #[test]
    fn a_malformed_manifest_says_where() {
        let err = Manifest::parse("[[exercise]]\nname = 3\n", "m.toml").unwrap_err();
        assert!(err.contains("m.toml is malformed"), "{err}");
        // Well-formed, but a rule the checker cannot honour: named at load.
        let impossible = "[[exercise]]\nname = \"07_x\"\ntitle = \"x\"\ninput = \"ranges\"\nanswer = \"total\"\n\
                          where = \"any\"\noverlap = \"all\"\nspeedup = \"ideal\"\nhint = \"\"\nhint_code = \"\"\n";
        let err = Manifest::parse(impossible, "m.toml").unwrap_err();
        assert!(err.contains("exercise 07_x") && err.contains("sleeping tasks"), "{err}");
    }
}
