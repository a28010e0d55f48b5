//! A secret (the Convex token): never shown by `Debug` or `Display`; and
//! the masking of passwords in URLs.

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

/// `url` with its user name and password (`https://user:pass@host`) masked,
/// when it has any.
pub fn mask_userinfo(url: &str) -> Option<String> {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    let at = url[start..end].rfind('@')? + start;
    Some(format!("{}***{}", &url[..start], &url[at..]))
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

    #[test]
    fn userinfo_in_a_url_is_masked() {
        assert_eq!(
            mask_userinfo("https://user:SECRET@host.convex.cloud/x@y").as_deref(),
            Some("https://***@host.convex.cloud/x@y")
        );
        assert_eq!(
            mask_userinfo("https://a:b@c@host").as_deref(),
            Some("https://***@host")
        );
        assert_eq!(mask_userinfo("https://host.convex.cloud/a@b"), None);
        assert_eq!(mask_userinfo("https://host.convex.cloud"), None);
    }
}
