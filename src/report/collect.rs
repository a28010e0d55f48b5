//! Store -> facts: every message of the chosen sessions, summed into cells
//! of one day, one model and one agent per session. The calling thread
//! reads the store while a worker parses ([`pipeline::overlap`], as export
//! does).

use crate::error::Error;
use crate::pipeline::{self, overlap};
use crate::store::{MessageMeta, RawMessages, SessionInfo, Store, Want};
use crate::usage::{Amount, is_model};
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Which messages count, and how days are cut.
#[derive(Debug, Clone)]
pub struct Window {
    /// Only messages created in `[since, until)` (epoch ms).
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// The time zone days are cut in.
    pub tz: TimeZone,
}

/// Usage of one session on one day with one model (assistant messages
/// without a model, and user messages, have none) and one agent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub day: Date,
    pub assistant: bool,
    /// Index into [`Facts::models`].
    pub model: Option<usize>,
    /// Index into [`Facts::agents`].
    pub agent: Option<usize>,
    pub amount: Amount,
}

/// One session's cells.
#[derive(Debug, Clone)]
pub struct SessionFacts {
    /// Its index in the list of sessions handed to [`collect`].
    pub index: usize,
    pub cells: Vec<Cell>,
}

/// The usage of all sessions read, with the names cells refer to.
#[derive(Debug, Default)]
pub struct Facts {
    /// `provider/model`, in order of first use.
    pub models: Vec<String>,
    pub agents: Vec<String>,
    /// In the order the sessions were handed over; sessions that could not
    /// be read are missing (a warning said so).
    pub sessions: Vec<SessionFacts>,
}

/// Read and sum the messages of `sessions`; `warn` hears of each session
/// that could not be read (it is left out).
pub fn collect(
    store: &mut Store,
    sessions: &[&SessionInfo],
    window: &Window,
    warn: &mut dyn FnMut(String),
) -> Result<Facts, Error> {
    let mut worker = Worker {
        facts: Facts::default(),
        window: window.clone(),
        day: None,
        last_model: None,
    };
    let mut todo = sessions.iter().enumerate();
    overlap(
        || todo.next().map(|(index, info)| (index, read(store, info))),
        |(_, raw)| raw.as_ref().map_or(0, RawMessages::bytes),
        |(index, raw)| {
            raw.and_then(|raw| worker.session(index, raw))
                .map_err(|e| (index, e))
        },
        |done| match done {
            Ok(()) => Ok(true),
            Err((_, e @ Error::Unstable(_))) => Err(e),
            Err((index, e)) => {
                warn(format!("skipping session {}: {e}", sessions[index].id));
                Ok(true)
            }
        },
    )?;
    Ok(worker.facts)
}

/// A session's messages, read again while the store changes under an
/// immutable snapshot.
fn read(store: &mut Store, info: &SessionInfo) -> Result<RawMessages, Error> {
    for _ in 0..pipeline::REREADS {
        let raw = store.fetch(info, Want::default())?;
        if store.revalidate()? {
            return Ok(raw);
        }
    }
    Err(Error::Unstable(store.data_dir().to_path_buf()))
}

struct Worker {
    facts: Facts,
    window: Window,
    /// The day of the last message: `[start, end)` in epoch ms.
    day: Option<(i64, i64, Date)>,
    /// The model of the last assistant message, for a quick match.
    last_model: Option<usize>,
}

impl Worker {
    fn session(&mut self, index: usize, raw: RawMessages) -> Result<(), Error> {
        let mut cells: Vec<Cell> = Vec::new();
        let mut failed = None;
        raw.visit(&mut |meta, _| {
            if failed.is_none()
                && let Err(e) = self.message(meta, &mut cells)
            {
                failed = Some(e);
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        if !cells.is_empty() {
            self.facts.sessions.push(SessionFacts { index, cells });
        }
        Ok(())
    }

    fn message(&mut self, meta: &MessageMeta<'_>, cells: &mut Vec<Cell>) -> Result<(), Error> {
        let created = meta.created();
        let w = &self.window;
        if w.since_ms.is_some_and(|t| created < t) || w.until_ms.is_some_and(|t| created >= t) {
            return Ok(());
        }
        let day = self.day_of(created)?;
        let assistant = meta.role() == "assistant";
        let amount = Amount::of(meta);
        let model = if assistant { self.model(meta) } else { None };
        let agent = meta.agent().map(|a| {
            let agents = &mut self.facts.agents;
            match agents.iter().position(|n| n == a) {
                Some(i) => i,
                None => {
                    agents.push(a.to_string());
                    agents.len() - 1
                }
            }
        });
        let same = |c: &Cell| {
            c.day == day && c.assistant == assistant && c.model == model && c.agent == agent
        };
        match cells.iter_mut().rev().find(|c| same(c)) {
            Some(c) => c.amount.add(&amount),
            None => cells.push(Cell {
                day,
                assistant,
                model,
                agent,
                amount,
            }),
        }
        Ok(())
    }

    /// The interned `provider/model` of an assistant message.
    fn model(&mut self, meta: &MessageMeta<'_>) -> Option<usize> {
        let (p, m) = meta.model()?;
        let models = &mut self.facts.models;
        let is = |i: usize| is_model(&models[i], p, m);
        if let Some(i) = self.last_model.filter(|&i| is(i)) {
            return Some(i);
        }
        let i = match (0..models.len()).find(|&i| is(i)) {
            Some(i) => i,
            None => {
                models.push(format!("{p}/{m}"));
                models.len() - 1
            }
        };
        self.last_model = Some(i);
        Some(i)
    }

    /// The calendar day of `ms` in the window's time zone.
    fn day_of(&mut self, ms: i64) -> Result<Date, Error> {
        if let Some((start, end, date)) = self.day
            && (start..end).contains(&ms)
        {
            return Ok(date);
        }
        let bad =
            |e: jiff::Error| Error::Usage(format!("a message time {ms} is out of range: {e}"));
        let tz = &self.window.tz;
        let at = jiff::Timestamp::from_millisecond(ms).map_err(bad)?;
        let zoned = at.to_zoned_datetime(tz.clone());
        let date = zoned.date();
        let start = zoned.start_of_day().map_err(bad)?.timestamp();
        let end = date
            .tomorrow()
            .and_then(|d| d.to_zoned_datetime(tz.clone()))
            .and_then(|z| z.start_of_day())
            .map_err(bad)?
            .timestamp();
        self.day = Some((start.as_millisecond(), end.as_millisecond(), date));
        Ok(date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(tz: TimeZone, since_ms: Option<i64>) -> Worker {
        Worker {
            facts: Facts::default(),
            window: Window {
                since_ms,
                until_ms: None,
                tz,
            },
            day: None,
            last_model: None,
        }
    }

    #[test]
    fn days_are_cut_in_the_window_time_zone() {
        let ms = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_millisecond();
        let five_west = TimeZone::fixed(jiff::tz::Offset::constant(-5));
        let mut w = worker(five_west, None);
        let day = |w: &mut Worker, s: &str| w.day_of(ms(s)).unwrap().to_string();
        assert_eq!(day(&mut w, "2025-11-25T03:00:00Z"), "2025-11-24");
        assert_eq!(day(&mut w, "2025-11-25T04:59:59.999Z"), "2025-11-24");
        assert_eq!(day(&mut w, "2025-11-25T05:00:00Z"), "2025-11-25");
        assert_eq!(day(&mut w, "2025-11-25T03:00:00Z"), "2025-11-24");
        let mut utc = worker(TimeZone::UTC, None);
        assert_eq!(day(&mut utc, "2025-11-25T03:00:00Z"), "2025-11-25");
    }

    #[test]
    fn messages_sum_into_cells_and_the_window_drops_older_ones() {
        let mut w = worker(TimeZone::UTC, Some(1_764_000_000_000));
        let mut cells = Vec::new();
        for json in [
            r#"{"role":"user","agent":"build","time":{"created":1764028800000}}"#,
            r#"{"role":"assistant","agent":"build","providerID":"p","modelID":"m","cost":0.5,"tokens":{"input":2},"time":{"created":1764028800001}}"#,
            r#"{"role":"assistant","agent":"build","providerID":"p","modelID":"m","cost":0.25,"tokens":{"input":3},"time":{"created":1764028800002}}"#,
            r#"{"role":"assistant","cost":1.0,"time":{"created":1764028800003}}"#,
            r#"{"role":"assistant","providerID":"p","modelID":"m","cost":9.0,"time":{"created":1}}"#,
        ] {
            let meta: MessageMeta = serde_json::from_str(json).unwrap();
            w.message(&meta, &mut cells).unwrap();
        }
        assert_eq!(cells.len(), 3, "{cells:?}");
        assert_eq!((cells[1].amount.messages, cells[1].amount.cost), (2, 0.75));
        assert_eq!(cells[1].amount.tokens.input, 5);
        assert_eq!((cells[2].model, cells[2].agent), (None, None));
        assert_eq!(w.facts.models, ["p/m"]);
        assert_eq!(w.facts.agents, ["build"]);
    }
}
