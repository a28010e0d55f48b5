//! Store -> facts: every message of the chosen sessions, summed into cells
//! of one day, one model and one agent per session, read on the lanes of
//! [`pipeline::lanes`] as export's documents are.

use crate::error::{Error, Warning};
use crate::pipeline;
use crate::store::{MessageMeta, SessionInfo, Store, Want};
use crate::usage::{Amount, ModelPrices, is_model};
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

impl Window {
    /// Whether something created at `created_ms` is in `[since, until)`;
    /// without a usable time, only in a window open at both ends.
    pub fn contains(&self, created_ms: Option<i64>) -> bool {
        let after = |t| created_ms.is_some_and(|c| c >= t);
        let before = |t| created_ms.is_some_and(|c| c < t);
        self.since_ms.is_none_or(after) && self.until_ms.is_none_or(before)
    }
}

/// Usage of one session on one day with one model (assistant messages
/// without a model, and user messages, have none) and one agent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    /// None for messages without a usable creation time: they count in
    /// totals but in no day.
    pub day: Option<Date>,
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
/// that could not be read (it is left out), of files of the store that
/// were skipped and of numbers in messages that were left out.
pub fn collect(
    store: &mut Store,
    sessions: &[&SessionInfo],
    window: &Window,
    warn: &mut dyn FnMut(Warning),
) -> Result<Facts, Error> {
    let mut facts = Facts::default();
    pipeline::lanes(
        store,
        sessions.iter().enumerate(),
        pipeline::BATCH,
        |store, lane: &mut Lane, (index, info)| {
            let read = pipeline::stable(store, |store| {
                let mut session = Session::default();
                let mut failed = None;
                let warnings = store.visit(info, Want::default(), &mut |meta, _| {
                    if failed.is_none()
                        && let Err(e) = session.message(meta, window, lane)
                    {
                        failed = Some(e);
                    }
                })?;
                failed.map_or(Ok((session, warnings)), Err)
            });
            (index, read)
        },
        |(index, read)| match read {
            Ok((session, warnings)) => {
                warnings.into_iter().for_each(&mut *warn);
                facts.add(index, session);
                Ok(())
            }
            Err(e @ Error::Unstable(_)) => Err(e),
            Err(e) => {
                warn(Warning::skipping(
                    format_args!("session {}", sessions[index].id),
                    e,
                ));
                Ok(())
            }
        },
    )?;
    Ok(facts)
}

impl Facts {
    /// Take in one session's cells, naming its models and agents here.
    fn add(&mut self, index: usize, session: Session) {
        if session.cells.is_empty() {
            return;
        }
        let models: Vec<usize> = session
            .models
            .iter()
            .map(|m| intern(&mut self.models, m))
            .collect();
        let agents: Vec<usize> = session
            .agents
            .iter()
            .map(|a| intern(&mut self.agents, a))
            .collect();
        let cells = session
            .cells
            .into_iter()
            .map(|c| Cell {
                model: c.model.map(|i| models[i]),
                agent: c.agent.map(|i| agents[i]),
                ..c
            })
            .collect();
        self.sessions.push(SessionFacts { index, cells });
    }
}

/// The index of `name` in `names`, added at the end when it is new.
fn intern(names: &mut Vec<String>, name: &str) -> usize {
    match names.iter().position(|n| n == name) {
        Some(i) => i,
        None => {
            names.push(name.to_string());
            names.len() - 1
        }
    }
}

/// One session's cells, read on a lane: their models and agents index the
/// session's own lists until [`Facts::add`] names them.
#[derive(Default)]
struct Session {
    cells: Vec<Cell>,
    models: Vec<String>,
    agents: Vec<String>,
    /// The list prices of `models`.
    prices: ModelPrices,
}

/// What a lane remembers from one message to the next.
#[derive(Default)]
struct Lane {
    /// The day of the last message: `[start, end)` in epoch ms.
    day: Option<(i64, i64, Date)>,
}

impl Session {
    fn message(
        &mut self,
        meta: &MessageMeta<'_>,
        window: &Window,
        lane: &mut Lane,
    ) -> Result<(), Error> {
        let created = meta.created();
        if !window.contains(created) {
            return Ok(());
        }
        let day = match created {
            Some(created) => Some(lane.day_of(created, &window.tz)?),
            None => None,
        };
        let assistant = meta.role == crate::store::Role::Assistant;
        let model = if assistant { self.model(meta) } else { None };
        let price = model.and_then(|i| self.prices.of(i, &self.models[i]));
        let amount = Amount::of(meta, price);
        let agent = meta.agent().map(|a| intern(&mut self.agents, a));
        let same = |c: &Cell| {
            c.day == day && c.assistant == assistant && c.model == model && c.agent == agent
        };
        match self.cells.iter_mut().rev().find(|c| same(c)) {
            Some(c) => c.amount.add(&amount),
            None => self.cells.push(Cell {
                day,
                assistant,
                model,
                agent,
                amount,
            }),
        }
        Ok(())
    }

    /// The index of an assistant message's `provider/model`.
    fn model(&mut self, meta: &MessageMeta<'_>) -> Option<usize> {
        let (p, m) = meta.model()?;
        let models = &mut self.models;
        Some(match models.iter().position(|n| is_model(n, p, m)) {
            Some(i) => i,
            None => {
                models.push(format!("{p}/{m}"));
                models.len() - 1
            }
        })
    }
}

impl Lane {
    /// The calendar day of `ms` in the window's time zone.
    fn day_of(&mut self, ms: i64, tz: &TimeZone) -> Result<Date, Error> {
        if let Some((start, end, date)) = self.day
            && (start..end).contains(&ms)
        {
            return Ok(date);
        }
        let bad = |source| Error::BadTime { ms, source };
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

    fn window(tz: TimeZone, since_ms: Option<i64>) -> Window {
        Window {
            since_ms,
            until_ms: None,
            tz,
        }
    }

    #[test]
    fn days_are_cut_in_the_window_time_zone() {
        let ms = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_millisecond();
        let five_west = TimeZone::fixed(jiff::tz::Offset::constant(-5));
        let mut lane = Lane::default();
        let mut day = |tz: &TimeZone, s: &str| lane.day_of(ms(s), tz).unwrap().to_string();
        assert_eq!(day(&five_west, "2025-11-25T03:00:00Z"), "2025-11-24");
        assert_eq!(day(&five_west, "2025-11-25T04:59:59.999Z"), "2025-11-24");
        assert_eq!(day(&five_west, "2025-11-25T05:00:00Z"), "2025-11-25");
        assert_eq!(day(&five_west, "2025-11-25T03:00:00Z"), "2025-11-24");
        let mut utc = Lane::default();
        let z = ms("2025-11-25T03:00:00Z");
        assert_eq!(
            utc.day_of(z, &TimeZone::UTC).unwrap().to_string(),
            "2025-11-25"
        );
    }

    #[test]
    fn messages_sum_into_cells_and_the_window_drops_older_ones() {
        let w = window(TimeZone::UTC, Some(1_764_000_000_000));
        let mut lane = Lane::default();
        let mut session = Session::default();
        for json in [
            r#"{"role":"user","agent":"build","time":{"created":1764028800000}}"#,
            r#"{"role":"assistant","agent":"build","providerID":"p","modelID":"m","cost":0.5,"tokens":{"input":2},"time":{"created":1764028800001}}"#,
            r#"{"role":"assistant","agent":"build","providerID":"p","modelID":"m","cost":0.25,"tokens":{"input":3},"time":{"created":1764028800002}}"#,
            r#"{"role":"assistant","cost":1.0,"time":{"created":1764028800003}}"#,
            r#"{"role":"assistant","providerID":"p","modelID":"m","cost":9.0,"time":{"created":1}}"#,
        ] {
            let meta: MessageMeta = serde_json::from_str(json).unwrap();
            session.message(&meta, &w, &mut lane).unwrap();
        }
        let mut facts = Facts::default();
        facts.add(
            0,
            Session {
                models: vec!["q/n".into(), "p/m".into()],
                ..Session::default()
            },
        );
        facts.add(1, session);
        let cells = &facts.sessions[0].cells;
        assert_eq!(cells.len(), 3, "{cells:?}");
        assert_eq!((cells[1].amount.messages, cells[1].amount.cost), (2, 0.75));
        assert_eq!(cells[1].amount.tokens.input, 5);
        assert_eq!((cells[2].model, cells[2].agent), (None, None));
        assert_eq!(
            facts.sessions.len(),
            1,
            "a session without cells is left out"
        );
        assert_eq!(cells[1].model, Some(0));
        assert_eq!(facts.models, ["p/m"]);
        assert_eq!(facts.agents, ["build"]);
    }
}
