//! Cron expressions for repeatable jobs: a small parser for the classic five fields
//! (`minute hour day-of-month month day-of-week`) and the next-fire computation, in UTC.
//!
//! Why here and not in the scripts: scripts stay deterministic and small, so the queue computes
//! the next fire time in Rust and hands it to the script (see [`crate::patterns::queue`]).
//!
//! Supported syntax per field: `*`, a number, a range `a-b`, a step `*/n`, `a-b/n` or `a/n`
//! (from `a` to the field's maximum), comma-separated lists of these, and names for months
//! (`jan`…`dec`) and weekdays (`sun`…`sat`, case-insensitive). Day of week accepts 0–7 with
//! both 0 and 7 meaning Sunday. As in Vixie cron, when both day of month and day of week are
//! restricted (neither is `*`), a day matches if either matches.
//!
//! ```
//! use redkit::patterns::cron::Cron;
//!
//! let every_weekday_9am = Cron::parse("0 9 * * mon-fri").unwrap();
//! // 2023-11-14 22:13:20 UTC (a Tuesday) → Wednesday 09:00 UTC.
//! assert_eq!(every_weekday_9am.next_after_ms(1_700_000_000_000), Some(1_700_038_800_000));
//! assert!(Cron::parse("61 * * * *").is_err());
//! ```

use crate::error::{Error, ErrorKind, Result};

const MINUTE_MS: u64 = 60_000;
const DAY_MS: u64 = 86_400_000;
/// How far ahead a search goes before declaring that an expression never fires (e.g. 30 Feb):
/// 28 years covers every weekday/leap-year combination.
const SEARCH_DAYS: u64 = 28 * 366;

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// A parsed cron expression (five fields, UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    source: String,
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    days_any: bool,
    weekdays_any: bool,
}

fn invalid(expr: &str, why: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidArgument, format!("invalid cron expression {expr:?}: {why}"))
}

/// One field's bounds and optional names (name `i` stands for `min + i`).
struct FieldSpec {
    what: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const FIELDS: [FieldSpec; 5] = [
    FieldSpec { what: "minute", min: 0, max: 59, names: &[] },
    FieldSpec { what: "hour", min: 0, max: 23, names: &[] },
    FieldSpec { what: "day of month", min: 1, max: 31, names: &[] },
    FieldSpec { what: "month", min: 1, max: 12, names: &MONTHS },
    FieldSpec { what: "day of week", min: 0, max: 7, names: &WEEKDAYS },
];

impl FieldSpec {
    fn value(&self, text: &str) -> std::result::Result<u32, String> {
        let lower = text.to_ascii_lowercase();
        if let Some(i) = self.names.iter().position(|n| *n == lower) {
            return Ok(self.min + i as u32);
        }
        let v: u32 = text.parse().map_err(|_| format!("{} {text:?} is not a number", self.what))?;
        if v < self.min || v > self.max {
            return Err(format!("{} {v} is outside {}-{}", self.what, self.min, self.max));
        }
        Ok(v)
    }

    /// Parses one field into a bit set of allowed values.
    fn parse(&self, field: &str) -> std::result::Result<u64, String> {
        let mut bits = 0u64;
        for item in field.split(',') {
            let (range, step) = match item.split_once('/') {
                Some((r, s)) => {
                    let step: u32 = s.parse().map_err(|_| format!("{} step {s:?} is not a number", self.what))?;
                    if step == 0 {
                        return Err(format!("{} step must be at least 1", self.what));
                    }
                    (r, step)
                }
                None => (item, 1),
            };
            let (lo, hi) = if range == "*" {
                (self.min, self.max)
            } else if let Some((a, b)) = range.split_once('-') {
                let (a, b) = (self.value(a)?, self.value(b)?);
                if a > b {
                    return Err(format!("{} range {a}-{b} runs backwards", self.what));
                }
                (a, b)
            } else {
                let a = self.value(range)?;
                // `a/n` runs from a to the maximum; a bare `a` is just a.
                (a, if item.contains('/') { self.max } else { a })
            };
            let mut v = lo;
            while v <= hi {
                bits |= 1 << v;
                v += step;
            }
        }
        Ok(bits)
    }
}

impl Cron {
    /// Parses a five-field expression. Errors are [`ErrorKind::InvalidArgument`] naming the
    /// offending field.
    pub fn parse(expr: &str) -> Result<Cron> {
        let fields: Vec<&str> = expr.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(invalid(expr, format!("expected 5 fields, found {}", fields.len())));
        }
        let mut sets = [0u64; 5];
        for (i, (spec, text)) in FIELDS.iter().zip(&fields).enumerate() {
            sets[i] = spec.parse(text).map_err(|e| invalid(expr, e))?;
        }
        let mut weekdays = sets[4];
        if weekdays & (1 << 7) != 0 {
            weekdays = (weekdays | 1) & !(1 << 7); // 7 is Sunday too
        }
        Ok(Cron {
            source: expr.to_string(),
            minutes: sets[0],
            hours: sets[1],
            days: sets[2],
            months: sets[3],
            weekdays,
            days_any: fields[2] == "*",
            weekdays_any: fields[4] == "*",
        })
    }

    /// The expression as given.
    pub fn source(&self) -> &str {
        &self.source
    }

    fn day_matches(&self, day: u32, weekday: u32) -> bool {
        let dom = self.days & (1 << day) != 0;
        let dow = self.weekdays & (1 << weekday) != 0;
        match (self.days_any, self.weekdays_any) {
            (false, false) => dom || dow,
            _ => dom && dow,
        }
    }

    /// The first minute of the day at or after `from_minute` (0..1440) that matches, if any.
    fn first_minute(&self, from_minute: u32) -> Option<u32> {
        (from_minute..1440).find(|m| self.hours & (1 << (m / 60)) != 0 && self.minutes & (1 << (m % 60)) != 0)
    }

    /// The first time strictly after `after_ms` (milliseconds since the Unix epoch, UTC) at
    /// which the expression fires, or `None` if it never fires (e.g. `0 0 30 2 *`).
    pub fn next_after_ms(&self, after_ms: u64) -> Option<u64> {
        // The next whole minute strictly after `after_ms`.
        let start = (after_ms / MINUTE_MS + 1) * MINUTE_MS;
        let first_day = start / DAY_MS;
        for day_number in first_day..first_day + SEARCH_DAYS {
            let (_, month, day) = civil_from_days(day_number);
            let weekday = ((day_number + 4) % 7) as u32; // 1970-01-01 was a Thursday
            if self.months & (1 << month) == 0 || !self.day_matches(day, weekday) {
                continue;
            }
            let from = if day_number == first_day { ((start % DAY_MS) / MINUTE_MS) as u32 } else { 0 };
            if let Some(m) = self.first_minute(from) {
                return Some(day_number * DAY_MS + u64::from(m) * MINUTE_MS);
            }
        }
        None
    }
}

/// (year, month 1–12, day 1–31) of a day number since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (i64, u32, u32) {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Milliseconds of a UTC date and time (test helper, inverse of `civil_from_days`).
    fn at(y: i64, mo: u32, d: u32, h: u64, mi: u64) -> u64 {
        let (y2, m2) = if mo <= 2 { (y - 1, mo + 9) } else { (y, mo - 3) };
        let era = y2.div_euclid(400);
        let yoe = y2 - era * 400;
        let doy = (153 * i64::from(m2) + 2) / 5 + i64::from(d) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = (era * 146_097 + doe - 719_468) as u64;
        days * DAY_MS + h * 3_600_000 + mi * MINUTE_MS
    }

    fn next(expr: &str, from: u64) -> Option<u64> {
        Cron::parse(expr).unwrap().next_after_ms(from)
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in [0u64, 59, 60, 365, 11_016, 19_675, 20_000, 60_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(at(y, m, d, 0, 0), days * DAY_MS, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn every_minute_fires_at_the_next_whole_minute_strictly_after() {
        let t = at(2024, 3, 10, 12, 30);
        assert_eq!(next("* * * * *", t), Some(t + MINUTE_MS));
        assert_eq!(next("* * * * *", t + 1), Some(t + MINUTE_MS));
        assert_eq!(next("* * * * *", t - 1), Some(t));
    }

    #[test]
    fn steps_ranges_and_lists() {
        let t = at(2024, 3, 10, 12, 31);
        assert_eq!(next("*/15 * * * *", t), Some(at(2024, 3, 10, 12, 45)));
        assert_eq!(next("0,20,40 * * * *", t), Some(at(2024, 3, 10, 12, 40)));
        assert_eq!(next("10-12 * * * *", t), Some(at(2024, 3, 10, 13, 10)));
        assert_eq!(next("5-50/20 * * * *", t), Some(at(2024, 3, 10, 12, 45)));
        assert_eq!(next("30/10 9 * * *", t), Some(at(2024, 3, 11, 9, 30)));
        assert_eq!(next("0 0 * * *", t), Some(at(2024, 3, 11, 0, 0)));
    }

    #[test]
    fn months_and_weekdays_by_name_and_number() {
        let t = at(2024, 3, 10, 12, 0); // a Sunday
        assert_eq!(next("0 9 * * mon", t), Some(at(2024, 3, 11, 9, 0)));
        assert_eq!(next("0 9 * * 1", t), Some(at(2024, 3, 11, 9, 0)));
        assert_eq!(next("0 9 * * 7", t), Some(at(2024, 3, 17, 9, 0)));
        assert_eq!(next("0 9 * * SUN", t), Some(at(2024, 3, 17, 9, 0)));
        assert_eq!(next("0 0 1 jun *", t), Some(at(2024, 6, 1, 0, 0)));
        assert_eq!(next("0 0 1 Jan-Feb *", t), Some(at(2025, 1, 1, 0, 0)));
        assert_eq!(next("0 12 * * sat,sun", t), Some(at(2024, 3, 16, 12, 0)));
    }

    #[test]
    fn day_of_month_and_weekday_both_restricted_match_either() {
        // The 13th, or any Friday: from Sunday 2024-03-10, Wednesday the 13th comes first.
        let t = at(2024, 3, 10, 12, 0);
        assert_eq!(next("0 0 13 * fri", t), Some(at(2024, 3, 13, 0, 0)));
        assert_eq!(next("0 0 13 * fri", at(2024, 3, 13, 0, 0)), Some(at(2024, 3, 15, 0, 0)));
        // With the weekday unrestricted, only the day of month counts.
        assert_eq!(next("0 0 13 * *", at(2024, 3, 13, 0, 0)), Some(at(2024, 4, 13, 0, 0)));
    }

    #[test]
    fn leap_days_and_days_that_never_come() {
        assert_eq!(next("0 0 29 2 *", at(2024, 3, 1, 0, 0)), Some(at(2028, 2, 29, 0, 0)));
        assert_eq!(next("0 0 31 4 *", at(2024, 3, 1, 0, 0)), None, "April has 30 days");
        assert_eq!(next("0 0 30 2 *", 0), None);
        assert_eq!(next("59 23 31 12 *", at(2024, 12, 31, 23, 59)), Some(at(2025, 12, 31, 23, 59)));
    }

    #[test]
    fn bad_expressions_are_invalid_arguments() {
        for bad in [
            "",
            "* * * *",
            "* * * * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * 13 *",
            "* * * * 8",
            "*/0 * * * *",
            "5-1 * * * *",
            "a * * * *",
            "* * * foo *",
            "1,,2 * * * *",
            "-1 * * * *",
        ] {
            let e = Cron::parse(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidArgument, "{bad:?}");
            assert!(e.message.contains("cron"), "{}", e.message);
        }
    }
}
