//! The layout docs/architecture.md describes, checked on the sources: within each crate the
//! top-level modules import one another without a cycle (a module that imports another is
//! above it), so a newcomer can read any module knowing only what is below it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The workspace's crates directory.
fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments and its test module (tests may reach anywhere).
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The identifiers that follow `crate::` in `code`, also inside `use crate::{a, b::c}`.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Up to the brace that closes the group (groups nest).
            let mut depth = 0;
            let end = group
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => return true,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    false
                })
                .map_or(group.len(), |(j, _)| j);
            let group = &group[..end];
            let mut depth = 0;
            let mut start = 0;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.insert(ident(group[start..j].trim()));
                        start = j + 1;
                    }
                    _ => {}
                }
            }
            found.insert(ident(group[start..].trim()));
        } else {
            found.insert(ident(rest));
        }
    }
    found
}

/// Each top-level module of a crate and the top-level modules it imports.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|f| {
            let first = f.strip_prefix(src).ok()?.components().next()?;
            let name = first.as_os_str().to_str()?.trim_end_matches(".rs");
            (!matches!(name, "lib" | "main")).then(|| name.to_string())
        })
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let first = file.strip_prefix(src).unwrap().components().next().unwrap();
        let module = first.as_os_str().to_str().unwrap().trim_end_matches(".rs");
        if matches!(module, "lib" | "main") {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let used = crate_paths(&code(&text));
        graph.entry(module.to_string()).or_default().extend(
            used.into_iter()
                .filter(|m| m != module && modules.contains(m)),
        );
    }
    graph
}

/// A cycle in `graph`, if there is one, as the modules along it.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|start| visit(start, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_crate_has_an_import_cycle_between_its_modules() {
    let mut checked = 0;
    for entry in std::fs::read_dir(crates_dir()).unwrap() {
        let src = entry.unwrap().path().join("src");
        if !src.is_dir() {
            continue;
        }
        let graph = imports(&src);
        if let Some(found) = cycle(&graph) {
            panic!(
                "{}: the modules import one another in a circle: {}",
                src.display(),
                found.join(" -> ")
            );
        }
        checked += graph.len();
    }
    assert!(checked > 50, "only {checked} modules were read");
}

#[test]
fn the_check_finds_a_cycle_when_there_is_one() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    assert_eq!(
        crate_paths(
            "use crate::{auth::{CurrentStaff, x}, error::AppError};\nlet a = crate::sla::f();"
        ),
        ["auth", "error", "sla"]
            .into_iter()
            .map(String::from)
            .collect()
    );
    assert_eq!(
        code("use crate::a; // crate::b\n#[cfg(test)]\nuse crate::c;"),
        "use crate::a; "
    );
}

/// Files longer than [`LONG`] lines of code (tests not counted), each with why it is one: one
/// idea that is long, or a split not yet made (docs/architecture.md, "Not yet"). A file that
/// grows past the limit must be cut by idea, or added here with its reason.
const LONG_FILES: &[(&str, &str)] = &[
    (
        "domain/src/aggregate.rs",
        "one idea: the complaint aggregate and its rules",
    ),
    (
        "domain/src/sla/state.rs",
        "one idea: a complaint's clocks moving",
    ),
    (
        "notify/src/sender.rs",
        "one idea: the mailer claiming, delivering and recording",
    ),
    (
        "intake/src/ingest.rs",
        "one idea: one message in, exactly once",
    ),
    (
        "web/src/complaints/timeline.rs",
        "one idea: the staff timeline's entries",
    ),
    ("redress/src/demo.rs", "one idea: the demo data"),
    (
        "redress/src/settings.rs",
        "one idea: every setting, documented in one table, and read into one struct",
    ),
];

/// Lines of code a file may have before it must say why it is one room.
const LONG: usize = 600;

#[test]
fn a_file_over_six_hundred_lines_is_one_idea_or_a_split_not_yet_made() {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(crates_dir()).unwrap() {
        let src = entry.unwrap().path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    let root = crates_dir().canonicalize().unwrap();
    let mut long = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let lines = code.lines().count();
        let name = file
            .canonicalize()
            .unwrap()
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let listed = LONG_FILES.iter().any(|(path, _)| *path == name);
        if lines > LONG && !listed {
            long.push(format!("{name} ({lines} lines)"));
        }
    }
    assert!(
        long.is_empty(),
        "cut these by idea, or list them in LONG_FILES with why they are one: {}",
        long.join(", ")
    );
    // The list stays true: each file on it is there and still long.
    for (path, why) in LONG_FILES {
        let text = std::fs::read_to_string(root.join(path))
            .unwrap_or_else(|e| panic!("LONG_FILES names {path} ({why}): {e}"));
        let lines = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .lines()
            .count();
        assert!(
            lines > LONG,
            "{path} is {lines} lines now: take it off LONG_FILES"
        );
    }
}
