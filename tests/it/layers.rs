//! The layers point one way (ui → app → census → formats and kernel → values → registry): no
//! module of the library names a module of a layer above its own. The binary's `commands/`
//! sit above them all (a separate crate: the library cannot name them).

use std::path::Path;

/// The layer of a top-level module (higher is further from the model).
fn layer(module: &str) -> Option<u8> {
    Some(match module {
        "registry" => 0,
        "values" => 1,
        "formats" | "kernel" => 2,
        "census" => 3,
        "app" => 4,
        "ui" => 5,
        _ => return None,
    })
}

fn visit(dir: &Path, top: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            visit(&path, top, out);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let own = layer(top).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(at) = rest.find("crate::") {
                rest = &rest[at + 7..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if let Some(l) = layer(&name)
                    && l > own
                {
                    out.push(format!(
                        "{}:{}: {top} uses crate::{name}",
                        path.display(),
                        n + 1
                    ));
                }
            }
        }
    }
}

#[test]
fn no_module_uses_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if layer(&name).is_none() {
            continue;
        }
        if path.is_dir() {
            visit(&path, &name, &mut found);
        } else {
            let mut single = Vec::new();
            let dir = tempfile::tempdir().unwrap();
            std::fs::copy(&path, dir.path().join("m.rs")).unwrap();
            visit(dir.path(), &name, &mut single);
            found.extend(single);
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// Every module of the library has a layer in the table above (a new one cannot slip past the
/// check), and the README's module map lists exactly the folders of `src/`.
#[test]
fn every_module_has_a_layer_and_a_line_in_the_readme() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let map_start = readme.find("```\nsrc/\n").expect("README: the module map");
    let map = &readme[map_start + 4..];
    let map = &map[..map.find("```").unwrap()];
    let listed: Vec<&str> = map
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root.join("src")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" {
            continue;
        }
        assert!(
            name == "main" || name == "commands" || layer(&name).is_some(),
            "src/{name} has no layer in tests/it/layers.rs"
        );
        let shown = if path.is_dir() {
            format!("{name}/")
        } else {
            format!("{name}.rs")
        };
        assert!(
            listed.contains(&shown.as_str()),
            "README module map lacks {shown}: {listed:?}"
        );
        found.push(shown);
    }
    for line in &listed {
        assert!(
            found.iter().any(|f| f == line),
            "README lists {line}, not in src/"
        );
    }
}
