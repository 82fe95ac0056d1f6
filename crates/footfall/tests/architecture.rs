//! The layering rules of ARCHITECTURE.md, checked on the source: no import loops between
//! the modules of any crate, and each crate imports only the crates below it.
//!
//! A module's imports are the `crate::` (and `super::` from a crate's top-level files)
//! paths in its code, comments left out. Modules are compared level by level: the
//! top-level modules of a crate (a directory counts as one), then the children of each
//! directory module. A child may use what its parent module itself defines (a `mod.rs`
//! holds what its children share), but nothing may use the crate root's own items: the
//! root only declares modules and re-exports (a re-exported name counts as its module's).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Module path of a source file: `routes/live.rs` -> ["routes", "live"], `lib.rs` -> [].
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "lib" | "main" | "mod") {
        parts.push(stem.to_string());
    }
    parts
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

/// The code of a file without its comments (doc links are not imports).
fn code(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            // Not inside a string: good enough for this code base (no "//" in strings on
            // lines that also import).
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Paths after `prefix` (`crate::`), braces expanded: `crate::{a::b, c}` -> a::b, c.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().last();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        expand(rest, Vec::new(), &mut found);
    }
    found
}

/// Reads one path (or brace group) at the start of `text`, prefixed by `base`.
fn expand(text: &str, base: Vec<String>, found: &mut Vec<Vec<String>>) {
    let mut path = base;
    let mut text = text;
    loop {
        if let Some(group) = text.strip_prefix('{') {
            let mut depth = 1;
            let mut end = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    end = i;
                    break;
                }
            }
            let inner = &group[..end];
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(inner[start..i].trim(), path.clone(), found);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            expand(inner[start..].trim(), path, found);
            return;
        }
        let name: String = text
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            break;
        }
        text = &text[name.len()..];
        path.push(name);
        match text.strip_prefix("::") {
            Some(next) => text = next,
            None => break,
        }
    }
    if !path.is_empty() {
        found.push(path);
    }
}

/// The longest prefix of `path` that names a module of the crate.
fn module_of(path: &[String], modules: &BTreeSet<Vec<String>>) -> Vec<String> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
        .unwrap_or_default()
}

/// Edges between the children of one module: child -> the siblings it imports.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// A cycle in `graph`, if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

/// Every import loop between sibling modules of one crate, and every use of the root's
/// own items; also the module graph (parent -> sibling edges) for the closing notes.
fn check_crate(src: &Path) -> (Vec<String>, BTreeMap<Vec<String>, Graph>) {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_path(src, f)).collect();
    // What the root re-exports (`pub use pool::Store;`): `crate::Store` is pool's.
    let root = ["lib.rs", "main.rs"]
        .iter()
        .map(|f| src.join(f))
        .find(|f| f.exists())
        .unwrap();
    let reexports: BTreeMap<String, Vec<String>> =
        paths_after(&code(&std::fs::read_to_string(&root).unwrap()), "pub use ")
            .into_iter()
            .filter_map(|path| {
                let module = module_of(&path, &modules);
                (!module.is_empty()).then(|| (path.last().unwrap().clone(), module))
            })
            .collect();
    let mut problems = Vec::new();
    // Per parent module: edges between its children.
    let mut graphs: BTreeMap<Vec<String>, Graph> = BTreeMap::new();
    for file in &files {
        let from = module_path(src, file);
        let code = code(&std::fs::read_to_string(file).unwrap());
        let mut targets = paths_after(&code, "crate::");
        // `super::` from a top-level module is the crate root.
        if from.len() == 1 {
            targets.extend(paths_after(&code, "super::"));
        }
        for target in targets {
            let mut to = module_of(&target, &modules);
            if to.is_empty() {
                to = reexports.get(&target[0]).cloned().unwrap_or_default();
            }
            if to.is_empty() {
                if !target.is_empty() && !from.is_empty() {
                    problems.push(format!(
                        "{}: uses the crate root's own item `crate::{}` (the root only declares modules)",
                        from.join("::"),
                        target.join("::")
                    ));
                }
                continue;
            }
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            // Within one module, or up to an ancestor's own items: not an edge.
            if common == from.len() || common == to.len() {
                continue;
            }
            graphs
                .entry(from[..common].to_vec())
                .or_default()
                .entry(from[common].clone())
                .or_default()
                .insert(to[common].clone());
        }
    }
    for (parent, graph) in &graphs {
        if let Some(cycle) = find_cycle(graph) {
            let inside = if parent.is_empty() {
                "the crate".to_string()
            } else {
                parent.join("::")
            };
            problems.push(format!("import loop in {inside}: {}", cycle.join(" -> ")));
        }
    }
    (problems, graphs)
}

#[test]
fn no_module_imports_another_that_imports_it_back() {
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(crates_dir()).unwrap() {
        let src = entry.unwrap().path().join("src");
        if src.is_dir() {
            let name = src
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let (found, _) = check_crate(&src);
            problems.extend(found.into_iter().map(|p| format!("{name}: {p}")));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The crates in layers: each may depend only on crates of lower layers (ARCHITECTURE.md).
#[test]
fn crates_depend_only_on_the_layers_below() {
    let layers: &[(&str, &[&str])] = &[
        ("core", &[]),
        ("source", &["core"]),
        ("detect", &["core"]),
        ("store", &[]),
        ("live", &["core", "source", "detect", "store"]),
        ("server", &["core", "source", "detect", "store", "live"]),
        (
            "footfall",
            &["core", "source", "detect", "store", "live", "server"],
        ),
    ];
    for (name, allowed) in layers {
        let manifest = std::fs::read_to_string(crates_dir().join(name).join("Cargo.toml")).unwrap();
        let used: Vec<&str> = manifest
            .lines()
            .filter_map(|l| l.trim().strip_prefix("footfall-"))
            .map(|l| l.split([' ', '.', '=']).next().unwrap())
            .collect();
        for dependency in used {
            assert!(
                allowed.contains(&dependency),
                "{name} depends on footfall-{dependency}; it may use only {allowed:?}"
            );
        }
    }
}

/// Prints each crate's module graph (`cargo test -p footfall --test architecture --
/// --ignored --nocapture`), as listed in the closing notes of issue 11.
#[test]
#[ignore]
fn print_module_graphs() {
    let mut names: Vec<PathBuf> = std::fs::read_dir(crates_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("src").is_dir())
        .collect();
    names.sort();
    for dir in names {
        let (_, graphs) = check_crate(&dir.join("src"));
        println!("== {}", dir.file_name().unwrap().to_string_lossy());
        for (parent, graph) in graphs {
            let scope = if parent.is_empty() {
                "(top level)".into()
            } else {
                parent.join("::")
            };
            for (from, to) in graph {
                println!(
                    "  {scope}: {from} -> {}",
                    to.into_iter().collect::<Vec<_>>().join(", ")
                );
            }
        }
    }
}
