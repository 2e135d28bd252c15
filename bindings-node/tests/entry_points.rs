//! No Rust panic may cross into Node: napi-rs settles a panicking `async fn`'s Promise as
//! rejected by itself, but a synchronous `#[napi]` function or method (constructors, getters,
//! factories like `client.lock()`, the simulator's fast paths) unwinds into N-API — the
//! process aborts — unless its attribute asks for `catch_unwind` (then the panic becomes a
//! JavaScript exception). This test reads the binding's sources and names every synchronous
//! entry point that lacks it.

use std::fs;
use std::path::Path;

/// The `#[napi…]` attributes directly on a `pub fn` (not `pub async fn`) in `source`, with the
/// function's line number, that do not say `catch_unwind`.
fn unguarded(source: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = source.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_start();
        if !line.starts_with("#[napi") {
            i += 1;
            continue;
        }
        // The attribute may span lines: gather it up to its closing `]`.
        let mut attr = line.to_string();
        while !attr.trim_end().ends_with(']') && i + 1 < lines.len() {
            i += 1;
            attr.push_str(lines[i].trim());
        }
        // Other attributes may sit between it and the item.
        let mut j = i + 1;
        while j < lines.len() && lines[j].trim_start().starts_with("#[") {
            j += 1;
        }
        let item = lines.get(j).map_or("", |l| l.trim_start());
        if item.starts_with("pub fn ") && !attr.contains("catch_unwind") {
            found.push((j + 1, item.to_string()));
        }
        i = j;
    }
    found
}

#[test]
fn every_synchronous_entry_point_catches_panics() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut missing = Vec::new();
    let mut files = 0;
    for entry in fs::read_dir(&src).expect("the binding's sources") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            files += 1;
            let text = fs::read_to_string(&path).expect("a readable source");
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            missing.extend(unguarded(&text).into_iter().map(|(line, item)| format!("{name}:{line}: {item}")));
        }
    }
    assert!(files > 10, "read only {files} files from {}", src.display());
    assert!(missing.is_empty(), "synchronous #[napi] entry points without catch_unwind:\n{}", missing.join("\n"));
}

#[test]
fn the_check_sees_what_it_should() {
    let source = "#[napi]\npub fn bare() {}\n#[napi(getter, catch_unwind)]\npub fn guarded() {}\n\
                  #[napi(\n    ts_return_type = \"X\"\n)]\npub fn multi() {}\n#[napi]\npub async fn later() {}\n";
    let names: Vec<String> = unguarded(source).into_iter().map(|(_, item)| item).collect();
    assert_eq!(names, ["pub fn bare() {}", "pub fn multi() {}"]);
}
