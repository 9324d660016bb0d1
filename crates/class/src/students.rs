//! Which folders are students' repositories, and what each student is called.

use std::path::{Path, PathBuf};

/// One student's work: the exercises folder of their repository.
#[derive(Debug, Clone)]
pub struct Student {
    /// The repository folder's name.
    pub name: String,
    pub exercises: PathBuf,
}

/// Each path is a repository (a course clone, or its exercises folder), or
/// a folder whose sub-folders are; students come sorted by name. Sub-folders
/// that are no repository are said on stderr, so that no student goes
/// missing without a word.
pub fn find(paths: &[PathBuf]) -> Result<Vec<Student>, String> {
    let mut found = Vec::new();
    for path in paths {
        if let Some(student) = repository(path) {
            found.push(student);
            continue;
        }
        let entries = std::fs::read_dir(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut inside = Vec::new();
        for entry in entries.filter_map(Result::ok).filter(|e| e.path().is_dir()) {
            match repository(&entry.path()) {
                Some(student) => inside.push(student),
                None => eprintln!(
                    "skipped {}: it has no exercises/ folder (or it is a link), so it is no student's repository",
                    entry.path().display()
                ),
            }
        }
        if inside.is_empty() {
            return Err(format!(
                "{} is no student's repository (it has no exercises/ folder), and holds none",
                path.display()
            ));
        }
        inside.sort_by(|a, b| a.name.cmp(&b.name));
        found.extend(inside);
    }
    let mut names: Vec<&str> = found.iter().map(|s| s.name.as_str()).collect();
    names.sort();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("two repositories are named {}: a student is known by the folder's name", w[0]));
    }
    Ok(found)
}

/// The student whose repository is `dir`, if it is one: a folder with an
/// `exercises/` folder (its manifest is not read: the course's rules grade),
/// or that folder itself. A link is none: it could name another's work.
fn repository(dir: &Path) -> Option<Student> {
    let real_dir = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_dir());
    let dir = std::path::absolute(dir).ok()?;
    let (root, exercises) = if real_dir(&dir) && real_dir(&dir.join("exercises")) {
        (dir.clone(), dir.join("exercises"))
    } else if real_dir(&dir) && dir.file_name()? == "exercises" {
        (dir.parent()?.to_path_buf(), dir.clone())
    } else {
        return None;
    };
    Some(Student { name: root.file_name()?.to_string_lossy().into_owned(), exercises })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_are_found_by_their_exercises_folder_and_named_by_their_folder() {
        let tmp = tempfile::tempdir().unwrap();
        for name in ["bob", "alice"] {
            std::fs::create_dir_all(tmp.path().join(name).join("exercises")).unwrap();
            std::fs::write(tmp.path().join(name).join("exercises/manifest.toml"), "").unwrap();
        }
        std::fs::create_dir_all(tmp.path().join("notes")).unwrap();
        // Links name no student: they could hand in another's work.
        std::os::unix::fs::symlink(tmp.path().join("alice"), tmp.path().join("eve")).unwrap();
        std::fs::create_dir_all(tmp.path().join("mallory")).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("bob/exercises"), tmp.path().join("mallory/exercises")).unwrap();
        let names: Vec<String> = find(&[tmp.path().into()]).unwrap().into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["alice", "bob"]);
        let one = find(&[tmp.path().join("bob/exercises")]).unwrap();
        assert_eq!(one[0].name, "bob");
        let twice = find(&[tmp.path().join("bob"), tmp.path().join("bob/exercises")]).unwrap_err();
        assert!(twice.contains("two repositories are named bob"), "{twice}");
        let none = find(&[tmp.path().join("notes")]).unwrap_err();
        assert!(none.contains("holds none"), "{none}");
    }
}
