//! The Convex sink: `POST <deployment>/api/mutation` with ureq (blocking).
//!
//! One document goes through `sessions:upsert` (the seed's shape: the
//! document's fields, flat), several through `sessions:upsertBatch` in
//! batches far inside Convex's limits. Transport errors, 429 and 5xx are
//! retried with bounded backoff; a function error is never retried blindly,
//! nor an answer over 64 MiB (`MAX_ANSWER`).
//! A batch that fails because of one document is split until the culprit is
//! alone, so the others still go in.

use super::{Limits, Outcome, Sink, SinkError, Upserted};
use crate::document::Document;
use crate::error::Error;
use crate::secret::Secret;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// Convex's document limit is 1 MiB; keep clear of it (its own size
/// accounting differs a little from JSON bytes).
pub const DOC_BUDGET: usize = 900 * 1024;
/// Per batch: Convex allows 16 MiB of arguments and 1 s of mutation time.
pub const LIMITS: Limits = Limits {
    docs: 100,
    bytes: Some(4 * 1024 * 1024),
};
/// The largest answer read (a team report is far smaller); a larger one
/// fails the call, without asking again.
const MAX_ANSWER: u64 = 64 << 20;
/// Longest wait a `Retry-After` may ask for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

pub struct Convex {
    agent: ureq::Agent,
    url: String,
    token: Option<Secret>,
    max_retries: u32,
}

/// What a call runs: `/api/mutation` or `/api/query`.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Mutation,
    Query,
}

impl Kind {
    fn endpoint(self) -> &'static str {
        match self {
            Kind::Mutation => "mutation",
            Kind::Query => "query",
        }
    }
}

enum Step {
    Done(Result<Value, SinkError>),
    /// Worth another try (after the given wait, if the server named one).
    Retry(String, Option<Duration>),
}

/// A Convex deployment, as configured.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// `https://<name>.convex.cloud`
    pub url: String,
    pub token: Option<Secret>,
    pub timeout: Duration,
    pub max_retries: u32,
}

impl Deployment {
    /// The URL as the ledger names it.
    pub fn key(&self) -> String {
        format!("convex:{}", self.url.trim().trim_end_matches('/'))
    }
}

/// Make `doc` fit Convex's 1 MiB document limit by trimming its transcript;
/// Err when it cannot fit even without one.
pub fn fit(doc: &mut Document) -> Result<(), SinkError> {
    if doc.fit(DOC_BUDGET) {
        Ok(())
    } else {
        Err(SinkError::TooLarge {
            session: doc.session_id.clone(),
        })
    }
}

/// `{sessionId, result}` for each document.
#[derive(Deserialize)]
struct UpsertAnswer {
    result: Upserted,
}

impl Convex {
    /// `url` is the deployment URL (`https://<name>.convex.cloud`); plain
    /// `http://` is refused except to this machine.
    pub fn new(d: &Deployment) -> Result<Convex, Error> {
        let url = d.url.trim().trim_end_matches('/').to_string();
        check_url(&url)?;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(d.timeout))
            .user_agent(concat!("session-export/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Convex {
            agent,
            url,
            token: d.token.clone(),
            max_retries: d.max_retries,
        })
    }

    /// Upsert `docs` (documents as JSON objects), in order; one outcome per
    /// document. `Err` when the export cannot go on at all (anything but a
    /// rejected request).
    fn send_maps(&self, docs: Vec<Map<String, Value>>) -> Result<Vec<Outcome>, SinkError> {
        match docs.len() {
            0 => Ok(Vec::new()),
            1 => {
                let mut args = docs.into_iter().next().expect("one document");
                self.add_token(&mut args);
                match self.call(Kind::Mutation, "sessions:upsert", Value::Object(args)) {
                    Ok(v) => Ok(vec![answer(v)]),
                    Err(e @ SinkError::Rejected(_)) => Ok(vec![Outcome::Failed(e)]),
                    Err(fatal) => Err(fatal),
                }
            }
            _ => self.send_batch(docs),
        }
    }

    fn send_batch(&self, docs: Vec<Map<String, Value>>) -> Result<Vec<Outcome>, SinkError> {
        let n = docs.len();
        let mut args = Map::new();
        self.add_token(&mut args);
        args.insert(
            "sessions".into(),
            Value::Array(docs.iter().cloned().map(Value::Object).collect()),
        );
        match self.call(Kind::Mutation, "sessions:upsertBatch", Value::Object(args)) {
            Ok(Value::Array(items)) if items.len() == n => {
                Ok(items.into_iter().map(answer).collect())
            }
            Ok(other) => {
                let answer = truncate(&other.to_string());
                Ok((0..n)
                    .map(|_| {
                        Outcome::Failed(SinkError::Unexpected {
                            from: Some("sessions:upsertBatch"),
                            answer: answer.clone(),
                        })
                    })
                    .collect())
            }
            Err(e @ SinkError::Rejected(_)) if n == 1 => Ok(vec![Outcome::Failed(e)]),
            // Isolate the document(s) that made the batch fail.
            Err(SinkError::Rejected(_)) => {
                let mut docs = docs;
                let second = docs.split_off(n / 2);
                let mut out = self.send_batch(docs)?;
                out.extend(self.send_batch(second)?);
                Ok(out)
            }
            Err(fatal) => Err(fatal),
        }
    }

    fn add_token(&self, args: &mut Map<String, Value>) {
        if let Some(t) = &self.token {
            args.insert("token".into(), t.expose().into());
        }
    }

    /// Mask the token in anything the server says (before cutting it short,
    /// so no piece of the token survives a cut).
    fn clean(&self, text: &str) -> String {
        match &self.token {
            Some(t) => truncate(&t.redact(text)),
            None => truncate(text),
        }
    }

    /// Run a query (`sessions:report`) with the token added to `args`.
    pub fn query(&self, path: &str, args: &impl serde::Serialize) -> Result<Value, Error> {
        let mut args = match serde_json::to_value(args) {
            Ok(Value::Object(args)) => args,
            _ => {
                return Err(Error::Remote(format!(
                    "{path}: arguments are not a JSON object"
                )));
            }
        };
        self.add_token(&mut args);
        self.call(Kind::Query, path, Value::Object(args))
            .map_err(|e| Error::Remote(e.to_string()))
    }

    fn call(&self, kind: Kind, path: &str, args: Value) -> Result<Value, SinkError> {
        let body = serde_json::to_vec(&json!({"path": path, "args": args, "format": "json"}))
            .expect("JSON values serialize");
        let mut attempt = 0;
        loop {
            let (why, wait) = match self.attempt(kind, path, &body) {
                Step::Done(result) => return result,
                Step::Retry(why, wait) => (why, wait),
            };
            if attempt >= self.max_retries {
                return Err(SinkError::GaveUp {
                    why,
                    tries: attempt + 1,
                });
            }
            self.pause(attempt, wait);
            attempt += 1;
        }
    }

    /// One HTTP request and what to make of its answer.
    fn attempt(&self, kind: Kind, path: &str, body: &[u8]) -> Step {
        let sent = self
            .agent
            .post(format!("{}/api/{}", self.url, kind.endpoint()))
            .content_type("application/json")
            .send(body);
        let mut resp = match sent {
            Ok(r) => r,
            Err(e) => return Step::Retry(format!("cannot reach {}: {e}", self.url), None),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
        let text = match resp
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_string()
        {
            Ok(t) => t,
            // The same request gets the same answer: asking again would
            // only download it again.
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                return Step::Done(Err(SinkError::AnswerTooLarge {
                    url: self.url.clone(),
                    mib: MAX_ANSWER >> 20,
                }));
            }
            Err(e) => return Step::Retry(format!("reading the answer of {}: {e}", self.url), None),
        };
        let url = &self.url;
        Step::Done(match status {
            200 | 560 => self.function_answer(path, &text),
            429 | 500 | 502 | 503 | 504 => {
                return Step::Retry(self.http_error(status, &text), retry_after);
            }
            401 | 403 => Err(SinkError::Refused {
                url: url.clone(),
                detail: self.http_error(status, &text),
            }),
            404 => Err(SinkError::NotConvex {
                url: url.clone(),
                detail: self.http_error(status, &text),
            }),
            _ => Err(SinkError::Rejected(self.http_error(status, &text))),
        })
    }

    /// Backoff before retry number `attempt + 1`: 0.5 s, 1 s, 2 s, ... up
    /// to 8 s, or what `Retry-After` asked for.
    fn pause(&self, attempt: u32, retry_after: Option<Duration>) {
        let backoff = Duration::from_millis(500 << attempt.min(4));
        std::thread::sleep(retry_after.unwrap_or(backoff));
    }

    fn http_error(&self, status: u16, text: &str) -> String {
        #[derive(Deserialize)]
        struct RequestError {
            code: Option<String>,
            message: Option<String>,
        }
        let detail = match serde_json::from_str::<RequestError>(text) {
            Ok(RequestError {
                code: Some(c),
                message: Some(m),
            }) => format!("{c}: {m}"),
            Ok(RequestError {
                message: Some(m), ..
            }) => m,
            _ => text.trim().to_string(),
        };
        self.clean(&format!("HTTP {status}: {detail}"))
    }

    fn function_answer(&self, path: &str, text: &str) -> Result<Value, SinkError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            status: String,
            value: Option<Value>,
            error_message: Option<String>,
            error_data: Option<Value>,
        }
        let a: Answer = serde_json::from_str(text).map_err(|_| {
            SinkError::Rejected(
                self.clean(&format!("{path}: not a Convex answer: {}", text.trim())),
            )
        })?;
        if a.status == "success" {
            return Ok(a.value.unwrap_or(Value::Null));
        }
        let code = a
            .error_data
            .as_ref()
            .and_then(|d| d.get("code"))
            .and_then(Value::as_str);
        // Production deployments redact errorMessage; errorData survives.
        let detail = a
            .error_data
            .as_ref()
            .and_then(|d| d.get("message"))
            .and_then(Value::as_str)
            .or(a.error_message.as_deref())
            .unwrap_or("failed without a message");
        match code {
            Some(c @ ("UNAUTHORIZED" | "TOKEN_NOT_CONFIGURED")) => Err(SinkError::Token(self.clean(
                &format!("{} refused the token ({c}): {detail}; check SESSION_EXPORT_TOKEN here and on the deployment", self.url),
            ))),
            Some(c) => Err(SinkError::Rejected(self.clean(&format!("{path}: {c}: {detail}")))),
            None => Err(SinkError::Rejected(self.clean(&format!("{path}: {detail}")))),
        }
    }
}

impl Sink for Convex {
    fn send(&mut self, docs: &[Document]) -> Result<Vec<Outcome>, SinkError> {
        let maps = docs
            .iter()
            .map(|d| match serde_json::to_value(d) {
                Ok(Value::Object(map)) => map,
                _ => unreachable!("a document serializes to an object"),
            })
            .collect();
        self.send_maps(maps)
    }

    fn limits(&self) -> Limits {
        LIMITS
    }

    fn describe(&self) -> String {
        self.url.clone()
    }
}

fn answer(v: Value) -> Outcome {
    match UpsertAnswer::deserialize(&v) {
        Ok(a) => Outcome::Done(a.result),
        Err(_) => Outcome::Failed(SinkError::Unexpected {
            from: None,
            answer: truncate(&v.to_string()),
        }),
    }
}

/// Long server messages (a validation error prints the whole document) are
/// cut to keep errors one readable line.
fn truncate(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(300) {
        Some((i, _)) => format!("{}...", &one_line[..i]),
        None => one_line,
    }
}

/// `https://` anywhere; `http://` only to this machine.
fn check_url(url: &str) -> Result<(), Error> {
    let bad = |why: &str| Error::Usage(format!("Convex URL {url:?}: {why}"));
    let uri: ureq::http::Uri = url.parse().map_err(|_| bad("not a URL"))?;
    let host = uri.host().ok_or_else(|| bad("no host"))?;
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if is_loopback(host) => Ok(()),
        Some("http") => Err(bad(
            "plain http:// is only allowed to this machine; use https://",
        )),
        _ => Err(bad("must start with https://")),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_only_to_loopback() {
        assert!(check_url("https://happy-otter-123.convex.cloud").is_ok());
        assert!(check_url("http://127.0.0.1:3210").is_ok());
        assert!(check_url("http://localhost:3210").is_ok());
        assert!(check_url("http://[::1]:3210").is_ok());
        let e = check_url("http://example.com").unwrap_err().to_string();
        assert!(e.contains("https://"), "{e}");
        assert!(check_url("ftp://x").is_err());
        assert!(check_url("not a url").is_err());
    }

    #[test]
    fn long_messages_become_one_short_line() {
        let t = truncate(&"word\n".repeat(200));
        assert!(!t.contains('\n') && t.len() < 320 && t.ends_with("..."));
    }
}
