//! The objects read from either store, reduced to what the document needs.
//!
//! Every field but the ids, `role` and `time.created` is optional in old
//! files, so the message metadata is lenient: a missing or odd-typed field
//! reads as absent or zero instead of failing the whole session.

use serde::{Deserialize, Deserializer, Serialize};

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

/// One message: its metadata and, when asked for, the full transcript entry.
#[derive(Debug)]
pub struct Message {
    pub meta: MessageMeta,
    /// `{"info": ..., "parts": [...]}` as `opencode export` prints it; only
    /// filled when the transcript was asked for.
    pub transcript: Option<serde_json::Value>,
}

/// A part's JSON object, with its id fields restored.
pub type Part = serde_json::Value;

/// The fields of a message object that the document is built from.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MessageMeta {
    pub role: String,
    #[serde(deserialize_with = "lenient_string")]
    pub agent: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub mode: Option<String>,
    #[serde(rename = "providerID", deserialize_with = "lenient_string")]
    pub provider_id: Option<String>,
    #[serde(rename = "modelID", deserialize_with = "lenient_string")]
    pub model_id: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub model: Option<ModelRef>,
    #[serde(deserialize_with = "lenient_f64")]
    pub cost: f64,
    #[serde(deserialize_with = "lenient")]
    pub tokens: Option<Tokens>,
    pub error: Option<serde::de::IgnoredAny>,
    #[serde(deserialize_with = "lenient")]
    pub time: Option<MessageTime>,
    /// A user message's summary of the files its turn changed.
    #[serde(deserialize_with = "lenient")]
    pub summary: Option<MessageSummary>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MessageSummary {
    #[serde(deserialize_with = "lenient_vec")]
    pub diffs: Vec<FileDiff>,
}

/// One file a turn changed (`before`/`after` or `patch` are not needed).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FileDiff {
    #[serde(deserialize_with = "lenient_string")]
    pub file: Option<String>,
    #[serde(deserialize_with = "lenient_u64")]
    pub additions: u64,
    #[serde(deserialize_with = "lenient_u64")]
    pub deletions: u64,
}

impl MessageMeta {
    /// The agent that wrote or received the message (`agent`, before
    /// ~1.0.153 only `mode`).
    pub fn agent(&self) -> Option<&str> {
        self.agent
            .as_deref()
            .or(self.mode.as_deref())
            .filter(|a| !a.is_empty())
    }

    /// "provider/model" of an assistant message, or of a user message's
    /// requested model.
    pub fn model(&self) -> Option<String> {
        let (p, m) = match (&self.provider_id, &self.model_id, &self.model) {
            (Some(p), Some(m), _) => (p.as_str(), m.as_str()),
            (_, _, Some(r)) => (r.provider_id.as_deref()?, r.model_id.as_deref()?),
            _ => return None,
        };
        Some(format!("{p}/{m}"))
    }

    /// An assistant message still being written at `now_ms`: neither
    /// completed nor ended in an error, and started within the last hour (an
    /// older one was cut off by a crash and will never complete).
    pub fn in_flight(&self, now_ms: i64) -> bool {
        const STEP_LIMIT_MS: i64 = 3_600_000;
        self.role == "assistant"
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

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ModelRef {
    #[serde(rename = "providerID", deserialize_with = "lenient_string")]
    pub provider_id: Option<String>,
    #[serde(rename = "modelID", deserialize_with = "lenient_string")]
    pub model_id: Option<String>,
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
/// is first taken as raw JSON text (no tree is built, so large ignored
/// fields such as a diff's file contents cost only a scan).
fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
    Ok(serde_json::from_str(raw.get()).ok())
}

fn lenient_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(lenient(d)?.unwrap_or_default())
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
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
        let m = |json: &str| serde_json::from_str::<MessageMeta>(json).unwrap();
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
    fn agent_wins_over_mode_and_user_model_is_read() {
        let m: MessageMeta = serde_json::from_str(
            r#"{"role":"user","agent":"plan","mode":"build","model":{"providerID":"p","modelID":"m"},"error":null}"#,
        )
        .unwrap();
        assert_eq!(m.agent(), Some("plan"));
        assert_eq!(m.model().as_deref(), Some("p/m"));
        assert!(m.error.is_none());
    }
}
