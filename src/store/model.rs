//! The objects read from either store, reduced to what the document needs.
//!
//! Every field but the ids, `role` and `time.created` is optional in old
//! files, so the message metadata is lenient: a missing or odd-typed field
//! reads as absent or zero instead of failing the whole session.

use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::borrow::Cow;
use std::marker::PhantomData;

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

impl SessionInfo {
    /// Sessions in the order they were created (`time_created`, then id):
    /// the order a backfill reads them and subagents are listed in.
    pub fn creation_order(a: &SessionInfo, b: &SessionInfo) -> std::cmp::Ordering {
        (a.time_created, &a.id).cmp(&(b.time_created, &b.id))
    }
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
    pub status: TodoStatus,
    #[serde(default)]
    pub priority: String,
}

/// A todo's `status`. It is kept as stored: a status opencode may add
/// later, or a missing one (empty), counts only in the total and is
/// written back out unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum TodoStatus {
    Pending,
    InProgress,
    Completed,
    Cancelled,
    Other(String),
}

impl TodoStatus {
    pub fn as_str(&self) -> &str {
        match self {
            TodoStatus::Pending => "pending",
            TodoStatus::InProgress => "in_progress",
            TodoStatus::Completed => "completed",
            TodoStatus::Cancelled => "cancelled",
            TodoStatus::Other(s) => s,
        }
    }
}

impl Default for TodoStatus {
    fn default() -> TodoStatus {
        TodoStatus::Other(String::new())
    }
}

impl From<String> for TodoStatus {
    fn from(s: String) -> TodoStatus {
        match s.as_str() {
            "pending" => TodoStatus::Pending,
            "in_progress" => TodoStatus::InProgress,
            "completed" => TodoStatus::Completed,
            "cancelled" => TodoStatus::Cancelled,
            _ => TodoStatus::Other(s),
        }
    }
}

impl From<TodoStatus> for String {
    fn from(s: TodoStatus) -> String {
        match s {
            TodoStatus::Other(s) => s,
            known => known.as_str().to_string(),
        }
    }
}

/// Who wrote a message (`role`). Any other value, or none, is `Other`: such
/// a message counts as a message but neither as the user's nor as the
/// assistant's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
    #[default]
    Other,
}

impl Role {
    pub(super) fn of(s: &str) -> Role {
        match s {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            _ => Role::Other,
        }
    }
}

/// The fields of a message object that the document is built from,
/// borrowed from the stored JSON text where it has no escapes (reading a
/// message allocates nothing in the common case).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MessageMeta<'a> {
    #[serde(deserialize_with = "lenient_role")]
    pub role: Role,
    #[serde(borrow, deserialize_with = "lenient_str")]
    pub agent: Option<Cow<'a, str>>,
    #[serde(borrow, deserialize_with = "lenient_str")]
    pub mode: Option<Cow<'a, str>>,
    #[serde(rename = "providerID", borrow, deserialize_with = "lenient_str")]
    pub provider_id: Option<Cow<'a, str>>,
    #[serde(rename = "modelID", borrow, deserialize_with = "lenient_str")]
    pub model_id: Option<Cow<'a, str>>,
    /// USD; NaN where the stored value is not a number (a string, an
    /// object, ...), 0 where it is absent or null.
    #[serde(deserialize_with = "lenient_cost")]
    pub cost: f64,
    #[serde(deserialize_with = "lenient")]
    pub tokens: Option<Tokens>,
    pub error: Option<IgnoredAny>,
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

impl<'a> MessageMeta<'a> {
    /// Set a cost that is not a number (the readers make an infinite one
    /// NaN too) or is negative to 0, and drop
    /// a creation time that is missing or out of range (the message then
    /// counts in no day and not in `activeMs`) and a completion time out of
    /// range. Returns what was left out, for a warning.
    pub(super) fn leave_out_odd_numbers(&mut self) -> Option<String> {
        const NO_DAY: &str = "it counts in the totals but in no day and not in activeMs";
        let mut odd = Vec::new();
        if self.cost.is_nan() {
            odd.push("its cost is not a number: it counts as 0".to_string());
            self.cost = 0.0;
        } else if self.cost < 0.0 {
            odd.push(format!(
                "its cost {} is negative: it counts as 0",
                self.cost
            ));
            self.cost = 0.0;
        }
        match self.time.as_ref().and_then(|t| t.created) {
            None => odd.push(format!("it has no time.created: {NO_DAY}")),
            Some(t) if !time_in_range(t) => {
                odd.push(format!("its time.created {t} is out of range: {NO_DAY}"));
            }
            Some(_) => {}
        }
        if let Some(time) = &mut self.time {
            time.created = time.created.filter(|&t| time_in_range(t));
            if let Some(t) = time.completed.filter(|&t| !time_in_range(t)) {
                odd.push(format!(
                    "its time.completed {t} is out of range: it does not count in activeMs"
                ));
                time.completed = None;
            }
        }
        (!odd.is_empty()).then(|| odd.join("; "))
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
        self.role == Role::Assistant
            && self.error.is_none()
            && self.time.as_ref().is_none_or(|t| t.completed.is_none())
            && self
                .created()
                .is_some_and(|created| now_ms.saturating_sub(created) < STEP_LIMIT_MS)
    }

    /// When the message was created (epoch ms); None where that is missing
    /// or out of range.
    pub fn created(&self) -> Option<i64> {
        self.time.as_ref().and_then(|t| t.created)
    }
}

/// Whether `ms` is a time that days can be cut at in any time zone: within
/// what jiff can represent, with two days to spare at either end.
fn time_in_range(ms: i64) -> bool {
    const SPARE_MS: i64 = 2 * 86_400_000;
    let min = jiff::Timestamp::MIN.as_millisecond() + SPARE_MS;
    let max = jiff::Timestamp::MAX.as_millisecond() - SPARE_MS;
    (min..=max).contains(&ms)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MessageTime {
    #[serde(deserialize_with = "lenient_opt_i64")]
    pub created: Option<i64>,
    #[serde(deserialize_with = "lenient_opt_i64")]
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

// Lenient fields. Every reader below consumes a value of any shape in one
// pass (no tree is built, no text is parsed twice, strings are borrowed when
// they have no escapes) and yields what it wants or nothing.

/// A visitor that accepts one kind of JSON value and skips all others.
trait Accept<'de>: Sized {
    type Out: Default;

    fn map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Out, A::Error> {
        skip_map(map).map(|()| Self::Out::default())
    }

    fn seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Out, A::Error> {
        skip_seq(seq).map(|()| Self::Out::default())
    }

    fn str(self, _s: Cow<'de, str>) -> Self::Out {
        Self::Out::default()
    }

    fn num(self, _n: f64) -> Self::Out {
        Self::Out::default()
    }

    fn bool(self) -> Self::Out {
        Self::Out::default()
    }
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

struct Lenient<A>(A);

impl<'de, A: Accept<'de>> Visitor<'de> for Lenient<A> {
    type Value = A::Out;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<A::Out, M::Error> {
        self.0.map(map)
    }
    fn visit_seq<S: SeqAccess<'de>>(self, seq: S) -> Result<A::Out, S::Error> {
        self.0.seq(seq)
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<A::Out, E> {
        Ok(self.0.str(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<A::Out, E> {
        Ok(self.0.str(Cow::Owned(s.to_string())))
    }
    fn visit_string<E>(self, s: String) -> Result<A::Out, E> {
        Ok(self.0.str(Cow::Owned(s)))
    }
    fn visit_f64<E>(self, n: f64) -> Result<A::Out, E> {
        Ok(self.0.num(n))
    }
    fn visit_i64<E>(self, n: i64) -> Result<A::Out, E> {
        Ok(self.0.num(n as f64))
    }
    fn visit_u64<E>(self, n: u64) -> Result<A::Out, E> {
        Ok(self.0.num(n as f64))
    }
    fn visit_bool<E>(self, _: bool) -> Result<A::Out, E> {
        Ok(self.0.bool())
    }
    fn visit_unit<E>(self) -> Result<A::Out, E> {
        Ok(A::Out::default())
    }
    fn visit_none<E>(self) -> Result<A::Out, E> {
        Ok(A::Out::default())
    }
}

/// An object read as `T` (whose own fields are lenient).
struct Object<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Accept<'de> for Object<T> {
    type Out = Option<T>;

    fn map<A: MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Some)
    }
}

/// The objects of an array, read as `T`; other items are skipped.
struct Objects<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Accept<'de> for Objects<T> {
    type Out = Vec<T>;

    fn seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        struct Item<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Item<T> {
            type Value = Option<T>;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
                d.deserialize_any(Lenient(Object::<T>(PhantomData)))
            }
        }
        let mut out = Vec::new();
        while let Some(item) = seq.next_element_seed(Item::<T>(PhantomData))? {
            out.extend(item);
        }
        Ok(out)
    }
}

struct Str;

impl<'de> Accept<'de> for Str {
    type Out = Option<Cow<'de, str>>;

    fn str(self, s: Cow<'de, str>) -> Option<Cow<'de, str>> {
        Some(s)
    }
}

struct Num;

impl Accept<'_> for Num {
    type Out = Option<f64>;

    fn num(self, n: f64) -> Option<f64> {
        Some(n).filter(|n| n.is_finite())
    }
}

/// A number as it is (NaN where it is not finite); any other value but
/// null is NaN, so that it can be told from an absent one.
struct Cost;

impl<'de> Accept<'de> for Cost {
    type Out = f64;

    fn map<A: MapAccess<'de>>(self, map: A) -> Result<f64, A::Error> {
        skip_map(map).map(|()| f64::NAN)
    }

    fn seq<A: SeqAccess<'de>>(self, seq: A) -> Result<f64, A::Error> {
        skip_seq(seq).map(|()| f64::NAN)
    }

    fn str(self, _s: Cow<'de, str>) -> f64 {
        f64::NAN
    }

    fn num(self, n: f64) -> f64 {
        if n.is_finite() { n } else { f64::NAN }
    }

    fn bool(self) -> f64 {
        f64::NAN
    }
}

fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_any(Lenient(Object::<T>(PhantomData)))
}

fn lenient_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_any(Lenient(Objects::<T>(PhantomData)))
}

/// A string, borrowed when it has no escapes; anything else is `None`.
fn lenient_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    d.deserialize_any(Lenient(Str))
}

/// A role: read from a string, `Other` for anything else.
fn lenient_role<'de, D: Deserializer<'de>>(d: D) -> Result<Role, D::Error> {
    Ok(lenient_str(d)?.map_or(Role::Other, |s| Role::of(&s)))
}

/// A cost: its number, 0 for null, NaN for anything else.
fn lenient_cost<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    d.deserialize_any(Lenient(Cost))
}

fn lenient_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(d.deserialize_any(Lenient(Num))?.map(|n| n as i64))
}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(d.deserialize_any(Lenient(Num))?
        .filter(|n| *n > 0.0)
        .map_or(0, |n| n as u64))
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
        assert!(m.cost.is_nan(), "told from an absent cost");
        let t = m.tokens.unwrap();
        assert_eq!((t.input, t.output, t.cache), (1, 0, None));
        assert_eq!(m.created(), Some(5));
    }

    #[test]
    fn a_todo_status_is_written_back_as_it_was_stored() {
        let text = r#"[{"content":"a","status":"in_progress","priority":"high"},{"content":"b","status":"blocked","priority":""},{"content":"c","priority":""}]"#;
        let todos: Vec<Todo> = serde_json::from_str(text).unwrap();
        let status: Vec<_> = todos.iter().map(|t| t.status.clone()).collect();
        assert_eq!(
            status,
            [
                TodoStatus::InProgress,
                TodoStatus::Other("blocked".into()),
                TodoStatus::Other(String::new())
            ]
        );
        assert_eq!(
            serde_json::to_string(&todos).unwrap(),
            text.replace(r#""content":"c","#, r#""content":"c","status":"","#)
        );
        assert!(serde_json::from_str::<Vec<Todo>>(r#"[{"status":1}]"#).is_err());
    }

    #[test]
    fn wrong_shapes_are_skipped_whole_and_good_items_kept() {
        let m: MessageMeta = serde_json::from_str(
            r#"{"role":"assistant","summary":true,"agent":{"name":"x","deep":[1,{"a":[]}]},"time":[1,2],"cost":0.5}"#,
        )
        .unwrap();
        assert!(m.summary.is_none() && m.agent.is_none() && m.time.is_none());
        assert_eq!(m.cost, 0.5, "fields after skipped ones are still read");
        let u: MessageMeta = serde_json::from_str(
            r#"{"role":"user","summary":{"diffs":[{"file":"a","additions":2,"before":"x\ny"},7,"s",{"file":"b","deletions":1}]}}"#,
        )
        .unwrap();
        let diffs = &u.summary.unwrap().diffs;
        assert_eq!(diffs.len(), 2);
        assert_eq!(
            (diffs[0].file.as_deref(), diffs[0].additions),
            (Some("a"), 2)
        );
        assert_eq!(
            (diffs[1].file.as_deref(), diffs[1].deletions),
            (Some("b"), 1)
        );
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
