//! The crate's modules point one way (DESIGN.md, "The shape of the code"): each top-level module
//! of `src/` sits in a layer and imports only from its own layer or the ones below, and no two
//! modules import each other in a circle. This test reads the source as text (`crate::...`
//! paths outside test code), so a new upward import fails `cargo test`; a planted one shows
//! that it can. `cargo test --test layers -- --nocapture` prints the module graph.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, bottom to top. A module imports only from its own layer or those below.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "leaves",
        &[
            "atomic_file",
            "backend",
            "choice",
            "metric",
            "seeds",
            "text",
        ],
    ),
    ("the sweep file", &["spec"]),
    ("data and training", &["data", "model", "train"]),
    ("search", &["search"]),
    ("the store", &["store"]),
    ("the run folder", &["runs"]),
    ("running", &["orchestrate", "inference"]),
    ("views", &["report", "ui"]),
    ("the command line", &["cli"]),
];

/// Top-level module name => the files of its tree.
fn modules(src: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let mut found: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).expect("under src/");
            let first = relative
                .components()
                .next()
                .expect("a file name")
                .as_os_str()
                .to_string_lossy()
                .into_owned();
            let top = first.strip_suffix(".rs").unwrap_or(&first).to_string();
            if top != "main" && top != "lib" {
                found.entry(top).or_default().push(path);
            }
        }
    }
    found
}

/// `text` without its test code: a `tests.rs` file is all test code; elsewhere every item
/// under a `#[cfg(...test...)]` attribute is cut (a `mod tests;` line or a braced block).
fn without_tests(path: &Path, text: &str) -> String {
    if path.file_name().is_some_and(|n| n == "tests.rs") {
        return String::new();
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = find_test_attribute(rest) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let semicolon = rest.find(';');
        let brace = rest.find('{');
        match (semicolon, brace) {
            (Some(s), Some(b)) if s < b => rest = &rest[s + 1..],
            (_, Some(b)) => rest = &rest[matching_brace(rest, b)..],
            (Some(s), None) => rest = &rest[s + 1..],
            (None, None) => rest = "",
        }
    }
    out.push_str(rest);
    out
}

/// Where the next `#[cfg(...)]` that names `test` starts.
fn find_test_attribute(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find("#[cfg(") {
        let at = from + i;
        let end = text[at..].find(']').map_or(text.len(), |e| at + e);
        let words = &text[at + "#[cfg(".len()..end];
        if words
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .any(|w| w == "test")
        {
            return Some(at);
        }
        from = end;
    }
    None
}

/// The index just past the brace that closes the one at `open`.
fn matching_brace(text: &str, open: usize) -> usize {
    let mut depth = 0usize;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return open + i + 1;
                }
            }
            _ => {}
        }
    }
    text.len()
}

/// The top-level modules `code` names: `crate::x` paths and the heads of `use crate::{...}`
/// groups.
fn referenced(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut from = 0;
    while let Some(i) = code[from..].find("crate::") {
        let at = from + i + "crate::".len();
        from = at;
        let rest = &code[at..];
        if let Some(group) = rest.strip_prefix('{') {
            let close = matching_brace(rest, 0) - 1;
            let mut depth = 0;
            let mut item = String::new();
            for c in group[..close - 1].chars().chain([',']) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.insert(head(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
        } else {
            names.insert(head(rest));
        }
    }
    names.remove("");
    names
}

/// The first path segment of `path`.
fn head(path: &str) -> String {
    path.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Module => the modules it imports (itself left out), from the files on disk, with `planted`
/// (module, line) added to that module's code.
fn graph(src: &Path, planted: Option<(&str, &str)>) -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules(src);
    let mut edges = BTreeMap::new();
    for (module, files) in &modules {
        let mut uses = BTreeSet::new();
        for file in files {
            let text = fs::read_to_string(file).expect("a readable source file");
            uses.extend(referenced(&without_tests(file, &text)));
        }
        if let Some((target, line)) = planted
            && target == module
        {
            uses.extend(referenced(line));
        }
        uses.retain(|u| u != module && modules.contains_key(u));
        edges.insert(module.clone(), uses);
    }
    edges
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, members)| members.contains(&module))
}

/// Everything wrong with the graph's shape: a module in no layer, an import from a higher
/// layer, a cycle.
fn problems(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut found = Vec::new();
    for (module, uses) in edges {
        let Some(mine) = layer_of(module) else {
            found.push(format!(
                "module `{module}` is in no layer: add it to LAYERS in tests/layers.rs"
            ));
            continue;
        };
        for used in uses {
            if let Some(theirs) = layer_of(used)
                && theirs > mine
            {
                found.push(format!(
                    "`{module}` ({}) imports `{used}` ({}), a higher layer",
                    LAYERS[mine].0, LAYERS[theirs].0
                ));
            }
        }
    }
    for cycle in cycles(edges) {
        found.push(format!(
            "modules import each other in a circle: {}",
            cycle.join(", ")
        ));
    }
    found
}

/// The strongly connected components of more than one module (Tarjan's algorithm, written out
/// because a graph crate for a test of twenty nodes is more than it saves).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        for w in s.edges.get(v).into_iter().flatten() {
            if !s.index.contains_key(w.as_str()) {
                visit(s, w);
                let low = s.low[v].min(s.low[w.as_str()]);
                s.low.insert(v, low);
            } else if s.stack.contains(&w.as_str()) {
                let low = s.low[v].min(s.index[w.as_str()]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.found
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn modules_import_only_from_their_layer_or_below() {
    let edges = graph(&src(), None);
    for (i, (name, members)) in LAYERS.iter().enumerate().rev() {
        println!("{i} {name}");
        for member in *members {
            let uses: Vec<&str> = edges
                .get(*member)
                .map(|u| u.iter().map(String::as_str).collect())
                .unwrap_or_default();
            println!("    {member} -> {}", uses.join(", "));
        }
    }
    let problems = problems(&edges);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_planted_upward_import_fails() {
    let planted = graph(&src(), Some(("store", "use crate::report::Params;")));
    let found = problems(&planted);
    assert!(
        found
            .iter()
            .any(|p| p.contains("`store` (the store) imports `report` (views)")),
        "{found:?}"
    );
    // A path in code, not only a `use`, counts; and search already imports spec, so this is
    // also a cycle.
    let inline = graph(&src(), Some(("spec", "let x = crate::search::plan(spec);")));
    let found = problems(&inline);
    assert!(
        found
            .iter()
            .any(|p| p.contains("`spec` (the sweep file) imports `search`")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("modules import each other")),
        "{found:?}"
    );
}

#[test]
fn test_code_and_groups_are_read_as_meant() {
    let code = "use crate::{a::X, b, c::{d, e}};\nfn f() { crate::g::h(); }\n\
                #[cfg(test)]\nmod tests { use crate::z; }\n#[cfg(all(test, feature = \"t\"))]\nmod more;\n";
    let kept = without_tests(Path::new("x.rs"), code);
    let names: Vec<String> = referenced(&kept).into_iter().collect();
    assert_eq!(names, ["a", "b", "c", "g"]);
    assert!(without_tests(Path::new("src/tests.rs"), code).is_empty());
}
