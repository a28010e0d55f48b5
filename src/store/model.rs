//! The objects read from either store, reduced to what the document needs.
//!
//! Every field but the ids, `role` and `time.created` is optional in old
//! files, so the message metadata is lenient: a missing or odd-typed field
//! reads as absent or zero instead of failing the whole session.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Where a session was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Db,
    Json,
}

/// A session's own record (`session` row or `storage/session/*/<id>.json`).
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub id: String,
    pub project_id: String,
    pub parent_id: Option<String>,
    pub directory: String,
    pub title: String,
    pub version: String,
    pub time_created: i64,
    pub time_updated: i64,
    pub time_archived: Option<i64>,
    pub summary: Option<Summary>,
    pub source: Source,
}

/// opencode's summary of a session's code changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub additions: u64,
    pub deletions: u64,
    pub files: u64,
}

/// One todo item as opencode stored it. `id` exists only in the JSON store.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Todo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub priority: String,
}

/// The fields of a message object that the document is built from,
/// borrowed from the stored JSON text where it has no escapes (reading a
/// message allocates nothing in the common case).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MessageMeta<'a> {
    #[serde(borrow, deserialize_with = "lenient_str")]
    pub role: Option<Cow<'a, str>>,
    #[serde(borrow, deserialize_with = "lenient_str")]
    pub agent: Option<Cow<'a, str>>,
    #[serde(borrow, deserialize_with = "lenient_str")]
    pub mode: Option<Cow<'a, str>>,
    #[serde(rename = "providerID", borrow, deserialize_with = "lenient_str")]
    pub provider_id: Option<Cow<'a, str>>,
    #[serde(rename = "modelID", borrow, deserialize_with = "lenient_str")]
    pub model_id: Option<Cow<'a, str>>,
    #[serde(deserialize_with = "lenient_f64")]
    pub cost: f64,
    #[serde(deserialize_with = "lenient")]
    pub tokens: Option<Tokens>,
    pub error: Option<serde::de::IgnoredAny>,
    #[serde(deserialize_with = "lenient")]
    pub time: Option<MessageTime>,
    /// A user message's summary of the files its turn changed.
    #[serde(borrow, deserialize_with = "lenient")]
    pub summary: Option<MessageSummary<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MessageSummary<'a> {
    #[serde(borrow, deserialize_with = "lenient_vec")]
    pub diffs: Vec<FileDiff<'a>>,
}

/// One file a turn changed (`before`/`after` or `patch` are not needed).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FileDiff<'a> {
    #[serde(borrow, deserialize_with = "lenient_str")]
    pub file: Option<Cow<'a, str>>,
    #[serde(deserialize_with = "lenient_u64")]
    pub additions: u64,
    #[serde(deserialize_with = "lenient_u64")]
    pub deletions: u64,
}

impl MessageMeta<'_> {
    pub fn role(&self) -> &str {
        self.role.as_deref().unwrap_or("")
    }

    /// The agent that wrote or received the message (`agent`, before
    /// ~1.0.153 only `mode`).
    pub fn agent(&self) -> Option<&str> {
        self.agent
            .as_deref()
            .or(self.mode.as_deref())
            .filter(|a| !a.is_empty())
    }

    /// Provider and model of an assistant message.
    pub fn model(&self) -> Option<(&str, &str)> {
        Some((self.provider_id.as_deref()?, self.model_id.as_deref()?))
    }

    /// An assistant message still being written at `now_ms`: neither
    /// completed nor ended in an error, and started within the last hour (an
    /// older one was cut off by a crash and will never complete).
    pub fn in_flight(&self, now_ms: i64) -> bool {
        const STEP_LIMIT_MS: i64 = 3_600_000;
        self.role() == "assistant"
            && self.error.is_none()
            && self.time.as_ref().is_none_or(|t| t.completed.is_none())
            && now_ms - self.created() < STEP_LIMIT_MS
    }

    pub fn created(&self) -> i64 {
        self.time.as_ref().map_or(0, |t| t.created)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MessageTime {
    #[serde(deserialize_with = "lenient_i64")]
    pub created: i64,
    #[serde(deserialize_with = "lenient")]
    pub completed: Option<i64>,
}

/// Token counts as opencode stored them (their meaning drifts between
/// versions; we report what was stored).
#[derive(Debug, Default, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Tokens {
    #[serde(deserialize_with = "lenient_u64")]
    pub input: u64,
    #[serde(deserialize_with = "lenient_u64")]
    pub output: u64,
    #[serde(deserialize_with = "lenient_u64")]
    pub reasoning: u64,
    #[serde(deserialize_with = "lenient")]
    pub cache: Option<CacheTokens>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct CacheTokens {
    #[serde(deserialize_with = "lenient_u64")]
    pub read: u64,
    #[serde(deserialize_with = "lenient_u64")]
    pub write: u64,
}

/// Deserialize `T`, reading anything that does not fit as `None`. The value
/// is first taken as raw JSON text borrowed from the input (no tree is
/// built, so large ignored fields such as a diff's file contents cost only
/// a scan).
fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let raw = <&'de RawValue>::deserialize(d)?;
    Ok(serde_json::from_str(raw.get()).ok())
}

fn lenient_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(lenient(d)?.unwrap_or_default())
}

/// A string, borrowed when it has no escapes; anything else is `None`.
fn lenient_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    let raw = <&'de RawValue>::deserialize(d)?.get();
    if !raw.starts_with('"') {
        return Ok(None);
    }
    Ok(match serde_json::from_str::<&'de str>(raw) {
        Ok(s) => Some(Cow::Borrowed(s)),
        Err(_) => serde_json::from_str::<String>(raw).ok().map(Cow::Owned),
    })
}

fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n.as_f64().filter(|f| f.is_finite()).unwrap_or(0.0),
        _ => 0.0,
    })
}

fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .unwrap_or(0),
        _ => 0,
    })
}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f > 0.0).map(|f| f as u64))
            .unwrap_or(0),
        _ => 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_fields_read_as_absent_not_as_errors() {
        let m: MessageMeta = serde_json::from_str(
            r#"{"role":"assistant","mode":"build","cost":"x","tokens":{"input":1.0,"output":-3,"cache":7},"time":{"created":5}}"#,
        )
        .unwrap();
        assert_eq!(m.agent(), Some("build"));
        assert_eq!(m.cost, 0.0);
        let t = m.tokens.unwrap();
        assert_eq!((t.input, t.output, t.cache), (1, 0, None));
        assert_eq!(m.created(), 5);
    }

    #[test]
    fn only_a_recent_unfinished_assistant_message_is_in_flight() {
        fn m(json: &str) -> MessageMeta<'_> {
            serde_json::from_str(json).unwrap()
        }
        let now = 10_000_000;
        assert!(m(r#"{"role":"assistant","time":{"created":9999000}}"#).in_flight(now));
        assert!(
            !m(r#"{"role":"assistant","time":{"created":9999000,"completed":9999500}}"#)
                .in_flight(now)
        );
        assert!(
            !m(r#"{"role":"assistant","error":{"name":"APIError"},"time":{"created":9999000}}"#)
                .in_flight(now)
        );
        assert!(
            !m(r#"{"role":"assistant","time":{"created":1000}}"#).in_flight(now),
            "crashed long ago"
        );
        assert!(!m(r#"{"role":"user","time":{"created":9999000}}"#).in_flight(now));
    }

    #[test]
    fn agent_wins_over_mode_and_strings_are_borrowed() {
        let m: MessageMeta = serde_json::from_str(
            r#"{"role":"assistant","agent":"plan","mode":"build","providerID":"p","modelID":"m\u00e9","error":null}"#,
        )
        .unwrap();
        assert_eq!(m.agent(), Some("plan"));
        assert!(matches!(m.agent, Some(Cow::Borrowed(_))));
        assert_eq!(m.model(), Some(("p", "mé")));
        assert!(
            matches!(m.model_id, Some(Cow::Owned(_))),
            "an escape needs a copy"
        );
        assert!(m.error.is_none());
    }
}
