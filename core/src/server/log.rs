//! redis-server's log line format (`pid:M 22 Nov 2026 18:29:09.123 * message`), on stderr, so
//! tools and people that read Redis logs read ours.

use std::time::{SystemTime, UNIX_EPOCH};

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Days since 1970-01-01 to (year, month 1-12, day 1-31), proleptic Gregorian (Howard Hinnant's
/// civil_from_days).
fn civil_from_days(days: i64) -> (i64, usize, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month as usize, day)
}

/// The timestamp redis-server prints: `22 Nov 2026 18:29:09.123` (UTC).
pub(crate) fn timestamp(unix_ms: u64) -> String {
    let secs = (unix_ms / 1000) as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{d} {} {y} {:02}:{:02}:{:02}.{:03}", MONTHS[m - 1], s / 3600, s / 60 % 60, s % 60, unix_ms % 1000)
}

/// Writes one log line (`*` notice level) when logging is on.
pub(crate) fn notice(enabled: bool, message: &str) {
    if enabled {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        eprintln!("{}:M {} * {message}", std::process::id(), timestamp(now));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_like_redis() {
        assert_eq!(super::timestamp(0), "1 Jan 1970 00:00:00.000");
        assert_eq!(super::timestamp(1_795_372_149_123), "22 Nov 2026 18:29:09.123");
        assert_eq!(super::timestamp(951_782_400_000), "29 Feb 2000 00:00:00.000");
    }
}
