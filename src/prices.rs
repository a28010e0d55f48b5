//! List prices: what a message's tokens would have cost at a model's list
//! price, from a table shipped inside the binary (`prices/prices.json`,
//! taken from LiteLLM by `prices/generate.py`) and an optional override
//! file of the user's.
//!
//! Prices are USD per million tokens, under models.dev's names (the ones
//! opencode prices with): `input`, `output`, `cache_read`, `cache_write`,
//! and `reasoning` where it is billed apart from output. Like opencode,
//! reasoning tokens are billed as output otherwise, and a cache price the
//! table lacks bills nothing.
//!
//! A `provider/model` id is matched in this order ([`PriceBook::price`]):
//! 1. the id exactly as opencode stored it;
//! 2. its normalised form (lowercase, without a date or version suffix:
//!    `-20250929`, `-2025-09-29`, `@20250929`, Bedrock's `-v1:0`; `4.5`
//!    read as `4-5`);
//! 3. when the provider bills nothing (its price in the table is zero, or
//!    it has none: a subscription such as GitHub Copilot, a free model),
//!    the same model at its maker (`anthropic`, `openai`, `google`, ...),
//!    else at a cloud that resells it at list price (Vertex, Bedrock,
//!    Azure).
//!
//! Nothing matched is unpriced: `None`, never a price of zero. A price of
//! zero the user's override file gives is taken as it is.

use crate::error::Error;
use crate::tokens::TokenTotals;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The shipped table.
const SHIPPED: &str = include_str!("../prices/prices.json");

/// Above this many tokens of context (input and cache reads of one
/// message), a `context_over_200k` price applies, as in opencode.
const LONG_CONTEXT: u64 = 200_000;

/// Providers whose own price of a model is its list price, in the order
/// step 3 of the match tries them: the makers, then the clouds that resell
/// their models.
const MAKERS: [&str; 14] = [
    "anthropic",
    "openai",
    "google",
    "xai",
    "deepseek",
    "mistral",
    "moonshotai",
    "zai",
    "minimax",
    "alibaba",
    "google-vertex-anthropic",
    "google-vertex",
    "amazon-bedrock",
    "azure",
];

/// One model's prices, USD per million tokens.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    /// Reasoning tokens, when billed apart from output.
    #[serde(default)]
    pub reasoning: Option<f64>,
    #[serde(default)]
    pub cache_read: Option<f64>,
    #[serde(default)]
    pub cache_write: Option<f64>,
    /// The prices of a message with more than 200k tokens of context.
    #[serde(default)]
    pub context_over_200k: Option<Box<Price>>,
}

impl Price {
    /// The list cost, in USD, of one message's tokens. (The long-context
    /// price is chosen per message: hand it one message, not a sum.)
    pub fn cost(&self, t: &TokenTotals) -> f64 {
        let p = match &self.context_over_200k {
            Some(long) if t.input.saturating_add(t.cache_read) > LONG_CONTEXT => long,
            _ => self,
        };
        let per = |tokens: u64, price: f64| tokens as f64 * price;
        (per(t.input, p.input)
            + per(t.output, p.output)
            + per(t.reasoning, p.reasoning.unwrap_or(p.output))
            + per(t.cache_read, p.cache_read.unwrap_or(0.0))
            + per(t.cache_write, p.cache_write.unwrap_or(0.0)))
            / 1_000_000.0
    }

    /// Bills nothing at all.
    fn is_free(&self) -> bool {
        [
            self.input,
            self.output,
            self.reasoning.unwrap_or(0.0),
            self.cache_read.unwrap_or(0.0),
            self.cache_write.unwrap_or(0.0),
        ]
        .iter()
        .all(|p| *p == 0.0)
    }

    /// What is wrong with a price (negative, not a number), if anything.
    fn mistake(&self) -> Option<String> {
        let fields = [
            ("input", Some(self.input)),
            ("output", Some(self.output)),
            ("reasoning", self.reasoning),
            ("cache_read", self.cache_read),
            ("cache_write", self.cache_write),
        ];
        let bad = fields
            .iter()
            .find_map(|(name, v)| v.filter(|v| !v.is_finite() || *v < 0.0).map(|v| (name, v)));
        if let Some((name, v)) = bad {
            return Some(format!(
                "{name} is {v}; a price is a number of USD per million tokens, 0 or more"
            ));
        }
        match &self.context_over_200k {
            Some(long) if long.context_over_200k.is_some() => {
                Some("context_over_200k cannot hold another context_over_200k".into())
            }
            Some(long) => long.mistake().map(|m| format!("context_over_200k: {m}")),
            None => None,
        }
    }
}

/// Where a price came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The table shipped inside the binary.
    Shipped,
    /// The user's override file.
    Override(PathBuf),
}

/// Which step of the match found the price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The id as given.
    Exact,
    /// The id normalised (case, date or version suffix).
    Normalised,
    /// The same model at its maker (or a cloud reselling it at list
    /// price), because the provider bills nothing for it.
    Maker,
}

impl Via {
    pub fn name(self) -> &'static str {
        match self {
            Via::Exact => "exact",
            Via::Normalised => "normalised",
            Via::Maker => "maker",
        }
    }
}

/// The price a model is billed at, and how it was found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Priced<'a> {
    /// The table's id the price is filed under.
    pub id: &'a str,
    pub price: &'a Price,
    pub origin: &'a Origin,
    pub via: Via,
}

impl Priced<'_> {
    /// The list cost, in USD, of one message's tokens.
    pub fn cost(&self, tokens: &TokenTotals) -> f64 {
        self.price.cost(tokens)
    }
}

/// Where the shipped table was taken from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// The release and file the table was read from.
    pub source: String,
    /// Of the file the table was read from.
    pub sha256: String,
    /// The day the table was taken (YYYY-MM-DD).
    pub snapshot: String,
    pub unit: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShippedFile {
    #[serde(flatten)]
    snapshot: Snapshot,
    models: BTreeMap<String, Price>,
}

#[derive(Debug)]
struct Entry {
    id: String,
    price: Price,
    origin: Origin,
}

/// The prices in force: the shipped table with the override file's on top,
/// indexed for the three steps of the match.
#[derive(Debug)]
pub struct PriceBook {
    snapshot: Snapshot,
    /// Models in the shipped table (some may be overridden).
    shipped: usize,
    entries: Vec<Entry>,
    /// The override file, with how many models it priced.
    overrides: Option<(PathBuf, usize)>,
    exact: HashMap<String, usize>,
    normal: HashMap<String, usize>,
    /// Normalised model (provider left out) -> its entry at the first of
    /// [`MAKERS`] that lists it.
    maker: HashMap<String, usize>,
}

impl PriceBook {
    /// The shipped table, with the prices of `overrides` (a TOML or JSON
    /// file) beating it.
    pub fn load(overrides: Option<&Path>) -> Result<PriceBook, Error> {
        let file: ShippedFile =
            serde_json::from_str(SHIPPED).expect("prices/prices.json is checked by a test");
        let mut models: BTreeMap<String, (Price, Origin)> = file
            .models
            .into_iter()
            .map(|(id, p)| (id, (p, Origin::Shipped)))
            .collect();
        let shipped = models.len();
        let mut count = None;
        if let Some(path) = overrides {
            let theirs = read_overrides(path)?;
            count = Some((path.to_path_buf(), theirs.len()));
            for (id, p) in theirs {
                models.insert(id, (p, Origin::Override(path.to_path_buf())));
            }
        }
        Ok(PriceBook::index(file.snapshot, shipped, models, count))
    }

    fn index(
        snapshot: Snapshot,
        shipped: usize,
        models: BTreeMap<String, (Price, Origin)>,
        overrides: Option<(PathBuf, usize)>,
    ) -> PriceBook {
        let entries: Vec<Entry> = models
            .into_iter()
            .map(|(id, (price, origin))| Entry { id, price, origin })
            .collect();
        let exact = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        // Where two ids normalise alike, the override's wins, then the id
        // already in normal form (the maker's alias of a dated snapshot),
        // then the first in order (the sort is stable).
        let norms: Vec<String> = entries.iter().map(|e| normalise(&e.id)).collect();
        let mut order: Vec<usize> = (0..entries.len()).collect();
        let is_shipped = |i: usize| entries[i].origin == Origin::Shipped;
        order.sort_by_key(|&i| (is_shipped(i), norms[i] != entries[i].id));
        let mut normal = HashMap::with_capacity(entries.len());
        for &i in &order {
            normal.entry(norms[i].clone()).or_insert(i);
        }
        // The same, maker by maker; a maker's own price of zero is no list
        // price.
        let place = |i: usize| {
            let provider = entries[i].id.split_once('/').map_or("", |(p, _)| p);
            MAKERS.iter().position(|m| *m == provider)
        };
        order.retain(|&i| place(i).is_some() && !(is_shipped(i) && entries[i].price.is_free()));
        order.sort_by_key(|&i| place(i));
        let mut maker = HashMap::new();
        for &i in &order {
            let model = entries[i].id.split_once('/').map_or("", |(_, m)| m);
            maker.entry(bare(model)).or_insert(i);
        }
        PriceBook {
            snapshot,
            shipped,
            entries,
            overrides,
            exact,
            normal,
            maker,
        }
    }

    /// The price of `provider/model` (see the module's doc for the match);
    /// `None` when it has none.
    pub fn price(&self, model: &str) -> Option<Priced<'_>> {
        let found = |i: usize, via| {
            let e = &self.entries[i];
            // A shipped price of zero is a provider billing nothing: look
            // further, at the maker.
            (e.origin != Origin::Shipped || !e.price.is_free()).then_some(Priced {
                id: &e.id,
                price: &e.price,
                origin: &e.origin,
                via,
            })
        };
        let model_part = model.split_once('/').map_or(model, |(_, m)| m);
        self.exact
            .get(model)
            .and_then(|&i| found(i, Via::Exact))
            .or_else(|| {
                self.normal
                    .get(&normalise(model))
                    .and_then(|&i| found(i, Via::Normalised))
            })
            .or_else(|| {
                self.maker
                    .get(&bare(model_part))
                    .and_then(|&i| found(i, Via::Maker))
            })
    }

    /// Where the shipped table came from.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Models in the shipped table.
    pub fn shipped_models(&self) -> usize {
        self.shipped
    }

    /// The override file in force, and how many models it prices.
    pub fn overrides(&self) -> Option<(&Path, usize)> {
        self.overrides.as_ref().map(|(p, n)| (p.as_path(), *n))
    }
}

/// The prices in force in this process: loaded once, by [`install`] or on
/// first use.
static IN_FORCE: OnceLock<PriceBook> = OnceLock::new();

/// Load the prices the documents and reports of this process are valued at:
/// the shipped table with `overrides` on top. Done once: the first call's
/// book stays (a process values everything at one set of prices).
pub fn install(overrides: Option<&Path>) -> Result<&'static PriceBook, Error> {
    if let Some(book) = IN_FORCE.get() {
        return Ok(book);
    }
    let book = PriceBook::load(overrides)?;
    Ok(IN_FORCE.get_or_init(|| book))
}

/// The prices in force: those [`install`]ed, else the shipped table.
pub fn in_force() -> &'static PriceBook {
    IN_FORCE.get_or_init(|| PriceBook::load(None).expect("the shipped table needs no file"))
}

/// Read an override file: a table of `provider/model` -> prices, in JSON
/// when it starts with `{`, else in TOML.
fn read_overrides(path: &Path) -> Result<BTreeMap<String, Price>, Error> {
    let bad = |msg: String| Error::Prices {
        path: path.to_path_buf(),
        msg,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
    let models: BTreeMap<String, Price> = if text.trim_start().starts_with('{') {
        serde_json::from_str(&text).map_err(|e| bad(format!("invalid JSON: {e}")))?
    } else {
        toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| format!("line {}: ", text[..s.start].matches('\n').count() + 1))
                .unwrap_or_default();
            bad(format!("{line}{}", e.message().trim()))
        })?
    };
    for (id, p) in &models {
        if let Some(m) = p.mistake() {
            return Err(bad(format!("{id}: {m}")));
        }
    }
    Ok(models)
}

/// An id in normal form: lowercase, without a trailing date or version
/// (`-20250929`, `-2025-09-29`, `-0613`, `@20250929`, `@default`,
/// Bedrock's `-v1:0`), and with `4.5` read as `4-5`.
pub fn normalise(id: &str) -> String {
    normal_form(id, false)
}

fn normal_form(id: &str, bedrock: bool) -> String {
    let mut s = id.to_lowercase();
    if let Some(at) = s.rfind('@') {
        s.truncate(at);
    }
    strip_bedrock_version(&mut s, bedrock);
    strip_date(&mut s);
    // `claude-sonnet-4.5` (Copilot, OpenRouter) is `claude-sonnet-4-5`.
    let b = s.as_bytes();
    let dots: Vec<usize> = (1..b.len().saturating_sub(1))
        .filter(|&i| b[i] == b'.' && b[i - 1].is_ascii_digit() && b[i + 1].is_ascii_digit())
        .collect();
    let mut bytes = s.into_bytes();
    for i in dots {
        bytes[i] = b'-';
    }
    String::from_utf8(bytes).expect("ASCII '.' replaced by ASCII '-'")
}

/// The model part of an id, without a reseller's path (`anthropic/` of
/// OpenRouter) or Bedrock's region and maker (`us.anthropic.`), normalised.
fn bare(model: &str) -> String {
    let name = model.rsplit('/').next().unwrap_or(model);
    let mut rest = name;
    while let Some((head, tail)) = rest.split_once('.')
        && !head.is_empty()
        && head.bytes().all(|c| c.is_ascii_alphabetic() || c == b'-')
    {
        rest = tail;
    }
    normal_form(rest, rest.len() < name.len())
}

/// Drop Bedrock's `-v2:0` at the end, and a plain `-v1` when `plain`
/// (an id with Bedrock's `maker.` prefix: elsewhere `-v3` names a model,
/// as in `deepseek-v3`).
fn strip_bedrock_version(s: &mut String, plain: bool) {
    let Some(dash) = s.rfind("-v") else { return };
    let tail = &s[dash + 2..];
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit());
    let version = match tail.split_once(':') {
        Some((major, minor)) => digits(major) && digits(minor),
        None => plain && digits(tail),
    };
    if version {
        s.truncate(dash);
    }
}

/// Drop a trailing date: `-YYYYMMDD`, `-YYYY-MM-DD` or `-MMDD`.
fn strip_date(s: &mut String) {
    let digits = |t: &str| t.bytes().all(|c| c.is_ascii_digit());
    let b = s.as_bytes();
    let n = b.len();
    let ends_with = |len: usize| n > len && b[n - len - 1] == b'-' && digits(&s[n - len..]);
    if n > 11 && b[n - 11] == b'-' && b[n - 6] == b'-' && b[n - 3] == b'-' {
        let date = &s[n - 10..];
        if digits(&date[..4]) && digits(&date[5..7]) && digits(&date[8..]) {
            s.truncate(n - 11);
            return;
        }
    }
    for len in [8, 4] {
        if ends_with(len) {
            s.truncate(n - len - 1);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> PriceBook {
        PriceBook::load(None).unwrap()
    }

    fn four(p: &Price) -> (f64, f64, Option<f64>, Option<f64>) {
        (p.input, p.output, p.cache_read, p.cache_write)
    }

    #[test]
    fn the_shipped_table_parses_and_has_current_list_prices() {
        let book = shipped();
        assert!(book.shipped_models() > 500, "{}", book.shipped_models());
        assert!(book.snapshot().source.contains("LiteLLM 1.110.2"));
        assert_eq!(book.snapshot().snapshot.len(), 10);
        let sonnet = book.price("anthropic/claude-sonnet-4-5").unwrap();
        assert_eq!(sonnet.via, Via::Exact);
        assert_eq!(*sonnet.origin, Origin::Shipped);
        assert_eq!(four(sonnet.price), (3.0, 15.0, Some(0.30), Some(3.75)));
        let gpt = book.price("openai/gpt-4o").unwrap();
        assert_eq!(four(gpt.price), (2.50, 10.0, Some(1.25), None));
    }

    #[test]
    fn normalised_ids_drop_case_dates_and_versions() {
        assert_eq!(normalise("claude-sonnet-4-5-20250929"), "claude-sonnet-4-5");
        assert_eq!(normalise("Claude-Sonnet-4.5"), "claude-sonnet-4-5");
        assert_eq!(normalise("gpt-4o-2024-08-06"), "gpt-4o");
        assert_eq!(normalise("claude-sonnet-4-5@20250929"), "claude-sonnet-4-5");
        assert_eq!(
            normalise("anthropic.claude-sonnet-4-5-20250929-v1:0"),
            "anthropic.claude-sonnet-4-5"
        );
        assert_eq!(normalise("gemini-2.5-pro"), "gemini-2-5-pro");
        assert_eq!(normalise("o3"), "o3");
        assert_eq!(normalise("deepseek-v3"), "deepseek-v3");
        assert_eq!(bare("anthropic.claude-instant-v1"), "claude-instant");
        assert_eq!(
            bare("us.anthropic.claude-sonnet-4-20250514-v1:0"),
            "claude-sonnet-4"
        );
        assert_eq!(bare("anthropic/claude-sonnet-4.5"), "claude-sonnet-4-5");
    }

    #[test]
    fn a_dated_or_differently_written_id_is_matched_normalised() {
        let book = shipped();
        let p = book.price("anthropic/Claude-Sonnet-4-5-20991231").unwrap();
        assert_eq!(
            (p.via, p.id),
            (Via::Normalised, "anthropic/claude-sonnet-4-5")
        );
    }

    #[test]
    fn a_provider_billing_nothing_is_priced_at_the_maker() {
        let book = shipped();
        for id in [
            "github-copilot/claude-sonnet-4-5",
            "github-copilot/claude-sonnet-4.5",
            "openrouter/anthropic/claude-sonnet-4.5",
        ] {
            let p = book.price(id).unwrap_or_else(|| panic!("{id}"));
            assert_eq!(
                (p.via, p.id),
                (Via::Maker, "anthropic/claude-sonnet-4-5"),
                "{id}"
            );
        }
        let p = book.price("github-copilot/gpt-4o").unwrap();
        assert_eq!(p.id, "openai/gpt-4o");
    }

    #[test]
    fn a_zero_price_in_the_table_is_no_list_price() {
        let snapshot = shipped().snapshot().clone();
        let price = |input| Price {
            input,
            output: input * 5.0,
            reasoning: None,
            cache_read: None,
            cache_write: None,
            context_over_200k: None,
        };
        let models = BTreeMap::from([
            (
                "opencode/claude-sonnet-4-5".to_string(),
                (price(0.0), Origin::Shipped),
            ),
            (
                "opencode/free-model".to_string(),
                (price(0.0), Origin::Shipped),
            ),
            (
                "anthropic/claude-sonnet-4-5".to_string(),
                (price(3.0), Origin::Shipped),
            ),
            (
                "mine/zero".to_string(),
                (price(0.0), Origin::Override("f".into())),
            ),
        ]);
        let book = PriceBook::index(snapshot, 3, models, None);
        let p = book.price("opencode/claude-sonnet-4-5").unwrap();
        assert_eq!((p.via, p.id), (Via::Maker, "anthropic/claude-sonnet-4-5"));
        assert!(book.price("opencode/free-model").is_none());
        // The user's zero is the user's word.
        assert_eq!(book.price("mine/zero").unwrap().price.input, 0.0);
    }

    #[test]
    fn unknown_models_are_unpriced() {
        let book = shipped();
        assert!(book.price("fake/m1").is_none());
        assert!(book.price("").is_none());
        assert!(book.price("/").is_none());
    }

    #[test]
    fn cost_bills_reasoning_as_output_and_switches_price_past_200k() {
        let book = shipped();
        let sonnet = book.price("anthropic/claude-sonnet-4-5").unwrap();
        let t = TokenTotals {
            input: 1_000,
            output: 2_000,
            reasoning: 500,
            cache_read: 10_000,
            cache_write: 4_000,
        };
        let want = (1_000.0 * 3.0 + 2_500.0 * 15.0 + 10_000.0 * 0.30 + 4_000.0 * 3.75) / 1e6;
        assert!(
            (sonnet.cost(&t) - want).abs() < 1e-12,
            "{}",
            sonnet.cost(&t)
        );
        let gemini = book.price("google/gemini-2.5-pro").unwrap();
        let long = TokenTotals {
            input: 150_000,
            cache_read: 60_000,
            output: 1_000,
            ..TokenTotals::default()
        };
        let want = (150_000.0 * 2.5 + 60_000.0 * 0.25 + 1_000.0 * 15.0) / 1e6;
        assert!(
            (gemini.cost(&long) - want).abs() < 1e-12,
            "{}",
            gemini.cost(&long)
        );
    }

    #[test]
    fn override_files_beat_the_table_and_bad_ones_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("p.toml");
        std::fs::write(
            &toml,
            "[\"anthropic/claude-sonnet-4-5\"]\ninput = 2\noutput = 10\ncache_read = 0.2\n",
        )
        .unwrap();
        let book = PriceBook::load(Some(&toml)).unwrap();
        let p = book.price("anthropic/claude-sonnet-4-5").unwrap();
        assert_eq!(*p.origin, Origin::Override(toml.clone()));
        assert_eq!(four(p.price), (2.0, 10.0, Some(0.2), None));
        // The maker's override prices the subscription's usage too.
        let p = book.price("github-copilot/claude-sonnet-4.5").unwrap();
        assert_eq!(*p.origin, Origin::Override(toml.clone()));

        let json = dir.path().join("p.json");
        std::fs::write(&json, r#"{"x/y": {"input": -1, "output": 1}}"#).unwrap();
        let e = PriceBook::load(Some(&json)).unwrap_err().to_string();
        assert!(
            e.contains("p.json") && e.contains("x/y") && e.contains("input"),
            "{e}"
        );
        std::fs::write(&toml, "[\"x/y\"]\ninput = 1\noutput = 1\ncache-read = 1\n").unwrap();
        let e = PriceBook::load(Some(&toml)).unwrap_err().to_string();
        assert!(
            e.contains("p.toml") && e.contains("line") && e.contains("cache-read"),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
    }
}
