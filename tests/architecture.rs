//! The library's layers, checked from its sources: the engine (`src/engine/`) imports nothing
//! of the typed layer above it, no import circle in `src/` joins more than three files, and
//! `unsafe` code lives in one module, which imports nothing of the crate.
//!
//! A file's imports are the modules it names through `crate::` or `super::` paths outside
//! comments and unit tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every module of the crate (`engine::chain`, `deferred`, ...) and the modules it imports.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&src, &mut files);
    let modules: BTreeMap<String, PathBuf> = files
        .into_iter()
        .filter_map(|file| Some((module_of(&src, &file)?, file)))
        .collect();
    modules
        .iter()
        .map(|(module, file)| {
            let text = std::fs::read_to_string(file).expect("a source file reads");
            let code = code_of(&text);
            let mut imported = BTreeSet::new();
            for path in paths_after(&code, "crate::") {
                imported.extend(longest_module(&modules, &path));
            }
            let parent = module.rsplit_once("::").map_or("", |(parent, _)| parent);
            for path in paths_after(&code, "super::") {
                let full = match parent {
                    "" => path,
                    parent => format!("{parent}::{path}"),
                };
                imported.extend(longest_module(&modules, &full));
            }
            // A module's own parent (its `mod.rs`) and itself are not imports.
            imported.retain(|m| m != module && !module.starts_with(&format!("{m}::")));
            (module.clone(), imported)
        })
        .collect()
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ reads") {
        let path = entry.expect("an entry of src/").path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// `src/engine/chain.rs` is `engine::chain`, `src/engine/mod.rs` is `engine`; `lib.rs` is
/// the crate root, which only declares and re-exports.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?.with_extension("");
    let parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    match parts.as_slice() {
        [only] if only == "lib" => None,
        [parents @ .., last] if last == "mod" => Some(parents.join("::")),
        parts => Some(parts.join("::")),
    }
}

/// The text without comments and without the unit tests at the end of the file.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths that follow each `prefix` (`crate::engine::chain::Chain` gives
/// `engine::chain::Chain`); a `{` ends one, so grouped imports count by their common part.
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    code.match_indices(prefix)
        .filter(|(at, _)| {
            // `crate::` inside a longer name (`deferreds_crate::`) is not this crate.
            !code[..*at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .map(|(at, _)| {
            code[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect::<String>()
                .trim_end_matches(':')
                .to_owned()
        })
        .collect()
}

/// The longest prefix of `path` that names a module.
fn longest_module(modules: &BTreeMap<String, PathBuf>, path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|candidate| modules.contains_key(candidate))
}

/// The strongly connected components with more than one module: the import circles.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    // Two modules share a circle when each reaches the other.
    let reach = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(module) = stack.pop() {
            for next in graph.get(&module).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|module| (module, reach(module))).collect();
    let mut found: Vec<BTreeSet<String>> = Vec::new();
    for (module, reaches) in &reached {
        let circle: BTreeSet<String> = reaches
            .iter()
            .filter(|other| reached[other].contains(*module))
            .cloned()
            .collect();
        if circle.len() > 1 && !found.contains(&circle) {
            found.push(circle);
        }
    }
    found
}

#[test]
fn the_engine_imports_nothing_of_the_typed_layer() {
    let graph = imports();
    assert!(
        graph.contains_key("engine::chain"),
        "the engine is where it was"
    );
    let foundation = ["debug", "errors", "failure", "guard", "unhandled"];
    for (module, imported) in graph.iter().filter(|(m, _)| m.starts_with("engine")) {
        for import in imported {
            assert!(
                import.starts_with("engine") || foundation.contains(&import.as_str()),
                "{module} imports {import}, which is above the engine"
            );
        }
    }
}

#[test]
fn no_import_circle_joins_more_than_three_files() {
    let graph = imports();
    for circle in circles(&graph) {
        assert!(circle.len() <= 3, "an import circle of {circle:?}");
    }
}

/// Does `code` use the `unsafe` keyword (not merely a name containing it, as
/// `unsafe_code`)?
fn uses_unsafe(code: &str) -> bool {
    let is_name_char = |c: char| c.is_alphanumeric() || c == '_';
    code.match_indices("unsafe").any(|(at, word)| {
        let before = code[..at].chars().next_back();
        let after = code[at + word.len()..].chars().next();
        !before.is_some_and(is_name_char) && !after.is_some_and(is_name_char)
    })
}

#[test]
fn unsafe_code_lives_in_one_module_that_imports_nothing_of_the_crate() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&src, &mut files);
    let mut allowed = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a source file reads");
        let module = module_of(&src, file).unwrap_or_default();
        assert_eq!(
            uses_unsafe(&code_of(&text)),
            module == "engine::packed",
            "{module}: `unsafe` is for engine::packed alone"
        );
        allowed.extend(
            text.match_indices("allow(unsafe_code)")
                .map(|_| module.clone()),
        );
    }
    assert_eq!(
        allowed,
        ["engine"],
        "only the engine allows unsafe code, for one module"
    );
    assert!(imports()["engine::packed"].is_empty());
    assert!(uses_unsafe("unsafe { x }") && !uses_unsafe("forbid(unsafe_code)"));
}

/// The checker sees circles (so the test above means something).
#[test]
fn a_circle_is_seen() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a", "d"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(m, to)| (m.to_owned(), to.into_iter().map(str::to_owned).collect()))
    .collect();
    let found = circles(&graph);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].len(), 3);
    // And the crate's own imports are read: the typed layer imports the engine.
    assert!(imports()["deferred"].contains("engine"));
}
