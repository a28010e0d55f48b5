//! How numbers read for a person, the same in the report's table, the
//! page and `list`: money, token counts, durations, shares, todo progress;
//! and how a table's columns share a line ([`layout`]).

pub mod layout;

use crate::document::TodoStats;

/// `$12.34`; below a cent `$0.0042`; from a quadrillion on `$1.798e308`
/// (a sum capped at the largest number has 309 digits).
pub fn money(usd: f64) -> String {
    if usd.abs() >= 1e15 {
        format!("${usd:.3e}")
    } else if usd != 0.0 && usd.abs() < 0.01 {
        format!("${usd:.4}")
    } else {
        format!("${usd:.2}")
    }
}

/// `950`, `12.3K`, `1.2M`, `3.4B`.
pub fn count(n: u64) -> String {
    let f = n as f64;
    if n < 1000 {
        n.to_string()
    } else if n < 1_000_000 {
        format!("{:.1}K", f / 1e3)
    } else if n < 1_000_000_000 {
        format!("{:.1}M", f / 1e6)
    } else {
        format!("{:.1}B", f / 1e9)
    }
}

/// Marks a list price that leaves out replies whose model has none.
pub const UNPRICED: char = '*';

/// A list price: `$1.23`; marked with [`UNPRICED`] when `unpriced` replies
/// had none, `–*` when no reply had one, `–` when the figure is unknown (a
/// deployment that keeps none).
pub fn list_price(usd: Option<f64>, unpriced: u64) -> String {
    match usd {
        Some(c) if unpriced == 0 => money(c),
        Some(c) if c > 0.0 => format!("{}{UNPRICED}", money(c)),
        Some(_) => format!("–{UNPRICED}"),
        None => "–".into(),
    }
}

/// `850ms`, `12.3s`, `4m 05s`, `3h 02m`.
pub fn duration(ms: i64) -> String {
    let ms = ms.max(0);
    let s = ms / 1000;
    if ms < 1000 {
        format!("{ms}ms")
    } else if s < 60 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else if s < 3600 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{}h {:02}m", s / 3600, s / 60 % 60)
    }
}

/// `12.5%`.
pub fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// `3/5`: todos done (completed or cancelled) of all; `-` for none.
pub fn todos(t: &TodoStats) -> String {
    match t.total {
        0 => "-".to_string(),
        n => format!("{}/{n}", t.completed + t.cancelled),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_counts_read_short() {
        assert_eq!(money(12.344), "$12.34");
        assert_eq!(money(0.0), "$0.00");
        assert_eq!(money(0.00421), "$0.0042");
        assert_eq!(money(f64::MAX), "$1.798e308");
        assert_eq!(count(950), "950");
        assert_eq!(count(12_345), "12.3K");
        assert_eq!(count(1_234_567), "1.2M");
        assert_eq!(count(3_400_000_000), "3.4B");
    }

    #[test]
    fn durations_and_rates_read_short() {
        assert_eq!(duration(-5), "0ms");
        assert_eq!(duration(850), "850ms");
        assert_eq!(duration(12_345), "12.3s");
        assert_eq!(duration(245_000), "4m 05s");
        assert_eq!(duration(3 * 3_600_000 + 120_000), "3h 02m");
        assert_eq!(duration(i64::MAX), "2562047788015h 12m");
        assert_eq!(percent(0.125), "12.5%");
    }
}
