//! A byte-exact scanner of storage-format XHTML that locates `<ac:image>…</ac:image>` macros
//! (sync-flow §7.2 step 1) and reads their attributes and direct children.
//!
//! It works on bytes: every syntax character is ASCII and never occurs inside a multi-byte UTF-8
//! sequence, so the offsets it returns are byte offsets that are always valid `str` boundaries.
//! Comments, CDATA sections, processing instructions and declarations are skipped whole.

use std::ops::Range;

/// Where an image macro takes its picture from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageSource {
    /// `<ri:url …/>`: an external image, left untouched.
    External,
    /// `<ri:attachment ri:filename="F"/>`: an attachment of this page.
    SamePage {
        /// The file name `F`.
        filename: String,
    },
    /// `<ri:attachment ri:filename="F"><ri:page ri:content-title="T" [ri:space-key="S"]/>`.
    OtherPage {
        /// The file name `F`.
        filename: String,
        /// The other page's title `T`.
        title: String,
        /// The other page's space `S`, if given.
        space_key: Option<String>,
    },
    /// Anything else; the text says why.
    Unresolvable(String),
}

/// One `<ac:image>` element with an explicit closing tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageMacro {
    /// From `<ac:image` to the end of `</ac:image>`, in bytes.
    pub span: Range<usize>,
    /// `ac:alt`, entity-decoded.
    pub alt: Option<String>,
    /// `ac:title`, entity-decoded.
    pub title: Option<String>,
    /// `ac:width`, entity-decoded.
    pub width: Option<String>,
    /// `ac:height`, entity-decoded.
    pub height: Option<String>,
    /// What the macro shows.
    pub source: ImageSource,
}

#[derive(Debug)]
struct Tag<'a> {
    name: &'a str,
    attributes: Vec<(&'a str, String)>,
    self_closing: bool,
}

impl Tag<'_> {
    fn attribute(&self, name: &str) -> Option<String> {
        self.attributes
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }
}

/// What the scanner found at one `<`.
enum Token<'a> {
    Start(Tag<'a>),
    End(&'a str),
    /// Comment, CDATA, declaration or processing instruction.
    Skipped,
}

/// A macro being read: its start, attributes and what its children said so far.
struct OpenMacro {
    start: usize,
    /// Element depth of the `<ac:image>` itself.
    depth: usize,
    alt: Option<String>,
    title: Option<String>,
    width: Option<String>,
    height: Option<String>,
    /// Direct children seen, in order, with the `ri:page` of an `ri:attachment` if any.
    children: Vec<Child>,
}

enum Child {
    Url,
    Attachment {
        filename: Option<String>,
        page: Option<(Option<String>, Option<String>)>,
        other_child: bool,
    },
    Other(String),
}

/// Finds every closed `<ac:image>` macro in `body`, in document order. Macros nested inside
/// another image macro are part of the outer one and not reported on their own.
pub fn find_image_macros(body: &str) -> Vec<ImageMacro> {
    let bytes = body.as_bytes();
    let mut found: Vec<ImageMacro> = Vec::new();
    // Open elements: name and, for `ac:image`, its macro.
    let mut stack: Vec<(&str, Option<OpenMacro>)> = Vec::new();
    let mut pos = 0;
    while let Some(offset) = bytes[pos..].iter().position(|&b| b == b'<') {
        let start = pos + offset;
        let Some((token, end)) = read_token(body, start) else {
            // Unterminated markup: nothing after it can be a complete macro.
            break;
        };
        pos = end;
        match token {
            Token::Skipped => {}
            Token::Start(tag) => {
                let depth = stack.len();
                note_child(&mut stack, &tag, depth);
                if tag.self_closing {
                    continue;
                }
                let open = (tag.name == "ac:image").then(|| OpenMacro {
                    start,
                    depth,
                    alt: tag.attribute("ac:alt"),
                    title: tag.attribute("ac:title"),
                    width: tag.attribute("ac:width"),
                    height: tag.attribute("ac:height"),
                    children: Vec::new(),
                });
                stack.push((tag.name, open));
            }
            Token::End(name) => {
                // Close the nearest open element of that name; elements left open inside it
                // (and unclosed macros among them) are dropped. A stray end tag is ignored.
                let Some(index) = stack.iter().rposition(|(open, _)| *open == name) else {
                    continue;
                };
                stack.truncate(index + 1);
                if let Some((_, Some(open))) = stack.pop() {
                    let inside_other_macro = stack.iter().any(|(_, m)| m.is_some());
                    if !inside_other_macro {
                        let span = open.start..end;
                        found.push(finish_macro(open, span));
                    }
                }
            }
        }
    }
    found
}

/// Records `tag` as a direct child (or `ri:page` grandchild) of the innermost open macro.
fn note_child(stack: &mut [(&str, Option<OpenMacro>)], tag: &Tag<'_>, depth: usize) {
    let Some(open) = stack.iter_mut().rev().find_map(|(_, m)| m.as_mut()) else {
        return;
    };
    if depth == open.depth + 1 {
        open.children.push(match tag.name {
            "ri:url" => Child::Url,
            "ri:attachment" => Child::Attachment {
                filename: tag.attribute("ri:filename"),
                page: None,
                other_child: false,
            },
            other => Child::Other(other.to_owned()),
        });
    } else if depth == open.depth + 2
        && let Some(Child::Attachment {
            page, other_child, ..
        }) = open.children.last_mut()
    {
        if tag.name == "ri:page" && page.is_none() {
            *page = Some((
                tag.attribute("ri:content-title"),
                tag.attribute("ri:space-key"),
            ));
        } else {
            *other_child = true;
        }
    }
}

fn finish_macro(open: OpenMacro, span: Range<usize>) -> ImageMacro {
    let source = match open.children.as_slice() {
        [Child::Url] => ImageSource::External,
        [
            Child::Attachment {
                filename: Some(filename),
                page: None,
                other_child: false,
            },
        ] => ImageSource::SamePage {
            filename: filename.clone(),
        },
        [
            Child::Attachment {
                filename: Some(filename),
                page: Some((Some(title), space_key)),
                other_child: false,
            },
        ] => ImageSource::OtherPage {
            filename: filename.clone(),
            title: title.clone(),
            space_key: space_key.clone(),
        },
        [] => ImageSource::Unresolvable("the macro has no resource child".into()),
        [Child::Attachment { filename: None, .. }] => {
            ImageSource::Unresolvable("`ri:attachment` has no `ri:filename`".into())
        }
        [Child::Attachment { .. }] => ImageSource::Unresolvable(
            "`ri:attachment` refers to something other than a page by title".into(),
        ),
        [Child::Other(name)] => ImageSource::Unresolvable(format!("unsupported resource `{name}`")),
        _ => ImageSource::Unresolvable("the macro has more than one resource child".into()),
    };
    ImageMacro {
        span,
        alt: open.alt,
        title: open.title,
        width: open.width,
        height: open.height,
        source,
    }
}

/// Reads the markup that starts at `body[start] == '<'`; returns it and the offset after it, or
/// `None` when it never ends. A `<` that starts no markup is skipped as text.
fn read_token(body: &str, start: usize) -> Option<(Token<'_>, usize)> {
    let rest = &body[start..];
    let skip_to = |terminator: &str| {
        rest.find(terminator)
            .map(|i| (Token::Skipped, start + i + terminator.len()))
    };
    if rest.starts_with("<!--") {
        return skip_to("-->");
    }
    if rest.starts_with("<![CDATA[") {
        return skip_to("]]>");
    }
    if rest.starts_with("<?") {
        return skip_to("?>");
    }
    if rest.starts_with("<!") {
        return skip_to(">");
    }
    if let Some(after) = rest.strip_prefix("</") {
        let name_len = after
            .find(|c: char| c.is_ascii_whitespace() || c == '>')
            .unwrap_or(after.len());
        let close = after.find('>')?;
        return Some((Token::End(&after[..name_len]), start + 2 + close + 1));
    }
    read_start_tag(body, start)
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b'_' | b'.') || b >= 0x80
}

fn read_start_tag(body: &str, start: usize) -> Option<(Token<'_>, usize)> {
    let bytes = body.as_bytes();
    let mut pos = start + 1;
    while pos < bytes.len() && is_name_byte(bytes[pos]) {
        pos += 1;
    }
    if pos == start + 1 {
        // `<` followed by no name is text (e.g. a stray `<` in malformed content).
        return Some((Token::Skipped, start + 1));
    }
    let name = &body[start + 1..pos];
    let mut attributes = Vec::new();
    loop {
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        match bytes.get(pos)? {
            b'>' => {
                let tag = Tag {
                    name,
                    attributes,
                    self_closing: false,
                };
                return Some((Token::Start(tag), pos + 1));
            }
            b'/' if bytes.get(pos + 1) == Some(&b'>') => {
                let tag = Tag {
                    name,
                    attributes,
                    self_closing: true,
                };
                return Some((Token::Start(tag), pos + 2));
            }
            _ => {}
        }
        let name_start = pos;
        while pos < bytes.len() && is_name_byte(bytes[pos]) {
            pos += 1;
        }
        if pos == name_start {
            // Not an attribute name: skip the byte so malformed tags still end.
            pos += 1;
            continue;
        }
        let attribute_name = &body[name_start..pos];
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if bytes.get(pos) != Some(&b'=') {
            attributes.push((attribute_name, String::new()));
            continue;
        }
        pos += 1;
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let quote = *bytes.get(pos)?;
        let value = if quote == b'"' || quote == b'\'' {
            let value_start = pos + 1;
            let len = bytes[value_start..].iter().position(|&b| b == quote)?;
            pos = value_start + len + 1;
            &body[value_start..value_start + len]
        } else {
            let value_start = pos;
            while pos < bytes.len() && !bytes[pos].is_ascii_whitespace() && bytes[pos] != b'>' {
                pos += 1;
            }
            &body[value_start..pos]
        };
        attributes.push((attribute_name, decode_entities(value)));
    }
}

/// Decodes XML character references and the five predefined entities; anything else is kept
/// as written.
pub fn decode_entities(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let decoded = after.find(';').and_then(|semi| {
            let entity = &after[1..semi];
            let ch = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .map(|hex| u32::from_str_radix(hex, 16))
                    .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(Result::ok)
                    .and_then(char::from_u32),
            };
            ch.map(|c| (c, semi + 1))
        });
        match decoded {
            Some((c, consumed)) => {
                out.push(c);
                rest = &after[consumed..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(body: &str) -> Vec<&str> {
        find_image_macros(body)
            .into_iter()
            .map(|m| &body[m.span])
            .collect()
    }

    #[test]
    fn same_page_attachment_macro_is_found_with_attributes() {
        let body = r#"<p>x</p><ac:image ac:alt="A &amp; B" ac:width="200"><ri:attachment ri:filename="d&#233;.png" /></ac:image><p>y</p>"#;
        let macros = find_image_macros(body);
        assert_eq!(macros.len(), 1);
        let m = &macros[0];
        assert_eq!(
            &body[m.span.clone()],
            r#"<ac:image ac:alt="A &amp; B" ac:width="200"><ri:attachment ri:filename="d&#233;.png" /></ac:image>"#
        );
        assert_eq!(m.alt.as_deref(), Some("A & B"));
        assert_eq!(m.width.as_deref(), Some("200"));
        assert_eq!(m.title, None);
        assert_eq!(
            m.source,
            ImageSource::SamePage {
                filename: "dé.png".into()
            }
        );
    }

    #[test]
    fn other_page_reference_reads_title_and_space() {
        let body = r#"<ac:image><ri:attachment ri:filename="a.png"><ri:page ri:content-title="Other" ri:space-key="OPS"/></ri:attachment></ac:image>"#;
        assert_eq!(
            find_image_macros(body)[0].source,
            ImageSource::OtherPage {
                filename: "a.png".into(),
                title: "Other".into(),
                space_key: Some("OPS".into())
            }
        );
    }

    #[test]
    fn external_url_macro_is_external() {
        let body = r#"<ac:image><ri:url ri:value="https://x/y.png"/></ac:image>"#;
        assert_eq!(find_image_macros(body)[0].source, ImageSource::External);
    }

    #[test]
    fn self_closing_and_unclosed_macros_are_not_reported() {
        let body = r#"<ac:image ac:alt="x"/><p><ac:image><ri:attachment ri:filename="a.png"/></p><ac:image><ri:attachment ri:filename="b.png"/></ac:image>"#;
        assert_eq!(
            spans(body),
            vec![r#"<ac:image><ri:attachment ri:filename="b.png"/></ac:image>"#]
        );
    }

    #[test]
    fn macros_in_cdata_and_comments_are_ignored() {
        let body = r#"<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[<ac:image><ri:attachment ri:filename="no.png"/></ac:image> ]]></ac:plain-text-body></ac:structured-macro><!-- <ac:image></ac:image> --><ac:image><ri:attachment ri:filename="yes.png"/></ac:image>"#;
        let macros = find_image_macros(body);
        assert_eq!(macros.len(), 1);
        assert_eq!(
            macros[0].source,
            ImageSource::SamePage {
                filename: "yes.png".into()
            }
        );
    }

    #[test]
    fn macros_nested_in_other_macros_and_tables_are_found() {
        let body = r#"<ac:layout><ac:layout-section><ac:layout-cell><table><tr><td><ac:structured-macro ac:name="info"><ac:rich-text-body><ac:image ac:title="t"><ri:attachment ri:filename="deep.png"/></ac:image></ac:rich-text-body></ac:structured-macro></td></tr></table></ac:layout-cell></ac:layout-section></ac:layout>"#;
        let macros = find_image_macros(body);
        assert_eq!(macros.len(), 1);
        assert_eq!(macros[0].title.as_deref(), Some("t"));
        assert_eq!(
            macros[0].source,
            ImageSource::SamePage {
                filename: "deep.png".into()
            }
        );
    }

    #[test]
    fn image_inside_image_is_part_of_the_outer_macro() {
        let body = r#"<ac:image><ri:attachment ri:filename="a.png"/><ac:image><ri:attachment ri:filename="b.png"/></ac:image></ac:image>"#;
        let macros = find_image_macros(body);
        assert_eq!(macros.len(), 1);
        assert_eq!(macros[0].span, 0..body.len());
        assert!(matches!(macros[0].source, ImageSource::Unresolvable(_)));
    }

    #[test]
    fn offsets_are_bytes_after_multibyte_text() {
        let body = r#"<p>Grüße 😀 — ü</p><ac:image ac:alt="Ä"><ri:attachment ri:filename="ö.png"/></ac:image>"#;
        let macros = find_image_macros(body);
        let start = body.find("<ac:image").unwrap();
        assert_eq!(macros[0].span, start..body.len());
        assert_eq!(macros[0].alt.as_deref(), Some("Ä"));
    }

    #[test]
    fn quoted_attribute_values_may_contain_angle_brackets() {
        let body = r#"<ac:image ac:alt="a > b" ac:title='x "y"'><ri:attachment ri:filename="a.png"/></ac:image>"#;
        let m = &find_image_macros(body)[0];
        assert_eq!(m.alt.as_deref(), Some("a > b"));
        assert_eq!(m.title.as_deref(), Some("x \"y\""));
        assert_eq!(m.span, 0..body.len());
    }

    #[test]
    fn unsupported_children_are_unresolvable() {
        let body = r#"<ac:image><ri:attachment ri:filename="a.png"><ri:blog-post ri:content-title="B"/></ri:attachment></ac:image><ac:image><ri:attachment/></ac:image><ac:image></ac:image>"#;
        let macros = find_image_macros(body);
        assert_eq!(macros.len(), 3);
        assert!(
            macros
                .iter()
                .all(|m| matches!(m.source, ImageSource::Unresolvable(_)))
        );
    }

    #[test]
    fn unterminated_markup_stops_the_scan_without_panicking() {
        assert!(find_image_macros("<ac:image><ri:attachment ri:filename=\"a.png").is_empty());
        assert!(find_image_macros("<!-- never closed <ac:image></ac:image>").is_empty());
        assert!(find_image_macros("a < b <").is_empty());
    }

    /// Bodies built from fragments in every order of a fixed pseudo-random sequence: the scanner
    /// never panics and every span starts at `<ac:image`, ends after `</ac:image>`, and lies on
    /// character boundaries.
    #[test]
    fn scanner_spans_are_valid_for_arbitrary_fragment_soup() {
        let fragments = [
            "<ac:image>",
            "</ac:image>",
            "<ac:image ac:alt=\"ä>\">",
            "<ri:attachment ri:filename=\"é.png\"/>",
            "<ri:url ri:value=\"x\"/>",
            "<![CDATA[",
            "]]>",
            "<!--",
            "-->",
            "<p>",
            "</p>",
            "😀",
            "<",
            ">",
            "&amp;",
            "'",
            "\"",
            "<ac:image/>",
            "<ri:page ri:content-title=\"T\"/>",
            "<ri:attachment>",
            "</ri:attachment>",
            "text ü ",
            "<?pi?>",
            "<!DOCTYPE x>",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut macros_seen = 0;
        for _ in 0..3000 {
            let mut body = String::new();
            for _ in 0..(state % 24) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                body.push_str(fragments[(state % fragments.len() as u64) as usize]);
            }
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            for m in find_image_macros(&body) {
                assert!(
                    body.is_char_boundary(m.span.start) && body.is_char_boundary(m.span.end),
                    "{body}"
                );
                let text = &body[m.span];
                assert!(
                    text.starts_with("<ac:image") && text.ends_with("</ac:image>"),
                    "{body}"
                );
                macros_seen += 1;
            }
        }
        assert!(macros_seen > 50, "the soup found only {macros_seen} macros");
    }

    #[test]
    fn entities_are_decoded_and_unknown_ones_kept() {
        assert_eq!(
            decode_entities("a&lt;b&gt;&quot;&apos;&#x41;&#66;&nbsp;&"),
            "a<b>\"'AB&nbsp;&"
        );
    }
}
