//! CQL: parses and evaluates the subset of Confluence Query Language the connector uses
//! (label, space.type, space, type, ancestor, parent, id, title; `=`, `!=`, `IN`, `NOT IN`;
//! AND/OR/parentheses; quoted values with `\` escapes). Anything else is an error that the
//! HTTP layer turns into Confluence's 400 answer.

use std::fmt;

/// A parsed query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    And(Box<Query>, Box<Query>),
    Or(Box<Query>, Box<Query>),
    Clause(Clause),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clause {
    pub field: Field,
    pub negated: bool,
    /// One value for `=`/`!=`, one or more for `IN`/`NOT IN`.
    pub values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Label,
    SpaceType,
    SpaceKey,
    Type,
    Ancestor,
    Parent,
    Id,
    Title,
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        Some(match name.to_ascii_lowercase().as_str() {
            "label" => Field::Label,
            "space.type" => Field::SpaceType,
            "space" | "space.key" => Field::SpaceKey,
            "type" => Field::Type,
            "ancestor" => Field::Ancestor,
            "parent" => Field::Parent,
            "id" | "content" => Field::Id,
            "title" => Field::Title,
            _ => return None,
        })
    }
}

/// What a CQL clause can ask about one item.
#[derive(Clone, Debug, Default)]
pub struct ItemFacts<'a> {
    pub id: &'a str,
    pub item_type: &'a str,
    pub title: &'a str,
    pub labels: &'a [String],
    pub space_key: &'a str,
    pub space_type: &'a str,
    pub parent_id: Option<&'a str>,
    pub ancestors: &'a [String],
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CqlError {
    #[error("Could not parse cql : {cql} ({reason})")]
    Syntax { cql: String, reason: String },
    #[error("Could not parse cql : {cql} (no field exists with the name '{field}')")]
    UnknownField { cql: String, field: String },
    #[error(
        "Could not parse cql : {cql} (operator '{operator}' is not supported for field '{field}')"
    )]
    UnsupportedOperator {
        cql: String,
        field: String,
        operator: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    LParen,
    RParen,
    Comma,
    Op(&'static str),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Word(w) => write!(f, "{w}"),
            Token::Quoted(q) => write!(f, "\"{q}\""),
            Token::LParen => write!(f, "("),
            Token::RParen => write!(f, ")"),
            Token::Comma => write!(f, ","),
            Token::Op(op) => write!(f, "{op}"),
        }
    }
}

fn tokenize(cql: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = cql.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push(Token::LParen);
                i += 1;
            }
            ')' => {
                tokens.push(Token::RParen);
                i += 1;
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1;
            }
            '=' => {
                tokens.push(Token::Op("="));
                i += 1;
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                tokens.push(Token::Op("!="));
                i += 2;
            }
            '~' => {
                tokens.push(Token::Op("~"));
                i += 1;
            }
            '!' if chars.get(i + 1) == Some(&'~') => {
                tokens.push(Token::Op("!~"));
                i += 2;
            }
            '<' | '>' => {
                let op = match (c, chars.get(i + 1)) {
                    ('<', Some('=')) => "<=",
                    ('>', Some('=')) => ">=",
                    ('<', _) => "<",
                    _ => ">",
                };
                tokens.push(Token::Op(op));
                i += op.len();
            }
            '"' | '\'' => {
                let quote = c;
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated string".to_owned()),
                        Some('\\') => {
                            let escaped = chars.get(i + 1).ok_or("dangling escape")?;
                            value.push(*escaped);
                            i += 2;
                        }
                        Some(ch) if *ch == quote => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            value.push(*ch);
                            i += 1;
                        }
                    }
                }
                tokens.push(Token::Quoted(value));
            }
            c if c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | ':') => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '.' | '-' | ':'))
                {
                    i += 1;
                }
                tokens.push(Token::Word(chars[start..i].iter().collect()));
            }
            other => return Err(format!("unexpected character '{other}'")),
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    cql: &'a str,
    tokens: Vec<Token>,
    pos: usize,
}

fn is_keyword(token: Option<&Token>, keyword: &str) -> bool {
    matches!(token, Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
}

impl Parser<'_> {
    fn syntax(&self, reason: impl Into<String>) -> CqlError {
        CqlError::Syntax {
            cql: self.cql.to_owned(),
            reason: reason.into(),
        }
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn or_expr(&mut self) -> Result<Query, CqlError> {
        let mut left = self.and_expr()?;
        while is_keyword(self.peek(), "OR") {
            self.pos += 1;
            let right = self.and_expr()?;
            left = Query::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Query, CqlError> {
        let mut left = self.primary()?;
        while is_keyword(self.peek(), "AND") {
            self.pos += 1;
            let right = self.primary()?;
            left = Query::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Query, CqlError> {
        match self.next() {
            Some(Token::LParen) => {
                let inner = self.or_expr()?;
                match self.next() {
                    Some(Token::RParen) => Ok(inner),
                    other => Err(self.syntax(format!("expected ')', found {}", describe(other)))),
                }
            }
            Some(Token::Word(name)) => self.clause(&name),
            other => Err(self.syntax(format!("expected a field, found {}", describe(other)))),
        }
    }

    fn clause(&mut self, name: &str) -> Result<Query, CqlError> {
        let field = Field::parse(name).ok_or_else(|| CqlError::UnknownField {
            cql: self.cql.to_owned(),
            field: name.to_owned(),
        })?;
        let (operator, negated, is_list) = match self.next() {
            Some(Token::Op("=")) => ("=", false, false),
            Some(Token::Op("!=")) => ("!=", true, false),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("IN") => ("IN", false, true),
            Some(Token::Word(w))
                if w.eq_ignore_ascii_case("NOT") && is_keyword(self.peek(), "IN") =>
            {
                self.pos += 1;
                ("NOT IN", true, true)
            }
            Some(Token::Op(op)) => {
                return Err(CqlError::UnsupportedOperator {
                    cql: self.cql.to_owned(),
                    field: name.to_owned(),
                    operator: op.to_owned(),
                });
            }
            other => {
                return Err(self.syntax(format!(
                    "expected an operator after {name}, found {}",
                    describe(other)
                )));
            }
        };
        let supported = match field {
            Field::Ancestor | Field::Parent => !negated,
            Field::Title => operator == "=",
            _ => true,
        };
        if !supported {
            return Err(CqlError::UnsupportedOperator {
                cql: self.cql.to_owned(),
                field: name.to_owned(),
                operator: operator.to_owned(),
            });
        }
        let values = if is_list {
            self.list()?
        } else {
            vec![self.value()?]
        };
        Ok(Query::Clause(Clause {
            field,
            negated,
            values,
        }))
    }

    fn value(&mut self) -> Result<String, CqlError> {
        match self.next() {
            Some(Token::Word(w)) if !is_reserved(&w) => Ok(w),
            Some(Token::Quoted(q)) => Ok(q),
            other => Err(self.syntax(format!("expected a value, found {}", describe(other)))),
        }
    }

    fn list(&mut self) -> Result<Vec<String>, CqlError> {
        match self.next() {
            Some(Token::LParen) => {}
            other => {
                return Err(
                    self.syntax(format!("expected '(' after IN, found {}", describe(other)))
                );
            }
        }
        let mut values = vec![self.value()?];
        loop {
            match self.next() {
                Some(Token::Comma) => values.push(self.value()?),
                Some(Token::RParen) => return Ok(values),
                other => {
                    return Err(
                        self.syntax(format!("expected ',' or ')', found {}", describe(other)))
                    );
                }
            }
        }
    }
}

fn is_reserved(word: &str) -> bool {
    ["AND", "OR", "NOT", "IN"]
        .iter()
        .any(|k| word.eq_ignore_ascii_case(k))
}

fn describe(token: Option<Token>) -> String {
    token.map_or_else(|| "end of query".to_owned(), |t| format!("'{t}'"))
}

/// Parses a CQL string of the supported subset.
pub fn parse(cql: &str) -> Result<Query, CqlError> {
    let tokens = tokenize(cql).map_err(|reason| CqlError::Syntax {
        cql: cql.to_owned(),
        reason,
    })?;
    let mut parser = Parser {
        cql,
        tokens,
        pos: 0,
    };
    let query = parser.or_expr()?;
    if let Some(extra) = parser.peek() {
        let reason = format!("unexpected '{extra}'");
        return Err(parser.syntax(reason));
    }
    Ok(query)
}

impl Query {
    pub fn matches(&self, item: &ItemFacts<'_>) -> bool {
        match self {
            Query::And(a, b) => a.matches(item) && b.matches(item),
            Query::Or(a, b) => a.matches(item) || b.matches(item),
            Query::Clause(clause) => clause.matches(item),
        }
    }

    /// True when some clause asks about `field` (lets callers skip computing costly facts).
    pub fn mentions(&self, field: Field) -> bool {
        match self {
            Query::And(a, b) | Query::Or(a, b) => a.mentions(field) || b.mentions(field),
            Query::Clause(clause) => clause.field == field,
        }
    }

    /// True when the query needs attachments to be considered at all, i.e. it does not rule
    /// them out through `type`. Used only as a fast path; evaluation stays exact either way.
    pub fn may_match_attachments(&self) -> bool {
        let probe = ItemFacts {
            item_type: "attachment",
            ..ItemFacts::default()
        };
        !self.rules_out(&probe)
    }

    fn rules_out(&self, probe: &ItemFacts<'_>) -> bool {
        match self {
            Query::And(a, b) => a.rules_out(probe) || b.rules_out(probe),
            Query::Or(a, b) => a.rules_out(probe) && b.rules_out(probe),
            Query::Clause(clause) => clause.field == Field::Type && !clause.matches(probe),
        }
    }
}

impl Clause {
    fn matches(&self, item: &ItemFacts<'_>) -> bool {
        let hit = self.values.iter().any(|value| match self.field {
            Field::Label => item.labels.iter().any(|l| l == value),
            Field::SpaceType => item.space_type.eq_ignore_ascii_case(value),
            Field::SpaceKey => item.space_key == value,
            Field::Type => item.item_type.eq_ignore_ascii_case(value),
            Field::Ancestor => item.ancestors.iter().any(|a| a == value),
            Field::Parent => item.parent_id == Some(value.as_str()),
            Field::Id => item.id == value,
            Field::Title => item.title == value,
        });
        hit != self.negated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page<'a>(labels: &'a [String], ancestors: &'a [String]) -> ItemFacts<'a> {
        ItemFacts {
            id: "100",
            item_type: "page",
            title: "Runbook",
            labels,
            space_key: "ENG",
            space_type: "global",
            parent_id: ancestors.first().map(String::as_str),
            ancestors,
        }
    }

    #[test]
    fn connector_label_query_matches_labelled_pages_in_global_spaces() {
        let q = parse(r#"((label="ai-ingest") OR (label="ai-ingest-all")) AND (space.type=global OR space.type=collaboration) AND type != attachment"#)
            .expect("parses");
        let labels = vec!["ai-ingest-all".to_owned()];
        assert!(q.matches(&page(&labels, &[])));
        assert!(!q.matches(&page(&[], &[])));
        let mut personal = page(&labels, &[]);
        personal.space_type = "personal";
        assert!(!q.matches(&personal));
        let mut attachment = page(&labels, &[]);
        attachment.item_type = "attachment";
        assert!(!q.matches(&attachment));
        assert!(!q.may_match_attachments());
    }

    #[test]
    fn label_with_quote_and_backslash_is_unescaped() {
        let q = parse(r#"label="a\"b\\c""#).expect("parses");
        let labels = vec![r#"a"b\c"#.to_owned()];
        assert!(q.matches(&page(&labels, &[])));
    }

    #[test]
    fn ancestor_in_and_id_in_lists_match_members() {
        let ancestors = vec!["7".to_owned(), "3".to_owned()];
        assert!(
            parse("ancestor IN (123,3) AND type != attachment")
                .expect("parses")
                .matches(&page(&[], &ancestors))
        );
        assert!(
            !parse("ancestor IN (123,456)")
                .expect("parses")
                .matches(&page(&[], &ancestors))
        );
        assert!(
            parse("id in (1,100,2)")
                .expect("parses")
                .matches(&page(&[], &[]))
        );
        assert!(parse("id=100").expect("parses").matches(&page(&[], &[])));
        assert!(
            !parse("id NOT IN (100)")
                .expect("parses")
                .matches(&page(&[], &[]))
        );
    }

    #[test]
    fn unsupported_syntax_is_rejected() {
        assert!(matches!(
            parse("creator = bob"),
            Err(CqlError::UnknownField { .. })
        ));
        assert!(matches!(
            parse("title ~ \"x\""),
            Err(CqlError::UnsupportedOperator { .. })
        ));
        assert!(matches!(parse("label = "), Err(CqlError::Syntax { .. })));
        assert!(matches!(parse("(label = a"), Err(CqlError::Syntax { .. })));
        assert!(matches!(
            parse("label = \"open"),
            Err(CqlError::Syntax { .. })
        ));
        assert!(matches!(
            parse("label = a label = b"),
            Err(CqlError::Syntax { .. })
        ));
        assert!(matches!(
            parse("ancestor != 5"),
            Err(CqlError::UnsupportedOperator { .. })
        ));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let q = parse("label = x OR label = y AND type = blogpost").expect("parses");
        let x = vec!["x".to_owned()];
        assert!(q.matches(&page(&x, &[])));
        let y = vec!["y".to_owned()];
        assert!(!q.matches(&page(&y, &[])));
    }
}
