//! Percent-encoding of query values exactly as Confluence expects (`confluence-api.md` §3).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything except `A–Z a–z 0–9 - _ . ! ~ * ' ( )` is encoded (the JavaScript
/// `encodeURIComponent` set, which the reference connector used).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Encodes a query value (`cql`, `spaceKey`, `title`, `preview`) as UTF-8 `%XX`.
pub fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_characters_stay_literal() {
        assert_eq!(encode_query_value("AZaz09-_.!~*'()"), "AZaz09-_.!~*'()");
    }

    #[test]
    fn reserved_characters_are_percent_encoded() {
        assert_eq!(encode_query_value(" =\",/"), "%20%3D%22%2C%2F");
        assert_eq!(encode_query_value("a&b?c#d+e%"), "a%26b%3Fc%23d%2Be%25");
    }

    #[test]
    fn non_ascii_is_encoded_as_utf8_bytes() {
        assert_eq!(encode_query_value("é€"), "%C3%A9%E2%82%AC");
    }
}
