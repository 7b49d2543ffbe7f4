//! Pagination helpers for the two common styles of listing APIs: an opaque cursor in the body
//! (`nextCursor`) and a `Link: <…>; rel="next"` header (RFC 8288). They hold the position only;
//! the plugin sends the requests, so discovery can fetch one page per `next-batch`.

/// Where a cursor-paginated listing stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CursorState {
    /// No page fetched yet: the next request carries no cursor.
    #[default]
    Start,
    /// The next request carries this cursor.
    Next(String),
    /// The last page was fetched.
    Done,
}

impl CursorState {
    /// The cursor for the next request: `None` when the listing is done, `Some(None)` for the
    /// first page.
    pub fn next_request(&self) -> Option<Option<&str>> {
        match self {
            Self::Start => Some(None),
            Self::Next(cursor) => Some(Some(cursor)),
            Self::Done => None,
        }
    }

    /// Moves past a fetched page whose answer named `next` (absent or empty on the last page).
    pub fn advance(&mut self, next: Option<String>) {
        *self = match next {
            Some(cursor) if !cursor.is_empty() => Self::Next(cursor),
            _ => Self::Done,
        };
    }

    /// Whether the last page was fetched.
    pub fn is_done(&self) -> bool {
        *self == Self::Done
    }
}

/// The `rel="next"` target of a `Link` header value, e.g.
/// `<https://api.example.com/items?page=2>; rel="next", <…>; rel="last"`.
pub fn next_link(link_header: &str) -> Option<String> {
    link_header.split(',').find_map(|link| {
        let (target, params) = link.trim().split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = params.split(';').any(|param| {
            let Some((name, value)) = param.split_once('=') else {
                return false;
            };
            name.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_matches('"')
                    .split_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"))
        });
        is_next.then(|| target.to_owned())
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

    use super::*;

    #[test]
    fn a_cursor_listing_starts_without_cursor_and_ends_on_an_absent_or_empty_one() {
        let mut state = CursorState::default();
        assert_eq!(state.next_request(), Some(None));
        state.advance(Some("c2".into()));
        assert_eq!(state.next_request(), Some(Some("c2")));
        state.advance(Some(String::new()));
        assert!(state.is_done());
        assert_eq!(state.next_request(), None);
    }

    #[test]
    fn the_next_link_is_found_among_several_relations() {
        let header = r#"<https://api.example.com/items?page=1>; rel="prev", <https://api.example.com/items?page=3>; rel="next", <https://api.example.com/items?page=9>; rel="last""#;
        assert_eq!(
            next_link(header).as_deref(),
            Some("https://api.example.com/items?page=3")
        );
        assert_eq!(next_link(r#"<https://a.example/x>; rel="last""#), None);
        assert_eq!(
            next_link("<https://a.example/x>; rel=next").as_deref(),
            Some("https://a.example/x")
        );
    }
}
