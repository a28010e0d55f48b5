//! Parsing the times and durations users type: `7d`, `2026-11-01`, ...

use crate::error::Error;

/// A text that is not a duration.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {0:?} as a duration (like 12h, 7d or 2w)")]
pub struct BadDuration(String);
use jiff::{SignedDuration, Span, SpanRelativeTo, Timestamp, Unit, civil, tz::TimeZone};

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
    parse_time("--since", s, now, &TimeZone::system())
}

/// [`parse_since`] for the option `flag` (named in errors), a date or
/// date-time without offset read in `tz`.
pub fn parse_time(flag: &str, s: &str, now: Timestamp, tz: &TimeZone) -> Result<i64, Error> {
    let t = s.trim();
    if let Some(back) = t.strip_prefix('-') {
        return Err(Error::Usage(format!(
            "{flag} {t}: a duration is already counted back from now; write {back}"
        )));
    }
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    let local = |dt: civil::DateTime| -> Result<i64, Error> {
        tz.to_timestamp(dt)
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

/// Where `--last n` starts: midnight in `tz` at the start of the day, ISO
/// week (Monday) or month `n - 1` of them before the one holding `now`, so
/// the current one is the last of the `n`.
pub fn start_of_last(n: u32, unit: Unit, now: Timestamp, tz: &TimeZone) -> Result<i64, Error> {
    let too_far = || {
        Error::Usage(format!(
            "--last {n}: that reaches past the earliest date there is"
        ))
    };
    let back = i64::from(n.saturating_sub(1));
    let today = now.to_zoned_datetime(tz.clone()).date();
    let start = match unit {
        Unit::Month => Span::new()
            .try_months(back)
            .and_then(|span| today.first_of_month().checked_sub(span)),
        Unit::Week => {
            let monday = i64::from(today.weekday().to_monday_zero_offset());
            Span::new()
                .try_days(monday)
                .and_then(|d| today.checked_sub(d))
                .and_then(|m| Span::new().try_weeks(back).and_then(|w| m.checked_sub(w)))
        }
        _ => Span::new()
            .try_days(back)
            .and_then(|span| today.checked_sub(span)),
    }
    .map_err(|_| too_far())?;
    // Midnight, or the first moment of the day where a change of clocks skips it.
    let zoned = start.to_zoned_datetime(tz.clone()).map_err(|_| too_far())?;
    Ok(zoned.timestamp().as_millisecond())
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

    #[test]
    fn last_starts_at_the_first_of_n_periods_in_the_zone() {
        // A Wednesday, 01:30 in UTC: still Tuesday in New York.
        let now: Timestamp = "2026-11-25T01:30:00Z".parse().unwrap();
        let ms = |s: &str| s.parse::<Timestamp>().unwrap().as_millisecond();
        let utc = TimeZone::UTC;
        let ny = TimeZone::get("America/New_York").unwrap();
        assert_eq!(
            start_of_last(1, Unit::Day, now, &utc).unwrap(),
            ms("2026-11-25T00:00:00Z")
        );
        assert_eq!(
            start_of_last(3, Unit::Day, now, &utc).unwrap(),
            ms("2026-11-23T00:00:00Z")
        );
        assert_eq!(
            start_of_last(1, Unit::Day, now, &ny).unwrap(),
            ms("2026-11-24T05:00:00Z")
        );
        assert_eq!(
            start_of_last(2, Unit::Week, now, &utc).unwrap(),
            ms("2026-11-16T00:00:00Z")
        );
        assert_eq!(
            start_of_last(2, Unit::Month, now, &utc).unwrap(),
            ms("2026-10-01T00:00:00Z")
        );
        let e = start_of_last(u32::MAX, Unit::Day, now, &utc).unwrap_err();
        assert!(e.to_string().contains("--last 4294967295"), "{e}");
    }
}
