//! The HTML report as a person sees it: opened in headless Chromium
//! (Debian's `chromium`; `.ci/run` installs it), with no console errors,
//! every chart laid out, and a screenshot saved to
//! `target/report-html/report.png`.

mod common;

use common::TestEnv;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const CHARTS: [&str; 5] = [
    "cost-per-day",
    "tokens-per-day",
    "cost-per-project",
    "sessions-per-project",
    "todo-completion",
];

/// The browser: `$CHROMIUM`, else Debian's `/usr/bin/chromium`. Without
/// it the test that needs it is skipped with a notice on stderr (written
/// past the test harness's capture, so `cargo test` shows it), so the other
/// suites still run on a machine without a browser; under `CI=true` (CI
/// installs it) a missing browser fails instead.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if path.exists() {
        return Some(path);
    }
    let why = format!(
        "{} is missing: `apt-get install chromium` (or set CHROMIUM)",
        path.display()
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
    let _ = writeln!(
        std::io::stderr(),
        "\n*** NOTICE: {why}; the HTML page was not opened in a browser (test skipped) ***\n"
    );
    None
}

/// Run headless Chromium on `page` with `args`; its stdout and stderr.
fn browse(browser: &Path, page: &Path, profile: &Path, args: &[&str]) -> (String, String) {
    let out = Command::new("timeout")
        .arg("120")
        .arg(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--enable-logging=stderr",
            "--log-level=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "chromium: {out:?}");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Console messages of level error (and uncaught exceptions) in Chromium's log.
fn console_errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("CONSOLE") && (l.contains(":ERROR:") || l.contains("Uncaught")))
        .collect()
}

/// Lays the page out and marks on `<body>` how many charts have an SVG
/// with a real size and at least one bar (a rect besides the background).
const CHECK: &str = r#"<script>
const figs = [...document.querySelectorAll('figure.chart')];
const drawn = figs.filter(f => {
  const svg = f.querySelector('svg');
  if (!svg) return false;
  const r = svg.getBoundingClientRect();
  return r.width > 300 && r.height > 100 && svg.querySelectorAll('rect').length >= 2;
}).map(f => f.id);
document.body.setAttribute('data-drawn', drawn.join(' '));
</script>"#;

/// Marks on `<body>` each chart's value axis as laid out: the labels in line
/// with the one at zero (`0`, `$0.00`), in a column on the charts per day
/// and in a row on the charts per project; `id=label|label;...`.
const TICKS: &str = r#"<script>
const axes = [...document.querySelectorAll('figure.chart')].map(f => {
  const texts = [...f.querySelectorAll('svg text')];
  const zero = texts.find(t => ['0', '$0.00'].includes(t.textContent.trim()));
  if (!zero) return f.id + '=';
  const along = f.id.endsWith('-per-day') ? 'x' : 'y';
  const line = texts.filter(t => t.getAttribute(along) === zero.getAttribute(along));
  return f.id + '=' + line.map(t => t.textContent.trim()).join('|');
});
document.body.setAttribute('data-ticks', axes.join(';'));
</script>"#;

/// An attribute that a check script set on `<body>`, from the dumped DOM.
fn marked<'a>(dom: &'a str, name: &str) -> &'a str {
    dom.split(&format!("{name}=\""))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("the check ran: {dom:.500}"))
}

/// What a tick label stands for: `$0.05` 0.05, `20.0K` 20000, `12` 12.
fn tick_value(label: &str) -> f64 {
    let s = label.trim_start_matches('$');
    let (num, scale) = match s.chars().last() {
        Some('K') => (&s[..s.len() - 1], 1e3),
        Some('M') => (&s[..s.len() - 1], 1e6),
        Some('B') => (&s[..s.len() - 1], 1e9),
        _ => (s, 1.0),
    };
    num.parse::<f64>()
        .unwrap_or_else(|e| panic!("tick {label:?}: {e}"))
        * scale
}

/// A value axis a person can read: at least two ticks, no label twice,
/// from zero up in equal steps of 1, 2 or 5 times a power of ten.
fn assert_readable(chart: &str, labels: &[&str]) {
    assert!(labels.len() >= 2, "{chart}: ticks {labels:?}");
    for (i, l) in labels.iter().enumerate() {
        assert!(!labels[..i].contains(l), "{chart}: {l} twice in {labels:?}");
    }
    let mut values: Vec<f64> = labels.iter().map(|l| tick_value(l)).collect();
    values.sort_by(f64::total_cmp);
    assert_eq!(values[0], 0.0, "{chart}: {labels:?}");
    let step = values[1];
    let power = 10f64.powf(step.log10().floor());
    let m = step / power;
    assert!(
        [1.0, 2.0, 5.0, 10.0].iter().any(|r| (m - r).abs() < 1e-6),
        "{chart}: a step of {step} is not round: {labels:?}"
    );
    for (k, v) in values.iter().enumerate() {
        assert!(
            (v - k as f64 * step).abs() <= step * 1e-6,
            "{chart}: {v} is not tick {k} of {step}: {labels:?}"
        );
    }
}

/// The page of `fx` (`report --html` with `args`) as Chromium lays it out:
/// the HTML, the charts drawn (as [`CHECK`] finds them) and each chart's
/// value-axis labels; a screenshot goes to `target/report-html/NAME.png`.
fn look(
    browser: &Path,
    fx: &TestEnv,
    name: &str,
    args: &[&str],
) -> (String, String, Vec<(String, Vec<String>)>) {
    let dir = fx.tmp.path().join(format!("look-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    fx.cmd()
        .args(["report", "--utc"])
        .args(args)
        .arg("--html")
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../report-html");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&shot);
    let (_, log) = browse(
        browser,
        &page,
        &dir.join("profile-shot"),
        &[
            "--window-size=1100,2600",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    assert_eq!(console_errors(&log), Vec::<&str>::new(), "{log}");
    assert!(std::fs::read(&shot).unwrap().starts_with(b"\x89PNG"));
    let checked = dir.join("checked.html");
    std::fs::write(
        &checked,
        html.replace("</body>", &format!("{CHECK}{TICKS}</body>")),
    )
    .unwrap();
    let (dom, log) = browse(browser, &checked, &dir.join("profile-dom"), &["--dump-dom"]);
    assert_eq!(console_errors(&log), Vec::<&str>::new(), "{log}");
    let drawn = marked(&dom, "data-drawn").to_string();
    let ticks = marked(&dom, "data-ticks")
        .split(';')
        .filter(|a| !a.is_empty())
        .map(|a| {
            let (id, labels) = a.split_once('=').unwrap();
            let labels = labels
                .split('|')
                .filter(|l| !l.is_empty())
                .map(|l| l.replace("&amp;", "&"))
                .collect();
            (id.to_string(), labels)
        })
        .collect();
    (html, drawn, ticks)
}

/// Every chart's value axis is readable.
fn assert_axes_readable(ticks: &[(String, Vec<String>)]) {
    for (id, labels) in ticks {
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        assert_readable(id, &labels);
    }
}

#[test]
fn the_page_opens_without_network_or_errors_and_every_chart_is_drawn() {
    let fx = TestEnv::load("v1.18.33");
    let dir = fx.tmp.path().join("html");
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    fx.cmd()
        .args(["report", "--utc", "--html"])
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: nothing to fetch.
    for bad in ["<script", "<link", "src=", "href=", "url(", "@import"] {
        assert!(!html.contains(bad), "the page loads something: {bad}");
    }
    for id in CHARTS {
        assert!(html.contains(&format!("id=\"{id}\"")), "chart {id}");
    }
    assert!(html.contains("Fixture long-chat"), "the sessions table");
    let Some(browser) = chromium() else {
        return;
    };

    // The page as it is: no console errors; a screenshot.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../report-html");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("report.png");
    let _ = std::fs::remove_file(&shot);
    let (_, log) = browse(
        &browser,
        &page,
        &dir.join("profile-1"),
        &[
            "--window-size=1100,2600",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    assert_eq!(console_errors(&log), Vec::<&str>::new(), "{log}");
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "a real picture"
    );

    // Laid out: every chart has a size and bars.
    let checked = dir.join("checked.html");
    std::fs::write(
        &checked,
        html.replace("</body>", &format!("{CHECK}</body>")),
    )
    .unwrap();
    let (dom, log) = browse(&browser, &checked, &dir.join("profile-2"), &["--dump-dom"]);
    assert_eq!(console_errors(&log), Vec::<&str>::new(), "{log}");
    let drawn = dom
        .split("data-drawn=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("the check ran: {dom:.500}"));
    assert_eq!(drawn, CHARTS.join(" "), "charts drawn");

    // The console check can fail: a page with an error is caught.
    let broken = dir.join("broken.html");
    std::fs::write(
        &broken,
        "<html><body><script>console.error('probe'); undefinedThing();</script></body></html>",
    )
    .unwrap();
    let (_, log) = browse(&browser, &broken, &dir.join("profile-3"), &["--dump-dom"]);
    assert!(!console_errors(&log).is_empty(), "errors are seen: {log}");
}

#[test]
fn without_a_browser_the_page_test_is_skipped_loudly_except_in_ci() {
    // This test binary, running only the browser test, with no browser.
    let run = |ci: Option<&str>| {
        let mut c = Command::new(std::env::current_exe().unwrap());
        c.args([
            "--exact",
            "the_page_opens_without_network_or_errors_and_every_chart_is_drawn",
        ])
        .env("CHROMIUM", "/nonexistent/chromium")
        .env_remove("CI");
        if let Some(ci) = ci {
            c.env("CI", ci);
        }
        c.output().unwrap()
    };
    let out = run(None);
    let err = common::stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("NOTICE: /nonexistent/chromium is missing: `apt-get install chromium`"),
        "{err}"
    );
    let out = run(Some("true"));
    assert!(!out.status.success(), "CI needs the browser");
}

/// Run `report --html FILE` on the fixture; its exit status and stderr.
fn report_to(fx: &TestEnv, file: &Path) -> (i32, String) {
    let out = fx
        .cmd()
        .args(["report", "--utc", "--html"])
        .arg(file)
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), common::stderr(&out))
}

#[test]
fn a_page_never_goes_into_the_opencode_data_dir_or_over_a_sqlite_database() {
    let fx = TestEnv::load("v1.18.33");
    let db = fx.data.join("opencode.db");
    let copy = fx.tmp.path().join("copy.db");
    std::fs::copy(&db, &copy).unwrap();
    let link = fx.tmp.path().join("link.html");
    std::os::unix::fs::symlink(&db, &link).unwrap();
    let store = common::snapshot(fx.tmp.path());
    for (file, why) in [
        (db.clone(), "opencode data dir"),
        (fx.data.join("report.html"), "opencode data dir"),
        (copy.clone(), "SQLite database"),
        (link.clone(), "opencode data dir"),
    ] {
        let (code, err) = report_to(&fx, &file);
        assert_eq!(code, 2, "{}: {err}", file.display());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&*file.to_string_lossy()) && err.contains(why),
            "{err}"
        );
        assert!(
            store == common::snapshot(fx.tmp.path()),
            "{}: a file changed",
            file.display()
        );
    }
}

#[test]
fn a_page_that_cannot_be_written_is_a_failure_not_a_usage_error() {
    let fx = TestEnv::load("v1.18.33");
    // A directory that is not there: nothing can be written, and the
    // command line was fine.
    let file = fx.tmp.path().join("no-such-dir/report.html");
    let (code, err) = report_to(&fx, &file);
    assert_eq!(code, 1, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot write the page") && err.contains(&*file.to_string_lossy()),
        "{err}"
    );
    assert!(!err.contains("ledger"), "{err}");
}

#[test]
fn a_page_cut_short_leaves_the_old_page_whole() {
    use std::os::unix::fs::PermissionsExt;
    let fx = TestEnv::load("v1.18.33");
    let store = common::snapshot(&fx.data);
    let page = fx.tmp.path().join("report.html");
    assert_eq!(report_to(&fx, &page).0, 0);
    // A rewrite keeps the mode the user gave the page.
    std::fs::set_permissions(&page, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(report_to(&fx, &page).0, 0);
    let mode = std::fs::metadata(&page).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let good = std::fs::read(&page).unwrap();
    assert!(
        good.len() > 16 << 10,
        "the page is larger than the limit below"
    );
    // A file size limit of 8 KiB or less (shells count 512- or 1024-byte
    // blocks) stops the run halfway through the page.
    let mut c = fx.std_cmd();
    c.args(["report", "--utc", "--html"]).arg(&page);
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 8 && exec \"$0\" \"$@\"")
        .arg(c.get_program())
        .args(c.get_args())
        .env_clear()
        .envs(c.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .output()
        .unwrap();
    assert!(!out.status.success(), "{out:?}");
    assert!(
        std::fs::read(&page).unwrap() == good,
        "the page was cut short"
    );
    assert!(store == common::snapshot(&fx.data), "the store changed");
}

#[test]
fn the_tick_check_catches_repeated_or_odd_ticks() {
    for bad in [
        // What a cost axis of a few cents once read.
        &["$0.00", "$0.0050", "$0.01", "$0.01", "$0.02"][..],
        &["0", "0", "0", "1", "1"],
        &["0", "3", "6"],
        &["$0.00", "$0.01", "$0.03"],
        &["0"],
    ] {
        let caught = std::panic::catch_unwind(|| assert_readable("probe", bad));
        assert!(caught.is_err(), "{bad:?} passed");
    }
    assert_readable("probe", &["$0.00", "$0.0050", "$0.0100"]);
    assert_readable("probe", &["0", "20.0K", "40.0K", "60.0K"]);
}

#[test]
fn one_project_without_todos_reads_right() {
    // tool-errors: one project directory, two sessions, no todo list.
    let Some(browser) = chromium() else {
        return;
    };
    let fx = TestEnv::load("tool-errors");
    let (html, drawn, ticks) = look(&browser, &fx, "no-todos", &[]);
    assert_eq!(
        drawn,
        "cost-per-day tokens-per-day cost-per-project sessions-per-project"
    );
    assert_eq!(ticks.len(), 4, "{ticks:?}");
    assert_axes_readable(&ticks);
    // Two sessions: whole numbers on the sessions axis.
    let sessions = &ticks
        .iter()
        .find(|t| t.0 == "sessions-per-project")
        .unwrap()
        .1;
    assert_eq!(sessions, &["0", "1", "2"]);
    // No empty frame for the todos: one line saying why.
    assert!(!html.contains("<figure class=\"chart\" id=\"todo-completion\""));
    assert!(
        html.contains(
            "<p class=\"empty\" id=\"todo-completion\"><b>Todo completion per project</b>: \
             no session in this report wrote a todo list.</p>"
        ),
        "{html}"
    );
}

#[test]
fn a_range_without_messages_says_so_instead_of_empty_charts() {
    let Some(browser) = chromium() else {
        return;
    };
    let fx = TestEnv::load("v1.18.33");
    let (html, drawn, _) = look(&browser, &fx, "nothing", &["--until", "2000-01-01"]);
    assert_eq!(drawn, "");
    for id in &CHARTS[..4] {
        assert!(
            html.contains(&format!("<p class=\"empty\" id=\"{id}\">")),
            "{id}: {html}"
        );
    }
    assert_eq!(html.matches("no messages in this report.").count(), 4);
}

#[test]
fn long_real_model_names_and_many_projects_read_right() {
    // A copy of the 1.18.33 store (written by real opencode) in which the
    // model of each reply and the directory of each session were renamed:
    // real model ids are this long, and people have many projects with long
    // paths; the fixtures' `fake/m1` in one folder hid both. Only those
    // names differ from what opencode wrote.
    let Some(browser) = chromium() else {
        return;
    };
    let fx = TestEnv::load("v1.18.33");
    let db = rusqlite::Connection::open(fx.data.join("opencode.db")).unwrap();
    db.execute_batch(
        "UPDATE message SET data = json_set(data,
           '$.providerID', CASE WHEN rowid % 3 = 0 THEN 'openai' ELSE 'anthropic' END,
           '$.modelID', CASE WHEN rowid % 3 = 0 THEN 'gpt-5-codex'
                             ELSE 'claude-sonnet-4-5-20250929' END)
         WHERE json_extract(data, '$.role') = 'assistant';
         UPDATE session SET directory =
           printf('/home/dev/src/github.com/example-org/service-%02d/backend', rowid);",
    )
    .unwrap();
    drop(db);
    let (html, drawn, ticks) = look(&browser, &fx, "real-models", &["--by", "model"]);
    assert_eq!(drawn, CHARTS.join(" "));
    assert_eq!(ticks.len(), 5, "{ticks:?}");
    assert_axes_readable(&ticks);
    // Model names whole in the legend, the sessions and the rows.
    let long = "anthropic/claude-sonnet-4-5-20250929";
    let legend = html
        .split("id=\"cost-per-day\"")
        .nth(1)
        .and_then(|s| s.split("</figure>").next())
        .unwrap();
    assert!(legend.contains(&format!("</i>{long}</span>")), "{legend}");
    assert!(html.contains(&format!("<tr><td>{long}</td>")), "{html}");
    // By model a row counts that model's replies, and says so.
    assert!(html.contains("<th class=\"n\">Replies</th>"), "{html}");
    // A bar per project (sessions with usage, each in its own directory).
    let sessions = html
        .split("id=\"sessions-per-project\"")
        .nth(1)
        .and_then(|s| s.split("</figure>").next())
        .unwrap();
    assert!(sessions.matches("service-").count() >= 10, "{sessions}");
}

/// Marks on `<body>` what a person reads about spend and list price, as
/// laid out: the two headline figures, the legend, and each row of the
/// last table as `name=cost|list price`.
const SPEND: &str = r#"<script>
const text = sel => (document.querySelector(sel) || {}).innerText || '';
const b = document.body;
b.setAttribute('data-spent', text('#spent b'));
b.setAttribute('data-list', text('#list-price b'));
b.setAttribute('data-list-what', text('#list-price span'));
b.setAttribute('data-legend', text('#list-legend'));
const table = [...document.querySelectorAll('table')].pop();
const head = [...table.rows[0].cells].map(c => c.innerText.trim());
const cost = head.indexOf('Cost'), list = head.indexOf('List price');
b.setAttribute('data-rows', [...table.rows].slice(1).map(r =>
  r.cells[0].innerText.trim() + '=' + r.cells[cost].innerText.trim() + '|' +
  (list < 0 ? '' : r.cells[list].innerText.trim())).join(';'));
</script>"#;

/// Money as the page prints it: `$12.34`, below a cent `$0.0042`.
fn money(usd: f64) -> String {
    if usd != 0.0 && usd.abs() < 0.01 {
        format!("${usd:.4}")
    } else {
        format!("${usd:.2}")
    }
}

#[test]
fn the_page_shows_spend_and_list_price_apart_with_a_legend() {
    let Some(browser) = chromium() else {
        return;
    };
    // Real opencode 1.18.33: a paid key, a subscription storing cost 0 for
    // the same model, and a model no table prices.
    let fx = TestEnv::load("list-prices");
    let out = fx
        .cmd()
        .args(["report", "--utc", "--json", "--by", "model"])
        .assert()
        .success();
    let rows = common::json_lines(&out.get_output().stdout);
    let (html, drawn, ticks) = look(&browser, &fx, "list-prices", &["--by", "model"]);
    assert_eq!(drawn, CHARTS.join(" "));
    assert_axes_readable(&ticks);
    let checked = fx.tmp.path().join("spend.html");
    std::fs::write(
        &checked,
        html.replace("</body>", &format!("{SPEND}</body>")),
    )
    .unwrap();
    let (dom, log) = browse(
        &browser,
        &checked,
        &fx.tmp.path().join("profile-spend"),
        &["--dump-dom"],
    );
    assert_eq!(console_errors(&log), Vec::<&str>::new(), "{log}");
    let sum = |k: &str| {
        rows.iter()
            .map(|r| r[k].as_f64().unwrap_or(0.0))
            .sum::<f64>()
    };
    let unpriced = sum("unpricedMessages") as u64;
    assert_eq!(unpriced, 1, "the scripted model's one reply");
    // The headline: spent, and at list price marked as leaving a reply out.
    assert_eq!(marked(&dom, "data-spent"), money(sum("cost")));
    assert_eq!(
        marked(&dom, "data-list"),
        format!("{}*", money(sum("listCost")))
    );
    assert_eq!(
        marked(&dom, "data-list-what"),
        "at list price · 1 reply unpriced"
    );
    // The legend says which is which, that a list price is not a bill, and
    // what the mark means.
    let legend = marked(&dom, "data-legend").replace("&amp;", "&");
    for says in [
        "Spent (Cost) is what opencode recorded for each reply: what was paid",
        "At list price (List price) is what the same tokens would have cost",
        "not a bill",
        "* leaves out the replies whose model has no list price (1 here)",
    ] {
        assert!(legend.contains(says), "{says:?} in {legend}");
    }
    // Each row of the table by model: Cost and List price as in the JSON.
    let shown: Vec<(&str, &str)> = marked(&dom, "data-rows")
        .split(';')
        .map(|r| r.split_once('=').unwrap())
        .collect();
    assert_eq!(shown.len(), rows.len() + 1, "{shown:?}");
    for r in &rows {
        let key = r["key"].as_str().unwrap();
        let list = match (r["listCost"].as_f64().unwrap(), &r["unpricedMessages"]) {
            (_, serde_json::Value::Null) => money(r["listCost"].as_f64().unwrap()),
            (0.0, _) => "–*".to_string(),
            (c, _) => format!("{}*", money(c)),
        };
        let want = format!("{}|{list}", money(r["cost"].as_f64().unwrap()));
        assert!(
            shown.contains(&(key, want.as_str())),
            "{key} {want}: {shown:?}"
        );
    }
    // The subscription: nothing spent, worth its tokens at the maker's price.
    let (_, sub) = shown
        .iter()
        .find(|(k, _)| *k == "github-copilot/claude-sonnet-4.5")
        .unwrap();
    assert!(sub.starts_with("$0.00|$0.0"), "{sub}");
    assert_ne!(*sub, "$0.00|$0.00");
}
