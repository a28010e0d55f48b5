//! Parsing the times and durations users type: `7d`, `2026-11-01`, ...

use crate::error::Error;

/// A text that is not a duration.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {0:?} as a duration (like 12h, 7d or 2w)")]
pub struct BadDuration(String);
use jiff::{SignedDuration, Span, SpanRelativeTo, Timestamp, civil, tz::TimeZone};

/// A duration such as `90m`, `36h`, `7d`, `2w` or `1 day`. Days are 24 hours.
pub fn parse_duration(s: &str) -> Result<SignedDuration, BadDuration> {
    let bad = || BadDuration(s.to_string());
    let span: Span = s.trim().parse().map_err(|_| bad())?;
    let d = span
        .to_duration(SpanRelativeTo::days_are_24_hours())
        .map_err(|_| bad())?;
    if d.is_negative() {
        return Err(bad());
    }
    Ok(d)
}

/// A duration typed on the command line, for clap's `value_parser`.
pub fn duration_arg(s: &str) -> Result<SignedDuration, String> {
    parse_duration(s).map_err(|e| e.to_string())
}

/// A point in time as epoch milliseconds: a timestamp with offset, a local
/// date or date-time, or a duration back from `now`.
pub fn parse_since(s: &str, now: Timestamp) -> Result<i64, Error> {
    parse_time("--since", s, now)
}

/// [`parse_since`] for the option `flag` (named in errors).
pub fn parse_time(flag: &str, s: &str, now: Timestamp) -> Result<i64, Error> {
    let t = s.trim();
    if let Some(back) = t.strip_prefix('-') {
        return Err(Error::Usage(format!(
            "--since {t}: a duration is already counted back from now; write {back}"
        )));
    }
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    let local = |dt: civil::DateTime| -> Result<i64, Error> {
        TimeZone::system()
            .to_timestamp(dt)
            .map(|ts| ts.as_millisecond())
            .map_err(|e| Error::Usage(format!("{flag}: {s:?}: {e}")))
    };
    if let Ok(dt) = t.parse::<civil::DateTime>() {
        return local(dt);
    }
    if let Ok(d) = t.parse::<civil::Date>() {
        return local(d.to_datetime(civil::Time::midnight()));
    }
    match parse_duration(t) {
        Ok(d) => Ok(now.as_millisecond() - d.as_millis() as i64),
        Err(_) => Err(Error::Usage(format!(
            "{flag}: cannot read {s:?} as a time (like 7d, 2026-11-01 or 2026-11-01T12:00:00Z)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7d").unwrap().as_secs(), 7 * 86400);
        assert_eq!(parse_duration("36h").unwrap().as_secs(), 36 * 3600);
        assert_eq!(parse_duration("2w").unwrap().as_secs(), 14 * 86400);
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-3d").is_err());
    }

    #[test]
    fn since_accepts_timestamps_dates_and_durations() {
        let now: Timestamp = "2026-11-25T00:00:00Z".parse().unwrap();
        let ms = |s: &str| s.parse::<Timestamp>().unwrap().as_millisecond();
        assert_eq!(
            parse_since("2026-11-01T12:00:00Z", now).unwrap(),
            ms("2026-11-01T12:00:00Z")
        );
        assert_eq!(parse_since("1d", now).unwrap(), ms("2026-11-24T00:00:00Z"));
        assert!(parse_since("2026-11-01", now).is_ok());
        let e = parse_since("yesterday-ish", now).unwrap_err().to_string();
        assert!(e.contains("--since"), "{e}");
        let e = parse_since("-3d", now).unwrap_err().to_string();
        assert!(e.contains("write 3d"), "{e}");
    }
}
