//! A message's metadata read in one pass over its text, for the shape
//! opencode writes: strings without escapes, integers, and the few objects
//! [`MessageMeta`] looks into. At anything else (an escape, an odd type, a
//! repeated field, text that is not JSON) it gives up, and serde_json reads
//! the message. Where this reader answers, its answer is what
//! `serde_json::from_str::<MessageMeta>` gives: the tests below check it
//! on every message of the fixture stores and on many damaged copies.
//!
//! Why by hand: parsing messages is most of a backfill's work. sonic-rs,
//! simd-json and jiter were measured on the benchmark's messages and were
//! no faster than serde_json; this reader, which skips what the document
//! does not need without building anything, is.

use super::model::{CacheTokens, FileDiff, MessageMeta, MessageSummary, MessageTime, Role, Tokens};
use serde::de::IgnoredAny;
use std::borrow::Cow;

/// Read `text` into `m` (which starts as the default); false where
/// serde_json must decide (`m` is then half-read).
pub fn read<'a>(text: &'a str, m: &mut MessageMeta<'a>) -> bool {
    message(text, m).is_some()
}

fn message<'a>(text: &'a str, m: &mut MessageMeta<'a>) -> Option<()> {
    let mut r = Reader {
        text,
        b: text.as_bytes(),
        at: 0,
    };
    let mut seen = 0u16;
    r.object(|r, key| {
        let bit = match key {
            b"role" => 0,
            b"agent" => 1,
            b"mode" => 2,
            b"providerID" => 3,
            b"modelID" => 4,
            b"cost" => 5,
            b"tokens" => 6,
            b"error" => 7,
            b"time" => 8,
            b"summary" => 9,
            _ => return r.skip(0),
        };
        if seen & (1 << bit) != 0 {
            return None; // serde_json: "duplicate field"
        }
        seen |= 1 << bit;
        match bit {
            0 => m.role = r.str()?.map_or(Role::Other, |s| Role::of(&s)),
            1 => m.agent = r.str()?,
            2 => m.mode = r.str()?,
            3 => m.provider_id = r.str()?,
            4 => m.model_id = r.str()?,
            5 => m.cost = r.cost()?,
            6 => m.tokens = r.tokens()?,
            7 => {
                m.error = if r.null() {
                    None
                } else {
                    r.skip(0)?;
                    Some(IgnoredAny)
                }
            }
            8 => m.time = r.time()?,
            _ => m.summary = r.summary()?,
        }
        Some(())
    })?;
    r.ws();
    (r.at == r.b.len()).then_some(())
}

struct Reader<'a> {
    text: &'a str,
    b: &'a [u8],
    at: usize,
}

/// Nesting deeper than this is left to serde_json (whose limit is 128).
const MAX_DEPTH: usize = 64;

/// Whether a byte ends a string without escapes: a quote, or what makes the
/// string not one (a backslash, a control character).
fn stops(c: u8) -> bool {
    c == b'"' || c == b'\\' || c < 0x20
}

/// The high bit of each of the eight bytes of `word` that may be one that
/// [`stops`] a string: the lowest one set (if any) is exact, as a false flag
/// can only follow a true one.
fn stop_flags(word: u64) -> u64 {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES << 7;
    let zero = |w: u64| w.wrapping_sub(ONES) & !w;
    let quote = zero(word ^ (ONES * u64::from(b'"')));
    let backslash = zero(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    (quote | backslash | control) & HIGH
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }

    /// Skip whitespace (opencode writes none, so this is one comparison).
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Skip whitespace, then the byte `c`.
    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.at += 1)
    }

    /// Skip whitespace, then `null` if it is there.
    fn null(&mut self) -> bool {
        self.ws();
        let yes = self.b[self.at..].starts_with(b"null");
        if yes {
            self.at += 4;
        }
        yes
    }

    /// An object: each key goes to `field`, which reads its value.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        self.list(b'{', b'}', |r| {
            let key = r.plain()?;
            r.eat(b':')?;
            field(r, key.as_bytes())
        })
    }

    /// An array: each item goes to `item`, which reads it.
    fn array(&mut self, item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.list(b'[', b']', item)
    }

    /// `open`, entries read by `entry` and separated by commas, `close`.
    fn list(
        &mut self,
        open: u8,
        close: u8,
        mut entry: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.eat(open)?;
        self.ws();
        if self.peek()? == close {
            self.at += 1;
            return Some(());
        }
        loop {
            self.ws();
            entry(self)?;
            self.ws();
            match self.peek()? {
                b',' => self.at += 1,
                c if c == close => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string without escapes or control characters, at the cursor.
    fn plain(&mut self) -> Option<&'a str> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.at + 1;
        let mut end = start;
        // Eight bytes at a time: the lowest flagged byte is the first that
        // stops the string.
        loop {
            let Some(chunk) = self.b.get(end..end + 8) else {
                while !stops(*self.b.get(end)?) {
                    end += 1;
                }
                break;
            };
            let flags = stop_flags(u64::from_le_bytes(chunk.try_into().expect("eight bytes")));
            if flags != 0 {
                end += flags.trailing_zeros() as usize / 8;
                break;
            }
            end += 8;
        }
        if self.b[end] != b'"' {
            return None;
        }
        self.at = end + 1;
        Some(&self.text[start..end])
    }

    /// A string field: a string, or null.
    fn str(&mut self) -> Option<Option<Cow<'a, str>>> {
        if self.null() {
            return Some(None);
        }
        self.plain().map(|s| Some(Cow::Borrowed(s)))
    }

    /// The text of a JSON number at the cursor.
    fn number(&mut self) -> Option<&'a str> {
        let start = self.at;
        if self.peek()? == b'-' {
            self.at += 1;
        }
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            self.some_digits()?;
        }
        Some(&self.text[start..self.at])
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
    }

    fn some_digits(&mut self) -> Option<()> {
        let from = self.at;
        self.digits();
        (self.at > from).then_some(())
    }

    /// `cost`: a number as serde_json reads it, or null (0); any other
    /// value is left to serde_json.
    fn cost(&mut self) -> Option<f64> {
        if self.null() {
            return Some(0.0);
        }
        let n: f64 = serde_json::from_str(self.number()?).ok()?;
        Some(if n.is_finite() { n } else { f64::NAN })
    }

    /// An integer field as the lenient reader sees it (through f64), or
    /// None for null; a sign, fraction or exponent is left to serde_json.
    fn int(&mut self) -> Option<Option<f64>> {
        if self.null() {
            return Some(None);
        }
        let rest = &self.b[self.at..];
        let len = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        let digits = &rest[..len];
        match digits {
            [] => return None,
            [b'0', _, ..] => return None, // a leading zero: "invalid number"
            _ if len > 19 => return None,
            _ => {}
        }
        if let Some(b'.' | b'e' | b'E') = rest.get(len) {
            return None;
        }
        let n = digits.iter().try_fold(0u64, |n, &c| {
            n.checked_mul(10)?.checked_add(u64::from(c - b'0'))
        })?;
        let at = self.at + len;
        self.at = at;
        Some(Some(n as f64))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(self.int()?.filter(|n| *n > 0.0).map_or(0, |n| n as u64))
    }

    /// An object whose fields `names` go to `field` (by index), each at
    /// most once; other fields are skipped.
    fn fields(
        &mut self,
        names: &[&[u8]],
        mut field: impl FnMut(&mut Self, usize) -> Option<()>,
    ) -> Option<()> {
        let mut seen = 0u32;
        // Compared byte by byte: these keys are too short for memcmp to pay.
        let is =
            |n: &[u8], key: &[u8]| n.len() == key.len() && n.iter().zip(key).all(|(a, b)| a == b);
        self.object(|r, key| match names.iter().position(|n| is(n, key)) {
            Some(i) if seen & (1 << i) == 0 => {
                seen |= 1 << i;
                field(r, i)
            }
            Some(_) => None,
            None => r.skip(1),
        })
    }

    fn tokens(&mut self) -> Option<Option<Tokens>> {
        if self.null() {
            return Some(None);
        }
        let mut t = Tokens::default();
        self.fields(&[b"input", b"output", b"reasoning", b"cache"], |r, i| {
            match i {
                0 => t.input = r.u64()?,
                1 => t.output = r.u64()?,
                2 => t.reasoning = r.u64()?,
                _ => {
                    if !r.null() {
                        let mut c = CacheTokens::default();
                        r.fields(&[b"read", b"write"], |r, i| {
                            let n = r.u64()?;
                            if i == 0 {
                                c.read = n;
                            } else {
                                c.write = n;
                            }
                            Some(())
                        })?;
                        t.cache = Some(c);
                    }
                }
            }
            Some(())
        })?;
        Some(Some(t))
    }

    fn time(&mut self) -> Option<Option<MessageTime>> {
        if self.null() {
            return Some(None);
        }
        let mut t = MessageTime::default();
        self.fields(&[b"created", b"completed"], |r, i| {
            let n = r.int()?.map(|n| n as i64);
            if i == 0 {
                t.created = n;
            } else {
                t.completed = n;
            }
            Some(())
        })?;
        Some(Some(t))
    }

    fn summary(&mut self) -> Option<Option<MessageSummary<'a>>> {
        if self.null() {
            return Some(None);
        }
        let mut s = MessageSummary::default();
        self.fields(&[b"diffs"], |r, _| {
            r.array(|r| {
                let mut d = FileDiff::default();
                r.fields(&[b"file", b"additions", b"deletions"], |r, i| {
                    match i {
                        0 => d.file = r.str()?,
                        1 => d.additions = r.u64()?,
                        _ => d.deletions = r.u64()?,
                    }
                    Some(())
                })?;
                s.diffs.push(d);
                Some(())
            })
        })?;
        Some(Some(s))
    }

    /// Skip any value, as strictly as serde_json checks it.
    fn skip(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match self.peek()? {
            b'"' => self.plain().map(drop),
            b'{' => self.object(|r, _| r.skip(depth + 1)),
            b'[' => self.array(|r| r.skip(depth + 1)),
            b't' | b'f' | b'n' => {
                let word: &[u8] = match self.peek()? {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                self.b[self.at..]
                    .starts_with(word)
                    .then(|| self.at += word.len())
            }
            _ => self.number().map(drop),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// What serde_json makes of `text`, and what this reader makes of it
    /// where it answers, as text (Debug prints every field, floats exactly).
    fn both(text: &str) -> (Result<String, String>, Option<String>) {
        let serde = serde_json::from_str::<MessageMeta>(text)
            .map(|m| format!("{m:?}"))
            .map_err(|e| e.to_string());
        let mut m = MessageMeta::default();
        let fast = read(text, &mut m).then(|| format!("{m:?}"));
        (serde, fast)
    }

    /// Every message text the real opencode wrote into the fixture stores.
    fn fixture_messages() -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut out = Vec::new();
        for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
            let entry = entry.unwrap();
            let path = entry.path();
            if path.file_name().is_some_and(|n| n == "opencode.db") {
                // Read a copy: opening the store itself could touch its WAL.
                let dir = tempfile::tempdir().unwrap();
                for suffix in ["", "-wal"] {
                    let from = format!("{}{suffix}", path.display());
                    if Path::new(&from).exists() {
                        std::fs::copy(&from, dir.path().join(format!("o.db{suffix}"))).unwrap();
                    }
                }
                let conn = rusqlite::Connection::open(dir.path().join("o.db")).unwrap();
                let mut stmt = conn.prepare("SELECT data FROM message").unwrap();
                let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
                out.extend(rows.map(Result::unwrap));
            } else if path.components().any(|c| c.as_os_str() == "message")
                && path.extension().is_some_and(|e| e == "json")
            {
                out.push(std::fs::read_to_string(path).unwrap());
            }
        }
        out
    }

    #[test]
    fn it_reads_what_serde_json_reads_from_every_fixture_message() {
        let texts = fixture_messages();
        assert!(texts.len() > 250, "{} messages", texts.len());
        let mut answered = 0;
        for t in &texts {
            let (serde, fast) = both(t);
            if let Some(f) = fast {
                assert_eq!(serde.as_ref(), Ok(&f), "{t}");
                answered += 1;
            }
        }
        // It must answer for nearly all of them, or it is no faster.
        eprintln!("answered {answered} of {}", texts.len());
        assert!(
            answered * 100 >= texts.len() * 95,
            "{answered} of {}",
            texts.len()
        );
    }

    #[test]
    fn where_it_answers_for_damaged_or_odd_text_serde_json_agrees() {
        let mut texts = fixture_messages();
        texts.truncate(400);
        texts.extend(
            [
                r#"{"role":"assistant","mode":"build","cost":"x","tokens":{"input":1.0,"output":-3,"cache":7},"time":{"created":5}}"#,
                r#"{"role":"assistant","summary":true,"agent":{"name":"x","deep":[1,{"a":[]}]},"time":[1,2],"cost":0.5}"#,
                r#"{"role":"user","summary":{"diffs":[{"file":"a","additions":2,"before":"x\ny"},7,"s",{"file":"b","deletions":1}]}}"#,
                r#"{"role":"assistant","agent":"plan","mode":"build","providerID":"p","modelID":"m\u00e9","error":null}"#,
                r#" { "role" : "user" , "time" : { "created" : 0 , "completed" : null } , "cost" : 1e2 } "#,
                r#"{"cost":-0,"tokens":{"input":18446744073709551615,"output":9007199254740993},"time":{"created":1e3}}"#,
                r#"{"role":"user","role":"assistant"}"#,
                r#"{"tokens":{"input":1,"input":2}}"#,
                r#"{"error":{"a":[true,false,null,"s",-1.5e-3,{}]},"role":"assistant"}"#,
                r#"["user"]"#,
                r#"{"role":"user"} x"#,
                r#"{"role":"user",}"#,
                r#"{"time":{"created":01}}"#,
                r#"{"cost":1.}"#,
                r#"{"x":[1,]}"#,
                r#"{"x":tru}"#,
                r#"{"role":"assistant","cost":"0.5","time":{"completed":5}}"#,
                r#"{"cost":true,"time":{}}"#,
                r#"{"cost":[1],"time":{"created":null}}"#,
                r#"{"cost":{"usd":1}}"#,
                r#"{"cost":-1.5,"time":{"created":-5}}"#,
                r#"{"cost":1e308,"time":{"created":99999999999999999999}}"#,
                r#"{"cost":2e308}"#,
                r#"{"tokens":{"input":9223372036854775807},"time":{"created":9223372036854775807}}"#,
            ]
            .map(String::from),
        );
        let mut checked = 0u64;
        let mut check = |t: &str| {
            let (serde, fast) = both(t);
            if let Some(f) = fast {
                assert_eq!(serde.as_ref(), Ok(&f), "{t}");
            }
            checked += 1;
        };
        let swaps = [
            "\"", "\\", "{", "}", "[", "]", ",", ":", "0", "1", "-", ".", "e", "n", " ", "\u{1}",
            "x", "\"\"", "null", "[]", "{}",
        ];
        for t in &texts {
            check(t);
            let cuts: Vec<usize> = (0..t.len()).filter(|&i| t.is_char_boundary(i)).collect();
            for &i in cuts.iter().step_by(7) {
                check(&t[..i]);
                let next = cuts.iter().find(|&&j| j > i).copied().unwrap_or(t.len());
                for s in swaps {
                    check(&format!("{}{s}{}", &t[..i], &t[next..]));
                    check(&format!("{}{s}{}", &t[..i], &t[i..]));
                }
            }
            for (from, to) in [
                ("\"agent\"", "\"role\""),
                ("\"input\"", "\"output\""),
                ("\"created\"", "\"completed\""),
                ("\"cost\":", "\"cost\":\"0\","),
                ("\"diffs\":[", "\"diffs\":[null,"),
            ] {
                check(&t.replacen(from, to, 1));
            }
        }
        eprintln!("checked {checked} texts");
        assert!(checked > 100_000, "{checked}");
    }
}
