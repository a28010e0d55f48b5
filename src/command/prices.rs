//! `prices`: the list prices models are valued at, and where each came
//! from; without models, those of the store, and the ones it cannot price.

use crate::context::Context;
use crate::error::{Error, ExitCode};
use crate::output::{Output, printable};
use crate::prices::{Origin, Price, PriceBook, Priced, Via};
use crate::report::collect::{self, Window};
use crate::settings::{Prices, Settings};
use crate::store::SessionInfo;
use jiff::tz::TimeZone;
use std::io::Write;

pub fn run(s: &Settings, args: &Prices, out: &mut Output) -> Result<ExitCode, Error> {
    let book = crate::prices::install(args.overrides.as_deref())?;
    if args.info {
        info(book, out.out).map_err(Error::Output)?;
        return Ok(ExitCode::Ok);
    }
    let models: Vec<(String, Option<u64>)> = if args.models.is_empty() {
        store_models(s, out)?
            .into_iter()
            .map(|(m, n)| (m, Some(n)))
            .collect()
    } else {
        args.models.iter().map(|m| (m.clone(), None)).collect()
    };
    if models.is_empty() {
        out.note("no assistant message in the store names a model: nothing to price");
        return Ok(ExitCode::Ok);
    }
    let rows: Vec<Row> = models
        .iter()
        .map(|(model, messages)| row(book, model, *messages))
        .collect();
    table(&rows, args.models.is_empty(), out.out).map_err(Error::Output)?;
    let unpriced: Vec<&Row> = rows.iter().filter(|r| r.prices.is_none()).collect();
    if !unpriced.is_empty() {
        let messages: u64 = unpriced.iter().filter_map(|r| r.messages).sum();
        let one = unpriced.len() == 1;
        let counted = match (args.models.is_empty(), messages) {
            (false, _) => String::new(),
            (true, n) => format!(
                " ({} {n} {} counted as unpriced)",
                if one { "its" } else { "their" },
                if n == 1 { "message is" } else { "messages are" }
            ),
        };
        out.note(&format!(
            "{} of {} models {} no list price{counted}; give {} one with --prices FILE",
            unpriced.len(),
            rows.len(),
            if one { "has" } else { "have" },
            if one { "it" } else { "them" }
        ));
    }
    Ok(ExitCode::Ok)
}

/// The `provider/model` of every assistant message in the store, with
/// their message counts, most used first.
fn store_models(s: &Settings, out: &mut Output) -> Result<Vec<(String, u64)>, Error> {
    let Context {
        mut store, catalog, ..
    } = Context::open(&s.store, out)?;
    let sessions: Vec<&SessionInfo> = catalog.sessions.iter().collect();
    let window = Window {
        since_ms: None,
        until_ms: None,
        tz: TimeZone::UTC,
    };
    let facts = collect::collect(&mut store, &sessions, &window, &mut |w| out.warn(&w))?;
    let mut counts = vec![0u64; facts.models.len()];
    for cell in facts.sessions.iter().flat_map(|s| &s.cells) {
        if let (true, Some(m)) = (cell.assistant, cell.model) {
            counts[m] += cell.amount.messages;
        }
    }
    let mut models: Vec<(String, u64)> = facts.models.into_iter().zip(counts).collect();
    models.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(models)
}

/// One line of the table.
struct Row {
    model: String,
    messages: Option<u64>,
    /// Input, output, cache read, cache write; `None`: unpriced.
    prices: Option<[Option<f64>; 4]>,
    from: String,
}

fn row(book: &PriceBook, model: &str, messages: Option<u64>) -> Row {
    let model_shown = printable(model).into_owned();
    let Some(p) = book.price(model) else {
        return Row {
            model: model_shown,
            messages,
            prices: None,
            from: "unpriced: no list price in the table or the override file".into(),
        };
    };
    let q = p.price;
    Row {
        model: model_shown,
        messages,
        prices: Some([Some(q.input), Some(q.output), q.cache_read, q.cache_write]),
        from: from(book, &p),
    }
}

/// Where a price came from, and what else it says.
fn from(book: &PriceBook, p: &Priced<'_>) -> String {
    let mut s = match p.origin {
        Origin::Shipped => format!("snapshot {}", book.snapshot().snapshot),
        Origin::Override(path) => format!("override {}", printable(&path.display().to_string())),
    };
    match p.via {
        Via::Exact => {}
        Via::Normalised | Via::Maker => {
            s.push_str(&format!(", as {} ({})", printable(p.id), p.via.name()))
        }
    }
    if let Some(r) = p.price.reasoning {
        s.push_str(&format!("; reasoning {r}"));
    }
    if let Some(long) = &p.price.context_over_200k {
        s.push_str(&format!("; past 200k context {}", four(long)));
    }
    s
}

/// `input/output/cache read/cache write`, `-` for a price not given.
fn four(p: &Price) -> String {
    [Some(p.input), Some(p.output), p.cache_read, p.cache_write]
        .iter()
        .map(|v| number(*v))
        .collect::<Vec<_>>()
        .join("/")
}

fn number(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

fn table(rows: &[Row], with_messages: bool, w: &mut dyn Write) -> std::io::Result<()> {
    let mut head = vec!["MODEL", "INPUT", "OUTPUT", "CACHE READ", "CACHE WRITE"];
    if with_messages {
        head.push("MESSAGES");
    }
    head.push("FROM");
    let lines: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut cells = vec![r.model.clone()];
            match r.prices {
                Some(p) => cells.extend(p.iter().map(|v| number(*v))),
                None => cells.extend(std::iter::repeat_n("-".to_string(), 4)),
            }
            if with_messages {
                cells.push(r.messages.unwrap_or(0).to_string());
            }
            cells.push(r.from.clone());
            cells
        })
        .collect();
    let width = |c: usize| {
        lines
            .iter()
            .map(|l| l[c].chars().count())
            .chain([head[c].len()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..head.len()).map(width).collect();
    writeln!(
        w,
        "USD per million tokens; reasoning is billed as output unless a row says otherwise"
    )?;
    let last = head.len() - 1;
    let line = |cells: &[&str], w: &mut dyn Write| -> std::io::Result<()> {
        let mut text = String::new();
        for (c, cell) in cells.iter().enumerate() {
            let pad = widths[c].saturating_sub(cell.chars().count());
            match c {
                0 => text.push_str(&format!("{cell}{}", " ".repeat(pad))),
                c if c == last => text.push_str(cell),
                _ => text.push_str(&format!("{}{cell}", " ".repeat(pad))),
            }
            if c != last {
                text.push_str("  ");
            }
        }
        writeln!(w, "{}", text.trim_end())
    };
    line(&head, w)?;
    for l in &lines {
        let cells: Vec<&str> = l.iter().map(String::as_str).collect();
        line(&cells, w)?;
    }
    Ok(())
}

fn info(book: &PriceBook, w: &mut dyn Write) -> std::io::Result<()> {
    let s = book.snapshot();
    writeln!(w, "source:    {}", s.source)?;
    writeln!(w, "sha256:    {}", s.sha256)?;
    writeln!(w, "snapshot:  {}", s.snapshot)?;
    writeln!(w, "models:    {}", book.shipped_models())?;
    writeln!(w, "unit:      {}", s.unit)?;
    match book.overrides() {
        Some((path, n)) => writeln!(
            w,
            "override:  {} ({n} models)",
            printable(&path.display().to_string())
        ),
        None => writeln!(
            w,
            "override:  none (--prices FILE, or `prices` in the config file)"
        ),
    }
}
