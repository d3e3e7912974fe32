use ioscope::registry::Value;
fn walk(v: &Value, path: &str) {
    match v {
        Value::Raw { text, clipped } => println!(
            "{path}: RAW clipped={clipped} {:?}",
            &text.to_string_lossy().chars().take(150).collect::<String>()
        ),
        Value::Dict(kv) => {
            for (k, v) in kv {
                walk(v, &format!("{path}/{}", k))
            }
        }
        Value::Array(a) | Value::Set(a) => {
            for (i, v) in a.iter().enumerate() {
                walk(v, &format!("{path}[{i}]"))
            }
        }
        _ => {}
    }
}
fn main() {
    let p = std::env::args().nth(1).unwrap();
    let r = ioscope::source::snapshot::load_file(std::path::Path::new(&p)).unwrap();
    for (_, e) in r.entries() {
        for (k, v) in &e.properties {
            walk(v, &format!("{}:{}", e.name, k));
        }
    }
    println!("warnings: {:?}", r.report.warnings);
    println!(
        "trunc: {:?} dialect {:?}",
        r.report.truncated, r.report.dialect
    );
}
