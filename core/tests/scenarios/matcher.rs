//! The matching rules of tests/scenarios/README.md: exact scalars and arrays, partial objects,
//! `$` matchers, and `$NAME` references to saved values.

use serde_json::{Map, Value as Json};
use std::collections::HashMap;

/// Saved values by name.
pub type Saved = HashMap<String, Json>;

/// Replaces every `"$NAME"` / `"$NAME.path"` string in `v` by the saved value.
pub fn substitute(v: &Json, saved: &Saved) -> Result<Json, String> {
    Ok(match v {
        Json::String(s) if s.starts_with('$') && s.len() > 1 => lookup(&s[1..], saved)?,
        Json::Array(a) => Json::Array(a.iter().map(|x| substitute(x, saved)).collect::<Result<_, _>>()?),
        Json::Object(o) if is_matcher(o) => {
            // Matchers keep their key; their operand may reference saved values.
            let (k, x) = o.iter().next().map(|(k, x)| (k.clone(), x.clone())).unwrap_or_default();
            let mut m = Map::new();
            m.insert(k, substitute(&x, saved)?);
            Json::Object(m)
        }
        Json::Object(o) => {
            Json::Object(o.iter().map(|(k, x)| Ok((k.clone(), substitute(x, saved)?))).collect::<Result<_, String>>()?)
        }
        other => other.clone(),
    })
}

fn lookup(name: &str, saved: &Saved) -> Result<Json, String> {
    let mut parts = name.split('.');
    let head = parts.next().unwrap_or_default();
    let mut cur = saved.get(head).ok_or_else(|| format!("nothing saved as ${head}"))?.clone();
    for p in parts {
        cur = field(&cur, p).ok_or_else(|| format!("${name}: no field {p}"))?;
    }
    Ok(cur)
}

/// `v.path` where path is dot-separated object fields or array indexes.
pub fn field(v: &Json, path: &str) -> Option<Json> {
    let mut cur = v.clone();
    for p in path.split('.').filter(|p| !p.is_empty()) {
        cur = match &cur {
            Json::Object(o) => o.get(p)?.clone(),
            Json::Array(a) => a.get(p.parse::<usize>().ok()?)?.clone(),
            _ => return None,
        };
    }
    Some(cur)
}

fn is_matcher(o: &Map<String, Json>) -> bool {
    o.len() == 1 && o.keys().next().is_some_and(|k| k.starts_with('$'))
}

fn num(v: &Json) -> Option<f64> {
    v.as_f64()
}

/// Checks `actual` against `expected` (already substituted); `Err` says where and why.
pub fn check(expected: &Json, actual: Option<&Json>, at: &str) -> Result<(), String> {
    let fail = |why: String| Err(format!("{at}: {why}"));
    if let Json::Object(o) = expected {
        if is_matcher(o) {
            let (k, x) = o.iter().next().expect("a matcher has one key");
            if k == "$any" {
                return Ok(());
            }
            let Some(a) = actual else { return fail(format!("missing, expected {expected}")) };
            let ok = match k.as_str() {
                "$range" => {
                    let lo = x.get(0).and_then(num);
                    let hi = x.get(1).and_then(num);
                    matches!((num(a), lo, hi), (Some(v), Some(lo), Some(hi)) if lo <= v && v <= hi)
                }
                "$gt" => matches!((num(a), num(x)), (Some(v), Some(b)) if v > b),
                "$ge" => matches!((num(a), num(x)), (Some(v), Some(b)) if v >= b),
                "$lt" => matches!((num(a), num(x)), (Some(v), Some(b)) if v < b),
                "$ne" => check(x, Some(a), at).is_err(),
                "$type" => {
                    let t = match a {
                        Json::Null => "null",
                        Json::Bool(_) => "bool",
                        Json::Number(_) => "number",
                        Json::String(_) => "string",
                        Json::Array(_) => "array",
                        Json::Object(_) => "object",
                    };
                    x.as_str() == Some(t)
                }
                "$len" => {
                    let n = match a {
                        Json::String(s) => Some(s.chars().count()),
                        Json::Array(v) => Some(v.len()),
                        Json::Object(m) => Some(m.len()),
                        _ => None,
                    };
                    n.is_some() && n.map(|n| n as f64) == num(x)
                }
                "$unordered" => unordered(x, a),
                other => return fail(format!("unknown matcher {other}")),
            };
            return if ok { Ok(()) } else { fail(format!("expected {expected}, got {a}")) };
        }
    }
    let Some(a) = actual else { return fail(format!("missing, expected {expected}")) };
    match (expected, a) {
        (Json::Object(e), Json::Object(o)) => {
            for (k, ev) in e {
                check(ev, o.get(k), &format!("{at}.{k}"))?;
            }
            Ok(())
        }
        (Json::Array(e), Json::Array(v)) => {
            if e.len() != v.len() {
                return fail(format!("expected {} items, got {}: {a}", e.len(), v.len()));
            }
            for (i, (ev, av)) in e.iter().zip(v).enumerate() {
                check(ev, Some(av), &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        (Json::Number(x), Json::Number(y)) if x.as_f64() == y.as_f64() => Ok(()),
        (e, a) if e == a => Ok(()),
        _ => fail(format!("expected {expected}, got {a}")),
    }
}

fn unordered(expected: &Json, actual: &Json) -> bool {
    let (Some(e), Some(a)) = (expected.as_array(), actual.as_array()) else { return false };
    if e.len() != a.len() {
        return false;
    }
    let mut left: Vec<&Json> = a.iter().collect();
    for ev in e {
        match left.iter().position(|av| check(ev, Some(av), "").is_ok()) {
            Some(i) => {
                left.swap_remove(i);
            }
            None => return false,
        }
    }
    true
}
