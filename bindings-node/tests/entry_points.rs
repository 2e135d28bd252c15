//! Two rules every `#[napi]` entry point of the binding follows, checked by reading its sources:
//!
//! - **No Rust panic crosses into Node.** napi-rs settles a panicking `async fn`'s Promise as
//!   rejected by itself, but a synchronous function or method (constructors, getters, factories
//!   like `client.lock()`, the simulator's fast paths) unwinds into N-API — the process aborts —
//!   unless its attribute asks for `catch_unwind` (then the panic becomes a JavaScript exception).
//! - **Arguments are type-checked** (`strict`): without it napi-rs reads an options object's
//!   fields from whatever it is given, so `client.lock('x', 5000)` would quietly mean "no
//!   options". The raw command methods are exempt: they read each argument with one type check
//!   of their own (src/convert.rs), on the hottest path there is.

use std::fs;
use std::path::Path;

/// The raw command entry points, which check their arguments themselves.
const OWN_CHECKS: [&str; 5] = ["execute", "execute_short", "execute_buffer", "execute_many", "execute_laid_out"];

/// One `#[napi…]` function or method: its line, its attribute (gathered onto one line), whether
/// it is `async`, its name and the item's first line.
struct EntryPoint {
    line: usize,
    attr: String,
    is_async: bool,
    name: String,
    item: String,
}

/// The `#[napi…]` attributes directly on a `pub fn` or `pub async fn` in `source`.
fn entry_points(source: &str) -> Vec<EntryPoint> {
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
        let (is_async, rest) = match (item.strip_prefix("pub async fn "), item.strip_prefix("pub fn ")) {
            (Some(rest), _) => (true, rest),
            (None, Some(rest)) => (false, rest),
            (None, None) => {
                i = j;
                continue;
            }
        };
        let name = rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or_default().to_string();
        found.push(EntryPoint { line: j + 1, attr, is_async, name, item: item.to_string() });
        i = j;
    }
    found
}

/// What breaks the two rules in `source`, one line each.
fn breaches(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in entry_points(source) {
        if !e.is_async && !e.attr.contains("catch_unwind") {
            out.push(format!("{}: {} — synchronous without catch_unwind", e.line, e.item));
        }
        if !e.attr.contains("strict") && !OWN_CHECKS.contains(&e.name.as_str()) {
            out.push(format!("{}: {} — arguments not checked (strict)", e.line, e.item));
        }
    }
    out
}

#[test]
fn every_entry_point_catches_panics_and_checks_its_arguments() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut files = 0;
    for entry in fs::read_dir(&src).expect("the binding's sources") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            files += 1;
            let text = fs::read_to_string(&path).expect("a readable source");
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            found.extend(breaches(&text).into_iter().map(|b| format!("{name}:{b}")));
        }
    }
    assert!(files > 10, "read only {files} files from {}", src.display());
    assert!(found.is_empty(), "#[napi] entry points breaking the rules:\n{}", found.join("\n"));
}

#[test]
fn the_check_sees_what_it_should() {
    let source = "#[napi]\npub fn bare() {}\n#[napi(strict, getter, catch_unwind)]\npub fn guarded() {}\n\
                  #[napi(\n    strict,\n    ts_return_type = \"X\"\n)]\npub fn multi() {}\n#[napi]\npub async fn later() {}\n\
                  #[napi(catch_unwind)]\npub fn execute() {}\n";
    assert_eq!(
        breaches(source),
        [
            "2: pub fn bare() {} — synchronous without catch_unwind",
            "2: pub fn bare() {} — arguments not checked (strict)",
            "9: pub fn multi() {} — synchronous without catch_unwind",
            "11: pub async fn later() {} — arguments not checked (strict)",
        ]
    );
}
