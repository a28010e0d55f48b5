//! Rows -> one self-contained HTML page: inline SVG charts drawn with
//! plotters (no script, no network), and tables.

use super::tools::ToolRow;
use super::{Dashboard, Row};
use crate::present::{count, duration, list_price, money, percent, todos};
use crate::usage::add_usd;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::fmt::Write;

/// Chart size in pixels.
const WIDE: (u32, u32) = (960, 360);

/// Series colours, in order (readable on white, distinct in print).
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xba, 0xb0, 0xac),
];

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A chart that could not be drawn (plotters reports its backend's errors).
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the {chart} chart: {msg}")]
pub struct ChartError {
    chart: &'static str,
    msg: String,
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Draw one chart into an SVG string.
fn svg(
    chart: &'static str,
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> Result<(), Box<dyn std::error::Error>>,
) -> Result<String, ChartError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        let result = root
            .fill(&WHITE)
            .map_err(|e| e.to_string())
            .and_then(|()| draw(&root).map_err(|e| e.to_string()))
            .and_then(|()| root.present().map_err(|e| e.to_string()));
        result.map_err(|msg| ChartError { chart, msg })?;
    }
    Ok(out)
}

/// A day label: `11-25` (the year is in the range above the chart).
fn short_day(key: &str) -> String {
    key.get(5..).unwrap_or(key).to_string()
}

/// The end of a long path or name, so that labels fit.
fn tail(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let rest: String = s.chars().skip(n - (max - 1)).collect();
    format!("…{rest}")
}

/// A stack's height: the sum of its positive values, stopping at the
/// largest finite number.
fn height(stack: &[f64]) -> f64 {
    stack
        .iter()
        .filter(|v| **v > 0.0)
        .fold(0.0, |sum, v| (sum + v).min(f64::MAX))
}

/// A value axis: from 0 to `end`, with ticks at `ticks` (plotters would
/// pick its own, which a formatter can make read alike).
struct Axis {
    end: f64,
    ticks: Vec<f64>,
}

impl Ranged for Axis {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        RangedCoordf64::from(0.0..self.end).map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        0.0..self.end
    }
}

/// The most intervals between ticks on a value axis.
const MAX_INTERVALS: f64 = 6.0;

/// A value axis for these stacks whose ticks stand at multiples of a round
/// step (1, 2 or 5 times a power of ten) and read differently once
/// labelled: the smallest such step that gives at most [`MAX_INTERVALS`]
/// intervals, so a cost axis never shows `$0.01` twice nor a count axis `0`
/// twice. The axis ends at the first tick at or above the tallest stack (1
/// when all are empty or too small to draw); always finite and not tiny.
fn axis(stacks: &[Vec<f64>], label: &impl Fn(f64) -> String) -> Axis {
    const SMALLEST: f64 = 1e-9;
    let max = stacks.iter().map(|s| height(s)).fold(0.0, f64::max);
    let max = if max > SMALLEST { max } else { 1.0 };
    // A power of ten at or below the tallest stack over the most intervals; each turn
    // tries the next larger step, and there are fewer than 330 powers of ten
    // between the smallest axis and the largest number.
    let mut power = 10f64.powi((max / MAX_INTERVALS).log10().floor() as i32);
    for _ in 0..330 {
        for step in [1.0, 2.0, 5.0].map(|m| m * power) {
            if !step.is_finite() {
                break;
            }
            // Less a hair, so that 0.3 / 0.1 stays 3 intervals.
            let n = (max / step - 1e-9).ceil().max(1.0);
            if n > MAX_INTERVALS {
                continue;
            }
            // Near the largest number the round end is past it: the axis
            // ends at the tallest stack, after the last tick below it.
            let end = Some(n * step).filter(|e| e.is_finite()).unwrap_or(max);
            let ticks: Vec<f64> = (0..=n as usize)
                .map(|k| k as f64 * step)
                .filter(|t| *t <= end)
                .collect();
            let labels: Vec<String> = ticks.iter().map(|t| label(*t)).collect();
            let distinct = labels
                .iter()
                .enumerate()
                .all(|(i, l)| !labels[..i].contains(l));
            if distinct {
                return Axis { end, ticks };
            }
        }
        power *= 10.0;
    }
    Axis {
        end: max,
        ticks: vec![0.0],
    }
}

/// Bars per day, each stacked from `parts(day)` (one value per series).
fn stacked_days(
    chart: &'static str,
    caption: &str,
    days: &[Row],
    series: &[String],
    parts: impl Fn(&Row) -> Vec<f64>,
    label: impl Fn(f64) -> String,
) -> Result<String, ChartError> {
    let stacks: Vec<Vec<f64>> = days.iter().map(&parts).collect();
    let y = axis(&stacks, &label);
    let n = days.len().max(1) as u32;
    svg(chart, WIDE, |root| {
        let mut c = ChartBuilder::on(root)
            .caption(caption, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(72)
            .build_cartesian_2d(-0.5..n.max(10) as f64 - 0.5, y)?;
        // At most 16 day labels, so that they never run into each other.
        let every = days.len().div_ceil(16).max(1);
        c.configure_mesh()
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .label_style(("sans-serif", 13))
            // Every day a candidate, so that every few days gets one.
            .x_labels(days.len().max(1))
            .x_label_formatter(&|v| match at(*v) {
                Some(i) if i % every == 0 => {
                    days.get(i).map(|d| short_day(&d.key)).unwrap_or_default()
                }
                _ => String::new(),
            })
            .y_label_formatter(&|y| label(*y))
            .draw()?;
        for k in 0..series.len() {
            let col = colour(k);
            c.draw_series(segments(&stacks, k).map(|(i, base, v)| {
                let x = i as f64;
                Rectangle::new([(x - 0.4, base), (x + 0.4, base + v)], col.filled())
            }))?;
        }
        Ok(())
    })
}

/// Series `k`'s segment of each stack that has one: the stack's index, where
/// the segment starts (the sum of the series below it) and its size.
fn segments(stacks: &[Vec<f64>], k: usize) -> impl Iterator<Item = (usize, f64, f64)> + '_ {
    stacks.iter().enumerate().filter_map(move |(i, s)| {
        let v = s[k].min(f64::MAX);
        (v > 0.0).then(|| (i, height(&s[..k]), v))
    })
}

/// Horizontal bars, one per name, each stacked from its values.
fn stacked_bars(
    chart: &'static str,
    caption: &str,
    names: &[String],
    stacks: &[Vec<f64>],
    series: &[&str],
    label: impl Fn(f64) -> String,
) -> Result<String, ChartError> {
    let x = axis(stacks, &label);
    let n = names.len().max(1) as u32;
    // A bar's band is about 34 pixels, so that one or two names do not
    // get fat bars.
    let height = (90 + 34 * n).clamp(140, 640);
    svg(chart, (WIDE.0, height), |root| {
        let mut c = ChartBuilder::on(root)
            .caption(caption, ("sans-serif", 20))
            .margin(12)
            // Room for the last tick's label, centred on the right end.
            .margin_right(36)
            .x_label_area_size(30)
            .y_label_area_size(260)
            .build_cartesian_2d(x, -0.5..n as f64 - 0.5)?;
        c.configure_mesh()
            .disable_y_mesh()
            .light_line_style(TRANSPARENT)
            .label_style(("sans-serif", 13))
            .y_labels(names.len().max(1))
            .y_label_formatter(&|v| {
                // The first name on top.
                at(*v)
                    .and_then(|i| names.len().checked_sub(i + 1))
                    .and_then(|i| names.get(i))
                    .map(|s| tail(s, 36))
                    .unwrap_or_default()
            })
            .x_label_formatter(&|x| label(*x))
            .draw()?;
        for k in 0..series.len() {
            let col = colour(k);
            c.draw_series(segments(stacks, k).map(|(i, base, v)| {
                let y = (stacks.len() - 1 - i) as f64;
                Rectangle::new([(base, y - 0.35), (base + v, y + 0.35)], col.filled())
            }))?;
        }
        Ok(())
    })
}

/// The index a label value stands on, if it is a whole number.
fn at(v: f64) -> Option<usize> {
    (v >= 0.0 && (v - v.round()).abs() < 1e-6).then(|| v.round() as usize)
}

/// The names of a chart's series with their colours, under the chart.
fn legend(series: &[impl AsRef<str>]) -> String {
    let mut out = String::from("<figcaption>");
    for (i, name) in series.iter().enumerate() {
        let RGBColor(r, g, b) = colour(i);
        let _ = write!(
            out,
            "<span><i style=\"background:#{r:02x}{g:02x}{b:02x}\"></i>{}</span>",
            esc(name.as_ref())
        );
    }
    out.push_str("</figcaption>");
    out
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 24px auto;
  max-width: 1000px; color: #222; background: #fafafa; }
h1 { font-size: 24px; margin-bottom: 4px; }
p.sub { color: #666; margin-top: 0; }
.cards { display: flex; gap: 12px; margin: 16px 0; }
.card { flex: 1; background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 10px 14px; }
.card b { display: block; font-size: 22px; }
.card span { color: #666; font-size: 13px; }
figure.chart { background: #fff; border: 1px solid #ddd; border-radius: 6px; margin: 16px 0;
  padding: 8px; }
figure.chart svg { display: block; width: 100%; height: auto; }
figcaption { font-size: 13px; color: #444; padding: 0 12px 4px; }
figcaption span { margin-right: 16px; white-space: nowrap; }
figcaption i { display: inline-block; width: 11px; height: 11px; margin-right: 5px;
  vertical-align: -1px; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 13px; margin: 8px 0 24px; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 5px 8px; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: bold; border-top: 2px solid #999; }
code { font-size: 12px; }
td.models, span.path { white-space: nowrap; }
p.empty { background: #fff; border: 1px solid #ddd; border-radius: 6px; margin: 16px 0;
  padding: 10px 14px; color: #555; }
p.empty b { color: #222; }
p.legend { font-size: 13px; color: #444; margin: -4px 0 16px; }
";

/// A chart with nothing to draw, as its title and the reason, shown as one
/// line in its place (an empty frame with ticks `0 0 0 1 1` says nothing).
fn empty(id: &str, d: &Dashboard, no_todos: bool) -> Option<(&'static str, &'static str)> {
    const NO_MESSAGES: &str = "no messages in this report.";
    const NO_COST: &str = "every message in this report recorded a cost of $0.00 \
                           (opencode records none for subscription and free models).";
    let spent = |rows: &[Row]| rows.iter().any(|r| r.cost > 0.0);
    match id {
        "cost-per-day" if d.days.is_empty() => Some(("Cost per day", NO_MESSAGES)),
        "cost-per-day" if !spent(&d.days) => Some(("Cost per day", NO_COST)),
        "tokens-per-day" if d.days.is_empty() => Some(("Tokens per day", NO_MESSAGES)),
        "tokens-per-day" if d.days.iter().all(|r| r.total_tokens() == 0) => Some((
            "Tokens per day",
            "no message in this report recorded any tokens.",
        )),
        "cost-per-project" if d.projects.is_empty() => Some(("Cost per project", NO_MESSAGES)),
        "cost-per-project" if !spent(&d.projects) => Some(("Cost per project", NO_COST)),
        "sessions-per-project" if d.projects.is_empty() => {
            Some(("Sessions per project", NO_MESSAGES))
        }
        "todo-completion" if no_todos => Some((
            "Todo completion per project",
            "no session in this report wrote a todo list.",
        )),
        _ => None,
    }
}

pub fn render(d: &Dashboard) -> Result<String, ChartError> {
    let total = &d.report.total;
    // Cost per day stacked by model: the models most spent on, the rest as one.
    let mut models: Vec<(String, f64)> = Vec::new();
    for day in &d.days {
        for m in &day.models {
            match models.iter_mut().find(|(n, _)| *n == m.key) {
                Some(e) => e.1 = add_usd(e.1, m.cost),
                None => models.push((m.key.clone(), m.cost)),
            }
        }
    }
    models.sort_by(|a, b| b.1.total_cmp(&a.1));
    const TOP: usize = 8;
    let mut series: Vec<String> = models.iter().take(TOP).map(|m| m.0.clone()).collect();
    if models.len() > TOP {
        series.push("other models".into());
    }
    let cost_chart = stacked_days(
        "cost per day",
        "Cost per day, by model (USD)",
        &d.days,
        &series,
        |day| {
            let mut v = vec![0.0; series.len()];
            for m in &day.models {
                let i = series
                    .iter()
                    .position(|s| *s == m.key)
                    .unwrap_or(series.len() - 1);
                v[i] = add_usd(v[i], m.cost);
            }
            v
        },
        money,
    )?;
    let kinds: Vec<String> = ["input", "output", "reasoning", "cache read", "cache write"]
        .map(String::from)
        .to_vec();
    let token_chart = stacked_days(
        "tokens per day",
        "Tokens per day",
        &d.days,
        &kinds,
        |day| {
            let t = &day.tokens;
            [t.input, t.output, t.reasoning, t.cache_read, t.cache_write]
                .map(|n| n as f64)
                .to_vec()
        },
        |y| count(y.max(0.0) as u64),
    )?;
    // The projects most spent on; the caption says when there are more.
    const TOP_PROJECTS: usize = 12;
    let top_projects: Vec<&Row> = d.projects.iter().take(TOP_PROJECTS).collect();
    let project_names: Vec<String> = top_projects.iter().map(|p| p.key.clone()).collect();
    let of_all = match d.projects.len() {
        n if n > TOP_PROJECTS => format!(", the {TOP_PROJECTS} most spent on of {n}"),
        _ => String::new(),
    };
    let project_chart = stacked_bars(
        "cost per project",
        &format!("Cost per project (USD){of_all}"),
        &project_names,
        &top_projects
            .iter()
            .map(|p| vec![p.cost])
            .collect::<Vec<_>>(),
        &["cost"],
        money,
    )?;
    let sessions_chart = stacked_bars(
        "sessions per project",
        &format!("Sessions per project{of_all}"),
        &project_names,
        &top_projects
            .iter()
            .map(|p| vec![p.sessions as f64])
            .collect::<Vec<_>>(),
        &["sessions"],
        |x| format!("{x:.0}"),
    )?;
    // Of the same projects, in the same order.
    let with_todos: Vec<_> = d
        .todos
        .iter()
        .filter(|t| t.todos.total > 0 && project_names.contains(&t.project))
        .collect();
    let todo_chart = stacked_bars(
        "todo completion",
        &format!("Todo completion per project{of_all}"),
        &with_todos
            .iter()
            .map(|t| t.project.clone())
            .collect::<Vec<_>>(),
        &with_todos
            .iter()
            .map(|t| {
                let t = t.todos;
                let other = t.total - t.completed - t.cancelled - t.pending;
                vec![
                    t.completed as f64,
                    t.cancelled as f64,
                    t.pending as f64,
                    other as f64,
                ]
            })
            .collect::<Vec<_>>(),
        &["completed", "cancelled", "open", "other"],
        |x| format!("{x:.0}"),
    )?;

    let mut h = String::new();
    let w = &mut h;
    let _ = write!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>opencode usage</h1>\n<p class=\"sub\">{title}</p>\n<div class=\"cards\">",
        title = esc(&d.title)
    );
    // Spent and, where the rows carry it, the list price beside it.
    let listed = total.list_cost.is_some();
    let unpriced = match total.unpriced_messages {
        1 => " · 1 reply unpriced".to_string(),
        n if n > 1 => format!(" · {n} replies unpriced"),
        _ => String::new(),
    };
    for (value, id, what) in [
        (money(total.cost), "spent", "spent".to_string()),
        (
            list_price(total.list_cost, total.unpriced_messages),
            "list-price",
            format!("at list price{unpriced}"),
        ),
        (count(total.total_tokens()), "tokens", "tokens".into()),
        (total.sessions.to_string(), "sessions", "sessions".into()),
        (total.messages.to_string(), "messages", "messages".into()),
    ] {
        if id == "list-price" && !listed {
            continue;
        }
        let _ = write!(
            w,
            "<div class=\"card\" id=\"{id}\"><b>{}</b><span>{}</span></div>",
            esc(&value),
            esc(&what)
        );
    }
    h.push_str("</div>\n");
    if listed {
        let _ = writeln!(
            h,
            "<p class=\"legend\" id=\"list-legend\"><b>Spent</b> (Cost) is what opencode \
             recorded for each reply: what was paid; subscriptions and free models record $0.00. \
             <b>At list price</b> (List price) is what the same tokens would have cost at the \
             providers' published rates (the price table shipped with session-export, or a \
             --prices file): what the usage is worth, not a bill.{}</p>",
            match total.unpriced_messages {
                0 => String::new(),
                n => format!(
                    " * leaves out the replies whose model has no list price ({n} here); \
                     –* none had one."
                ),
            }
        );
    }
    let none: [&str; 0] = [];
    for (id, svg, caption) in [
        ("cost-per-day", &cost_chart, legend(&series)),
        ("tokens-per-day", &token_chart, legend(&kinds)),
        ("cost-per-project", &project_chart, legend(&none)),
        ("sessions-per-project", &sessions_chart, legend(&none)),
        (
            "todo-completion",
            &todo_chart,
            legend(&["completed", "cancelled", "open", "other"]),
        ),
    ] {
        // The team page (`--convex`) has no todo lists: the deployment keeps
        // totals, not sessions' todos.
        if id == "todo-completion" && d.todos.is_empty() {
            continue;
        }
        if let Some((title, why)) = empty(id, d, with_todos.is_empty()) {
            let _ = writeln!(
                h,
                "<p class=\"empty\" id=\"{id}\"><b>{title}</b>: {}</p>",
                esc(why)
            );
            continue;
        }
        let _ = writeln!(
            h,
            "<figure class=\"chart\" id=\"{id}\">\n{}\n{caption}</figure>",
            svg.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
                .trim()
        );
    }
    // Sessions come from the store only (not from a deployment's totals).
    let list_head = if listed {
        "<th class=\"n\">List price</th>"
    } else {
        ""
    };
    let list_cell = |r: &Row| {
        if listed {
            format!(
                "<td class=\"n\">{}</td>",
                esc(&list_price(r.list_cost, r.unpriced_messages))
            )
        } else {
            String::new()
        }
    };
    if !d.sessions.is_empty() {
        let _ = writeln!(
            h,
            "<h2>Most expensive sessions</h2>\n<p class=\"sub\">Each with its subagents' usage rolled in.</p>\n\
             <table>\n<tr><th class=\"n\">Cost</th>{list_head}<th>Session</th><th>Agents</th><th>Models</th>\
             <th class=\"n\">Todos</th><th class=\"n\">Messages</th></tr>",
        );
        for s in d.sessions.iter().take(15) {
            let _ = writeln!(
                h,
                "<tr><td class=\"n\">{}</td>{}<td>{}<br><code>{}</code> · <span class=\"path\">{}</span></td><td>{}</td><td class=\"models\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                money(s.row.cost),
                list_cell(&s.row),
                esc(s.row.label.as_deref().unwrap_or("")),
                esc(&s.row.key),
                esc(&tail(&s.project, 40)),
                esc(&s.agents.join(", ")),
                // One model id a line: an id is long and reads badly cut.
                s.models
                    .iter()
                    .map(|m| esc(m))
                    .collect::<Vec<_>>()
                    .join("<br>"),
                todos(&s.todos),
                s.row.messages
            );
        }
        h.push_str("</table>\n");
    }
    if let Some(tools) = &d.tools {
        tool_section(&mut h, tools);
        h.push_str("</body>\n</html>\n");
        return Ok(h);
    }
    let r = &d.report;
    let _ = writeln!(
        h,
        "<h2>By {}</h2>\n<table>\n<tr><th>{}</th><th class=\"n\">Sessions</th><th class=\"n\">{}</th>\
         <th class=\"n\">Input</th><th class=\"n\">Output</th><th class=\"n\">Reasoning</th>\
         <th class=\"n\">Cache read</th><th class=\"n\">Cache write</th><th class=\"n\">Cost</th>{list_head}</tr>",
        r.by.name().to_lowercase(),
        r.by.name(),
        r.by.messages_header()
    );
    for (row, class) in r
        .rows
        .iter()
        .map(|x| (x, ""))
        .chain([(&r.total, " class=\"total\"")])
    {
        let t = &row.tokens;
        let key = match &row.label {
            Some(l) if !l.is_empty() => format!("{} <small>({})</small>", esc(&row.key), esc(l)),
            _ => esc(&row.key),
        };
        let _ = writeln!(
            h,
            "<tr{class}><td>{key}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td>{}</tr>",
            row.sessions,
            row.messages,
            count(t.input),
            count(t.output),
            count(t.reasoning),
            count(t.cache_read),
            count(t.cache_write),
            money(row.cost),
            list_cell(row)
        );
    }
    h.push_str("</table>\n</body>\n</html>\n");
    Ok(h)
}

/// `--by tool`: calls, failed calls and their share, and time per tool.
fn tool_section(h: &mut String, tools: &[ToolRow]) {
    h.push_str(
        "<h2>By tool</h2>\n<p class=\"sub\">Tool calls of the sessions; an error is a call that failed.</p>\n\
         <table id=\"tools\">\n<tr><th>Tool</th><th class=\"n\">Calls</th><th class=\"n\">Errors</th>\
         <th class=\"n\">Error rate</th><th class=\"n\">Time</th><th class=\"n\">Sessions</th></tr>\n",
    );
    for t in tools {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&t.key),
            t.calls,
            t.errors,
            percent(t.error_rate()),
            duration(t.ms),
            t.sessions
        );
    }
    h.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The labels of the ticks of an axis over one stack of `max`.
    fn labels(max: f64, label: impl Fn(f64) -> String) -> Vec<String> {
        axis(&[vec![max]], &label)
            .ticks
            .into_iter()
            .map(label)
            .collect()
    }

    #[test]
    fn ticks_are_round_and_read_differently() {
        // Costs of a few cents once read `$0.00, $0.0050, $0.01, $0.01, $0.02`.
        assert_eq!(labels(0.018, money), ["$0.00", "$0.01", "$0.02"]);
        assert_eq!(
            labels(0.037, money),
            ["$0.00", "$0.01", "$0.02", "$0.03", "$0.04"]
        );
        assert_eq!(
            labels(0.004, money),
            ["$0.00", "$0.0010", "$0.0020", "$0.0030", "$0.0040"]
        );
        assert_eq!(labels(4.3, money)[1..3], ["$1.00", "$2.00"]);
        // Counts of a few: whole numbers only.
        let whole = |x: f64| format!("{x:.0}");
        assert_eq!(labels(2.0, whole), ["0", "1", "2"]);
        assert_eq!(labels(0.0, whole), ["0", "1"]);
        assert_eq!(labels(12.0, whole), ["0", "2", "4", "6", "8", "10", "12"]);
        let tokens = |y: f64| count(y as u64);
        assert_eq!(labels(89_800.0, tokens)[..3], ["0", "20.0K", "40.0K"]);
        // The end is the last tick, at or above the tallest stack.
        let a = axis(&[vec![0.037]], &money);
        assert_eq!(a.ticks.last(), Some(&a.end));
        assert!(a.end >= 0.037);
    }

    #[test]
    fn any_values_give_a_finite_axis_whose_ticks_are_found() {
        let odd = [
            0.0,
            -1.0,
            5e-324,
            1e-300,
            1e-9,
            0.004,
            1e308,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let days: Vec<Row> = ["2026-11-01", "2026-11-02"]
            .map(|k| Row {
                key: k.into(),
                ..Row::default()
            })
            .to_vec();
        for a in odd {
            for b in odd {
                let stacks = vec![vec![a, b], vec![b, a]];
                let y = axis(&stacks, &money);
                assert!(y.end.is_finite() && y.end >= 1e-9, "{a} {b}: {}", y.end);
                assert!(y.ticks.len() >= 2, "{a} {b}: {:?}", y.ticks);
                // Drawn in a thread: a search for ticks that never ends
                // fails the test instead of hanging it.
                let (tx, rx) = std::sync::mpsc::channel();
                let days = days.clone();
                std::thread::spawn(move || {
                    let series = ["a".to_string(), "b".to_string()];
                    let drawn = stacked_days(
                        "t",
                        "t",
                        &days,
                        &series,
                        |d| stacks[usize::from(d.key.ends_with('2'))].clone(),
                        money,
                    );
                    let _ = tx.send(drawn.is_ok());
                });
                let drawn = rx.recv_timeout(std::time::Duration::from_secs(20));
                assert_eq!(drawn, Ok(true), "{a} {b}");
            }
        }
    }
}
