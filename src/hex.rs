//! Lower-case hex, the one encoding the exporter writes digests in.

/// `bytes` as lower-case hex digits.
pub fn encode(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_lower_case_two_digits_a_byte() {
        assert_eq!(super::encode(&[0, 9, 0xab, 0xff]), "0009abff");
    }
}
