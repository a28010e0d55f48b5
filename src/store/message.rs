//! Reading one message's metadata, whichever store it comes from: the
//! one-pass reader ([`super::fast`]) where it answers, serde_json where it
//! does not. This module alone decides which runs, so the readers and the
//! model they fill depend on nothing above them.

use super::fast;
use super::model::MessageMeta;
use crate::error::Warning;

/// Which parts of a session to load besides the message metadata.
#[derive(Debug, Clone, Copy, Default)]
pub struct Want {
    /// Keep each message's raw JSON and its parts (for `messagesJson`).
    pub transcript: bool,
}

/// Called for each message of a session, in the order opencode created them
/// (`time.created`, then id), with the message's `{"info", "parts"}`
/// transcript entry when [`Want::transcript`] asked for it.
pub type Visit<'f> = dyn FnMut(&MessageMeta<'_>, Option<serde_json::Value>) + 'f;

/// Read a message's metadata from its JSON text and hand it to `visit`:
/// in one pass where the text has the shape opencode writes, else by
/// serde_json (with the same result). A cost or time no sum can use is
/// left out first; the answer then says what was left out and why.
pub fn read<'a>(
    text: &'a str,
    visit: impl FnOnce(&MessageMeta<'a>),
) -> serde_json::Result<Option<String>> {
    let mut m = MessageMeta::default();
    if !fast::read(text, &mut m) {
        m = serde_json::from_str(text)?;
    }
    let odd = m.leave_out_odd_numbers();
    visit(&m);
    Ok(odd)
}

/// The warning about a message whose cost or times were left out.
pub fn odd_numbers(session: &str, message: &str, odd: &str) -> Warning {
    Warning::about(format_args!("session {session}, message {message}"), odd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_and_times_no_sum_can_use_are_left_out_with_what_and_why() {
        let read = |json: &str| {
            let mut seen = (f64::NAN, None, None);
            let odd = read(json, |m| {
                seen = (
                    m.cost,
                    m.created(),
                    m.time.as_ref().and_then(|t| t.completed),
                )
            })
            .unwrap();
            (seen, odd.unwrap_or_default())
        };
        let (seen, odd) = read(r#"{"cost":0.5,"time":{"created":5,"completed":7}}"#);
        assert_eq!((seen, odd.as_str()), ((0.5, Some(5), Some(7)), ""));
        for (json, why) in [
            (r#"{"cost":"0.5","time":{"created":5}}"#, "not a number"),
            (r#"{"cost":{"usd":1},"time":{"created":5}}"#, "not a number"),
            (r#"{"cost":true,"time":{"created":5}}"#, "not a number"),
            (r#"{"cost":-0.5,"time":{"created":5}}"#, "-0.5 is negative"),
        ] {
            let (seen, odd) = read(json);
            assert_eq!(seen.0, 0.0, "{json}");
            assert!(odd.contains(why) && !odd.contains(';'), "{json}: {odd}");
        }
        for (json, why) in [
            (r#"{"time":{"completed":7}}"#, "no time.created"),
            (r#"{"role":"user"}"#, "no time.created"),
            (r#"{"time":{"created":"5"}}"#, "no time.created"),
            (
                r#"{"time":{"created":9000000000000000,"completed":9000000000000001}}"#,
                "time.created 9000000000000000 is out of range",
            ),
            (r#"{"time":{"created":-9000000000000000}}"#, "out of range"),
        ] {
            let (seen, odd) = read(json);
            assert_eq!(seen.1, None, "{json}");
            assert!(odd.contains(why), "{json}: {odd}");
        }
        let (seen, odd) = read(r#"{"cost":-1,"time":{"created":5,"completed":9e18}}"#);
        assert_eq!(seen, (0.0, Some(5), None));
        assert!(
            odd.contains("counts as 0; its time.completed"),
            "one line: {odd}"
        );
    }
}
