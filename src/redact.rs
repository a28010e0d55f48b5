//! Masking well-known secret formats in transcripts before they leave the
//! machine (only transcripts are affected: they are the only free text a
//! document carries besides todo items and, with the transcript, the title).
//!
//! Each match is replaced by `[REDACTED:<kind>]`; for a password in a URL
//! only the password goes. The patterns are deliberately specific (fixed
//! prefixes, lengths, PEM armour) so ordinary text and code stay as they are.

use regex::{Captures, Regex};
use std::sync::LazyLock;

struct Rule {
    kind: &'static str,
    re: Regex,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |kind, pattern: &str| Rule {
        kind,
        re: Regex::new(pattern).expect("a valid secret pattern"),
    };
    vec![
        rule(
            "private-key",
            r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----[\s\S]*?-----END ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----",
        ),
        // Anthropic, OpenAI (sk-..., sk-proj-..., sk-svcacct-...)
        rule(
            "api-key",
            r"\bsk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}",
        ),
        rule(
            "github-token",
            r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
        ),
        rule("gitlab-token", r"\bglpat-[A-Za-z0-9_\-]{20,}"),
        rule("aws-access-key", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
        rule(
            "aws-secret-key",
            r"(?i)\baws_?secret_?access_?key\b\s*[:=]\s*[\x22']?[A-Za-z0-9/+=]{40}\b[\x22']?",
        ),
        rule("google-api-key", r"\bAIza[0-9A-Za-z_\-]{35}\b"),
        rule("slack-token", r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"),
        rule("stripe-key", r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"),
        rule(
            "jwt",
            r"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}",
        ),
        rule("bearer-token", r"(?i)\bbearer\s+[A-Za-z0-9_\-\.=]{20,}"),
    ]
});

/// `scheme://user:password@host`: the password part.
static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@\x22'<>]+:)([^\s@/\x22'<>]+)(@)")
        .expect("a valid URL pattern")
});

/// `text` with every secret masked.
pub fn redact(text: &str) -> std::borrow::Cow<'_, str> {
    let mut out = std::borrow::Cow::Borrowed(text);
    for rule in RULES.iter() {
        if rule.re.is_match(&out) {
            let masked = format!("[REDACTED:{}]", rule.kind);
            out = std::borrow::Cow::Owned(rule.re.replace_all(&out, masked.as_str()).into_owned());
        }
    }
    if URL_PASSWORD.is_match(&out) {
        out = std::borrow::Cow::Owned(
            URL_PASSWORD
                .replace_all(&out, |c: &Captures| {
                    format!("{}[REDACTED:password]{}", &c[1], &c[3])
                })
                .into_owned(),
        );
    }
    out
}

/// Mask secrets in every string of a JSON value, in place.
pub fn redact_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => {
            if let std::borrow::Cow::Owned(masked) = redact(s) {
                *s = masked;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        serde_json::Value::Object(map) => map.values_mut().for_each(redact_json),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_secrets_are_masked() {
        let cases = [
            (
                "key sk-proj-4fJ9aQ2LmZ8xWc1VbN7tRy6UeP3oKd5s",
                "key [REDACTED:api-key]",
            ),
            (
                "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
                "[REDACTED:api-key]",
            ),
            (
                "token=ghp_1234567890abcdefghijABCDEFGHIJ123456",
                "token=[REDACTED:github-token]",
            ),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
                "[REDACTED:github-token]",
            ),
            ("AKIAIOSFODNN7EXAMPLE", "[REDACTED:aws-access-key]"),
            (
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "[REDACTED:aws-secret-key]",
            ),
            (
                "git clone https://alice:s3cr3t-pa55@github.com/x/y.git",
                "git clone https://alice:[REDACTED:password]@github.com/x/y.git",
            ),
            (
                "postgres://app:hunter2@db.internal:5432/prod",
                "postgres://app:[REDACTED:password]@db.internal:5432/prod",
            ),
            ("xoxb-123456789012-abcdefghijkl", "[REDACTED:slack-token]"),
            (
                "AIzaSyA1234567890abcdefghijklmnopqrstuv",
                "[REDACTED:google-api-key]",
            ),
            (
                "Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345",
                "Authorization: [REDACTED:bearer-token]",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input), want, "{input}");
        }
    }

    #[test]
    fn a_pem_private_key_goes_whole() {
        let pem = "before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1c7+9z\nabc/def==\n-----END RSA PRIVATE KEY-----\nafter";
        assert_eq!(redact(pem), "before\n[REDACTED:private-key]\nafter");
        let openssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
        assert_eq!(redact(openssh), "[REDACTED:private-key]");
    }

    #[test]
    fn ordinary_text_and_code_are_left_alone() {
        let plain = [
            "Refactor the task-runner so sk- prefixed names still parse",
            "let risk_level = compute_risk(task); // ask-for-review",
            "See https://github.com/anomalyco/opencode and http://localhost:3210/api",
            "ssh git@github.com:org/repo.git",
            "The AKIA prefix marks AWS access keys.",
            "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----",
            "mailto:someone@example.com, user@host:path",
            "bearer of bad news",
        ];
        for text in plain {
            assert_eq!(redact(text), text);
            assert!(matches!(redact(text), std::borrow::Cow::Borrowed(_)));
        }
    }

    #[test]
    fn json_strings_are_masked_anywhere_in_the_tree() {
        let mut v = serde_json::json!({"parts": [{"text": "use AKIAIOSFODNN7EXAMPLE", "n": 3}], "k": ["ok"]});
        redact_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"parts": [{"text": "use [REDACTED:aws-access-key]", "n": 3}], "k": ["ok"]})
        );
    }
}
