//! The layers point one way (edge → drawing → state → sources and formats → model): no
//! module of `src/` names a module of a layer above its own.

use std::path::Path;

/// The layer of a top-level module (higher is further from the model).
fn layer(module: &str) -> Option<u8> {
    Some(match module {
        "registry" => 0,
        "values" | "source" | "dump" | "stats" => 1,
        "app" | "census" => 2,
        "ui" => 3,
        "cli" => 4,
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
