//! Starters, derived from the reference solutions embedded in the checker.
//!
//! A solution marks where the learner's part begins with a `// TODO: ...`
//! comment inside `solve`; its starter is the same file with everything from
//! that comment to the end of `solve` replaced by `todo!("TODO: ...")`, and a
//! line that quiets the warnings about names the starter leaves unused. So
//! all that lies outside the learner's part cannot drift between the two.

const SOLUTIONS: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/solutions.rs"));

const ALLOW_UNUSED: &str = "#![allow(unused)] // The starter leaves names unused; delete this line when you are done.";

/// The reference solution of `exercise`, as embedded.
pub fn solution(exercise: &str) -> Option<&'static str> {
    SOLUTIONS.iter().find(|(name, _)| *name == exercise).map(|(_, text)| *text)
}

/// Every exercise that has a solution, in course order.
#[cfg(test)]
pub fn names() -> impl Iterator<Item = &'static str> {
    SOLUTIONS.iter().map(|(name, _)| *name)
}

/// The starter of `exercise`.
pub fn starter(exercise: &str) -> Result<String, String> {
    let text = solution(exercise).ok_or_else(|| format!("the checker has no solution for {exercise}"))?;
    derive(text).ok_or_else(|| format!("the solution of {exercise} has no `// TODO:` line inside `fn solve`"))
}

/// The starter of a solution: see the module's documentation.
pub fn derive(solution: &str) -> Option<String> {
    let lines: Vec<&str> = solution.lines().collect();
    let solve = lines.iter().position(|l| l.starts_with("fn solve"))?;
    let todo = solve + lines[solve..].iter().position(|l| l.trim_start().starts_with("// TODO:"))?;
    let end = todo + lines[todo..].iter().position(|l| *l == "}")?;
    let header = lines.iter().take_while(|l| l.starts_with("//!")).count();
    let indent = &lines[todo][..lines[todo].len() - lines[todo].trim_start().len()];
    let what = lines[todo].trim_start().trim_start_matches("// ");
    let mut out: Vec<String> = Vec::new();
    out.extend(lines[..header].iter().map(|l| l.to_string()));
    out.push(ALLOW_UNUSED.to_string());
    out.extend(lines[header..todo].iter().map(|l| l.to_string()));
    out.push(format!("{indent}todo!({what:?})"));
    out.extend(lines[end..].iter().map(|l| l.to_string()));
    Some(out.join("\n") + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_starter_keeps_all_but_the_learners_part() {
        let solution = "//! Exercise 99.\n\nuse x::y;\n\nfn solve(a: u32) -> u32 {\n    let b = a;\n    // TODO: add one\n    b + 1\n}\n\nfn main() {}\n";
        let starter = derive(solution).unwrap();
        assert_eq!(
            starter,
            format!(
                "//! Exercise 99.\n{ALLOW_UNUSED}\n\nuse x::y;\n\nfn solve(a: u32) -> u32 {{\n    let b = a;\n    todo!(\"TODO: add one\")\n}}\n\nfn main() {{}}\n"
            )
        );
    }

    /// Hints match their starter: every name a hint shows in backticks is in
    /// the starter or the solution, and every line of its code is in the
    /// solution (so the code compiles where the learner puts it).
    #[test]
    fn hints_name_only_what_the_starter_and_solution_have() {
        let manifest = crate::manifest::Manifest::embedded().unwrap();
        for ex in &manifest.exercises {
            let (starter, solution) = (starter(&ex.name).unwrap(), solution(&ex.name).unwrap());
            let quoted = ex.hint.split('`').skip(1).step_by(2);
            for name in quoted.flat_map(|q| q.split(|c: char| !(c.is_alphanumeric() || c == '_'))) {
                let word = |text: &str| text.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|w| w == name);
                assert!(
                    name.is_empty() || word(&starter) || word(solution),
                    "{}: the hint names `{name}`, which neither the starter nor the solution has",
                    ex.name
                );
            }
            assert!(!ex.hint_code.trim().is_empty(), "{}: no code hint", ex.name);
            for line in ex.hint_code.trim().lines() {
                assert!(
                    solution.contains(line.trim()),
                    "{}: the code hint's line `{line}` is not in the solution",
                    ex.name
                );
            }
        }
    }

    #[test]
    fn every_embedded_solution_has_a_starter() {
        assert!(names().count() >= 8);
        for name in names() {
            let starter = starter(name).unwrap();
            assert!(starter.contains("todo!(\"TODO: "), "{name}");
        }
    }
}
