//! A session's usage broken down by model, agent and (UTC) day, collected
//! message by message next to [`crate::document::Stats`], and summed over
//! subagent sessions. Names are interned in small vectors, so a message of
//! a known model and agent costs no allocation.

use crate::prices::{self, Price};
use crate::store::MessageMeta;
pub use crate::tokens::TokenTotals;
use serde::Serialize;

const DAY_MS: i64 = 86_400_000;

/// `a + b` USD, kept within the finite numbers: a sum past the largest
/// stops there (see [`capped`]), so that no sum becomes infinite (which
/// JSON cannot hold).
pub fn add_usd(a: f64, b: f64) -> f64 {
    (a + b).clamp(-f64::MAX, f64::MAX)
}

/// Whether a cost or token sum reached the largest number and stopped
/// there: what a warning then says.
pub fn capped(cost: f64, tokens: &TokenTotals) -> bool {
    cost.abs() == f64::MAX || tokens.capped()
}

/// Messages, cost and tokens of one slice of usage.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Amount {
    pub messages: u64,
    /// What opencode stored: the spend.
    pub cost: f64,
    /// The tokens at their model's list price (see [`crate::prices`]).
    pub list_cost: f64,
    /// Assistant messages whose model has no list price: in no `list_cost`.
    pub unpriced: u64,
    pub tokens: TokenTotals,
}

impl Amount {
    /// One message: cost, list cost and tokens count for assistant messages
    /// only, priced at `price`, their model's list price (`None`: it has
    /// none, or the message names no model).
    pub fn of(meta: &MessageMeta<'_>, price: Option<&Price>) -> Amount {
        if meta.role == crate::store::Role::Assistant {
            let tokens = tokens_of(meta);
            Amount {
                messages: 1,
                cost: meta.cost,
                // Huge counts at a huge (override) price stop at the
                // largest number, as sums do.
                list_cost: price.map_or(0.0, |p| add_usd(p.cost(&tokens), 0.0)),
                unpriced: u64::from(price.is_none()),
                tokens,
            }
        } else {
            Amount {
                messages: 1,
                ..Amount::default()
            }
        }
    }

    pub fn add(&mut self, o: &Amount) {
        self.messages = self.messages.saturating_add(o.messages);
        self.cost = add_usd(self.cost, o.cost);
        self.list_cost = add_usd(self.list_cost, o.list_cost);
        self.unpriced = self.unpriced.saturating_add(o.unpriced);
        self.tokens.add(&o.tokens);
    }
}

/// The list prices of the models of a list of names (by index), each looked
/// up in the prices in force once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelPrices(Vec<Option<Option<&'static Price>>>);

impl ModelPrices {
    /// The list price of model `i`, named `name`.
    pub fn of(&mut self, i: usize, name: &str) -> Option<&'static Price> {
        if self.0.len() <= i {
            self.0.resize(i + 1, None);
        }
        *self.0[i].get_or_insert_with(|| prices::in_force().price(name).map(|p| p.price))
    }
}

/// The tokens an assistant message recorded.
fn tokens_of(meta: &MessageMeta<'_>) -> TokenTotals {
    meta.tokens.as_ref().map_or_else(TokenTotals::default, |t| {
        let cache = t.cache.unwrap_or_default();
        TokenTotals {
            input: t.input,
            output: t.output,
            reasoning: t.reasoning,
            cache_read: cache.read,
            cache_write: cache.write,
        }
    })
}

/// The usage of one session, or summed over several.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    /// `provider/model` of assistant messages, in order of first use.
    pub models: Vec<(String, Amount)>,
    /// Agents (falling back to mode) of all messages, in order of first use;
    /// `messages` counts all of them, `cost` the assistant messages'.
    pub agents: Vec<(String, Amount)>,
    /// Sum of `time.completed - time.created` over assistant messages that
    /// have both.
    pub active_ms: i64,
    /// By UTC day (days since 1970-01-01), in order of first use.
    pub days: Vec<Day>,
    /// The list prices of [`Usage::models`].
    prices: ModelPrices,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Day {
    pub day: i64,
    /// Sessions with a message that day (1 for a session's own usage).
    pub sessions: u64,
    /// All messages that day; cost and tokens of its assistant messages.
    pub all: Amount,
    /// By index into [`Usage::models`]: (sessions, assistant messages).
    pub models: Vec<(usize, u64, Amount)>,
}

impl Usage {
    /// Count one more message of the session; returns what it amounts to.
    pub fn add(&mut self, meta: &MessageMeta<'_>) -> Amount {
        let model = match meta.model() {
            Some((p, m)) if meta.role == crate::store::Role::Assistant => Some(intern(
                &mut self.models,
                |n| is_model(n, p, m),
                || format!("{p}/{m}"),
            )),
            _ => None,
        };
        let price = model.and_then(|i| self.prices.of(i, &self.models[i].0));
        let amount = Amount::of(meta, price);
        self.count(meta, model, &amount);
        amount
    }

    /// Count a message of `model` (an index into `models`; assistant
    /// messages only).
    fn count(&mut self, meta: &MessageMeta<'_>, model: Option<usize>, amount: &Amount) {
        // A message without a (usable) creation time is in no day.
        let d = meta.created().map(|created| {
            let day = created.div_euclid(DAY_MS);
            match self.days.iter().rposition(|d| d.day == day) {
                Some(i) => i,
                None => {
                    self.days.push(Day {
                        day,
                        sessions: 1,
                        ..Day::default()
                    });
                    self.days.len() - 1
                }
            }
        });
        let assistant = meta.role == crate::store::Role::Assistant;
        if let Some(d) = d {
            self.days[d].all.add(amount);
        }
        if let Some(agent) = meta.agent() {
            let i = intern(&mut self.agents, |n| n == agent, || agent.to_string());
            self.agents[i].1.add(amount);
        }
        if !assistant {
            return;
        }
        if let Some(created) = meta.created()
            && let Some(done) = meta.time.as_ref().and_then(|t| t.completed)
            && done >= created
        {
            self.active_ms = self.active_ms.saturating_add(done - created);
        }
        if let Some(i) = model {
            self.models[i].1.add(amount);
            if let Some(d) = d {
                let day = &mut self.days[d];
                match day.models.iter_mut().find(|e| e.0 == i) {
                    Some(e) => e.2.add(amount),
                    None => day.models.push((i, 1, *amount)),
                }
            }
        }
    }

    /// Add another session's (or sessions') usage to this one.
    pub fn merge(&mut self, o: &Usage) {
        let models: Vec<usize> = o
            .models
            .iter()
            .map(|(name, a)| {
                let i = intern(&mut self.models, |n| n == name, || name.clone());
                self.models[i].1.add(a);
                i
            })
            .collect();
        for (name, a) in &o.agents {
            let i = intern(&mut self.agents, |n| n == name, || name.clone());
            self.agents[i].1.add(a);
        }
        self.active_ms = self.active_ms.saturating_add(o.active_ms);
        for od in &o.days {
            let d = match self.days.iter().position(|d| d.day == od.day) {
                Some(i) => i,
                None => {
                    self.days.push(Day {
                        day: od.day,
                        ..Day::default()
                    });
                    self.days.len() - 1
                }
            };
            let day = &mut self.days[d];
            day.sessions = day.sessions.saturating_add(od.sessions);
            day.all.add(&od.all);
            for &(om, sessions, a) in &od.models {
                let m = models[om];
                match day.models.iter_mut().find(|e| e.0 == m) {
                    Some(e) => {
                        e.1 = e.1.saturating_add(sessions);
                        e.2.add(&a);
                    }
                    None => day.models.push((m, sessions, a)),
                }
            }
        }
    }

    /// The `models` field of a document.
    pub fn model_list(&self) -> Vec<ModelUsage> {
        self.models
            .iter()
            .map(|(model, a)| ModelUsage {
                model: model.clone(),
                messages: a.messages,
                cost: a.cost,
                list_cost: a.list_cost,
                unpriced_messages: a.unpriced,
                tokens: a.tokens,
            })
            .collect()
    }

    /// The `agents` field of a document.
    pub fn agent_list(&self) -> Vec<AgentUsage> {
        self.agents
            .iter()
            .map(|(agent, a)| AgentUsage {
                agent: agent.clone(),
                messages: a.messages,
                cost: a.cost,
            })
            .collect()
    }

    /// The `daily` field of a document, sorted by day.
    pub fn daily(&self) -> Vec<DayUsage> {
        let mut days: Vec<&Day> = self.days.iter().collect();
        days.sort_by_key(|d| d.day);
        days.into_iter()
            .map(|d| DayUsage {
                day: day_string(d.day),
                sessions: d.sessions,
                messages: d.all.messages,
                cost: d.all.cost,
                list_cost: d.all.list_cost,
                unpriced_messages: d.all.unpriced,
                tokens: d.all.tokens,
                models: d
                    .models
                    .iter()
                    .map(|&(m, sessions, a)| DayModelUsage {
                        model: self.models[m].0.clone(),
                        sessions,
                        messages: a.messages,
                        cost: a.cost,
                        list_cost: a.list_cost,
                        unpriced_messages: a.unpriced,
                        tokens: a.tokens,
                    })
                    .collect(),
            })
            .collect()
    }
}

/// For `skip_serializing_if`: a count of nothing is left out.
pub fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Whether `name` is `provider/model` (compared without splitting it).
pub fn is_model(name: &str, provider: &str, model: &str) -> bool {
    name.len() == provider.len() + 1 + model.len()
        && name.as_bytes()[provider.len()] == b'/'
        && name.starts_with(provider)
        && name.ends_with(model)
}

/// `YYYY-MM-DD` of a day number (days since 1970-01-01).
pub fn day_string(day: i64) -> String {
    jiff::Timestamp::from_second(day * 86_400)
        .map(|t| {
            t.to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .date()
                .to_string()
        })
        .unwrap_or_else(|_| "invalid".into())
}

/// The index of the entry named as `is` recognises; `name` makes it when
/// it is new (so a known name costs no allocation).
fn intern(
    entries: &mut Vec<(String, Amount)>,
    is: impl Fn(&str) -> bool,
    name: impl FnOnce() -> String,
) -> usize {
    match entries.iter().position(|(n, _)| is(n)) {
        Some(i) => i,
        None => {
            entries.push((name(), Amount::default()));
            entries.len() - 1
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelUsage {
    pub model: String,
    pub messages: u64,
    pub cost: f64,
    /// The tokens at list price (see [`crate::prices`]): what the usage
    /// is worth, not what was paid.
    pub list_cost: f64,
    /// Assistant messages whose model has no list price (left out of
    /// `list_cost`); omitted when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub unpriced_messages: u64,
    pub tokens: TokenTotals,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentUsage {
    pub agent: String,
    pub messages: u64,
    pub cost: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DayUsage {
    pub day: String,
    pub sessions: u64,
    pub messages: u64,
    pub cost: f64,
    /// The tokens at list price (see [`crate::prices`]): what the usage
    /// is worth, not what was paid.
    pub list_cost: f64,
    /// Assistant messages whose model has no list price (left out of
    /// `list_cost`); omitted when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub unpriced_messages: u64,
    pub tokens: TokenTotals,
    pub models: Vec<DayModelUsage>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DayModelUsage {
    pub model: String,
    pub sessions: u64,
    pub messages: u64,
    pub cost: f64,
    /// The tokens at list price (see [`crate::prices`]): what the usage
    /// is worth, not what was paid.
    pub list_cost: f64,
    /// Assistant messages whose model has no list price (left out of
    /// `list_cost`); omitted when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub unpriced_messages: u64,
    pub tokens: TokenTotals,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(json: &str) -> MessageMeta<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn model_names_compare_without_splitting() {
        assert!(is_model("p/m", "p", "m"));
        assert!(is_model("a/b/c", "a", "b/c"));
        assert!(!is_model("a/b/c", "a/b", "x"));
        assert!(!is_model("pm/", "p", "m"));
        assert!(!is_model("p/mm", "p", "m"));
    }

    #[test]
    fn breaks_down_by_model_agent_and_utc_day_and_merges() {
        let mut a = Usage::default();
        // 2025-11-24T23:59:59Z, then 2025-11-25
        a.add(&meta(
            r#"{"role":"user","agent":"build","time":{"created":1764028799000}}"#,
        ));
        a.add(&meta(
            r#"{"role":"assistant","agent":"build","providerID":"p","modelID":"m","cost":0.5,"tokens":{"input":3,"output":4,"cache":{"read":5}},"time":{"created":1764028800001,"completed":1764028802001}}"#,
        ));
        a.add(&meta(
            r#"{"role":"assistant","mode":"plan","providerID":"q","modelID":"n","cost":0.25,"time":{"created":1764028800002,"completed":1}}"#,
        ));
        assert_eq!(
            a.active_ms, 2000,
            "a completion before creation counts nothing"
        );
        let daily = a.daily();
        assert_eq!(
            daily.iter().map(|d| d.day.as_str()).collect::<Vec<_>>(),
            ["2025-11-24", "2025-11-25"]
        );
        assert_eq!((daily[0].messages, daily[0].cost), (1, 0.0));
        assert_eq!((daily[1].messages, daily[1].cost), (2, 0.75));
        assert_eq!(daily[1].models.len(), 2);
        assert_eq!(daily[1].tokens.cache_read, 5);
        let agents = a.agent_list();
        assert_eq!(
            (agents[0].agent.as_str(), agents[0].messages, agents[0].cost),
            ("build", 2, 0.5)
        );
        assert_eq!(agents[1].agent, "plan");
        let mut sum = Usage::default();
        sum.merge(&a);
        sum.merge(&a);
        let d = sum.daily();
        assert_eq!((d[1].sessions, d[1].messages), (2, 4));
        assert_eq!((d[1].models[0].sessions, d[1].models[0].messages), (2, 2));
        assert_eq!(sum.model_list()[0].cost, 1.0);
        assert_eq!(sum.active_ms, 4000);
    }
}
