//! Who is exporting: a stable device id and the host name.

/// `/etc/machine-id` (or dbus's copy), else `unknown-<hostname>` as in the
/// seed design.
pub fn device_id(hostname: &str) -> String {
    ["/etc/machine-id", "/var/lib/dbus/machine-id"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| format!("unknown-{hostname}"))
}

pub fn hostname() -> String {
    hostname::get()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "unknown".to_string())
}
