//! A secret (the Convex token): never shown by `Debug` or `Display`.

/// Holds a secret; the only way to the text is [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Secret {
        Secret(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the secret masked, for messages that
    /// may echo what was sent (Convex validation errors print the arguments).
    pub fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_string()
        } else {
            text.replace(&self.0, "[redacted]")
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_and_are_redacted_from_text() {
        let s = Secret::new("hunter2-long-secret".into());
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(
            s.redact("args {token: \"hunter2-long-secret\"}"),
            "args {token: \"[redacted]\"}"
        );
    }
}
