//! A minimal GraphQL front end: parses one operation (type, name, variable definitions,
//! selection set), checks variable values against their declared types, and projects a full
//! result object onto the selection set so answers hold exactly the selected fields.

use serde_json::{Map, Value};

/// A syntax, validation or coercion failure, worded like graphql-js.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct GraphqlError(pub String);

fn fail<T>(message: impl Into<String>) -> Result<T, GraphqlError> {
    Err(GraphqlError(message.into()))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperationKind {
    Query,
    Mutation,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub name: String,
    pub children: Vec<Selection>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub kind: OperationKind,
    pub name: Option<String>,
    /// `(name, type)` in declaration order, types written like `[String!]!`.
    pub variables: Vec<(String, String)>,
    pub selection: Vec<Selection>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Name(String),
    Punct(char),
    Spread,
    Str,
    Number,
}

fn tokenize(text: &str) -> Result<Vec<Token>, GraphqlError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() || c == ',' || c == '\u{feff}' {
            i += 1;
        } else if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token::Name(chars[start..i].iter().collect()));
        } else if c.is_ascii_digit() || c == '-' {
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
            tokens.push(Token::Number);
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            if i >= chars.len() {
                return fail("Syntax Error: Unterminated string.".to_owned());
            }
            i += 1;
            tokens.push(Token::Str);
        } else if c == '.' && chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.') {
            tokens.push(Token::Spread);
            i += 3;
        } else if "{}()[]:!$=@".contains(c) {
            tokens.push(Token::Punct(c));
            i += 1;
        } else {
            return fail(format!("Syntax Error: Unexpected character \"{c}\"."));
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect_punct(&mut self, c: char) -> Result<(), GraphqlError> {
        match self.next() {
            Some(Token::Punct(p)) if p == c => Ok(()),
            other => fail(format!("Syntax Error: Expected \"{c}\", found {other:?}.")),
        }
    }

    fn name(&mut self) -> Result<String, GraphqlError> {
        match self.next() {
            Some(Token::Name(n)) => Ok(n),
            other => fail(format!("Syntax Error: Expected Name, found {other:?}.")),
        }
    }

    fn type_ref(&mut self) -> Result<String, GraphqlError> {
        let mut out = if self.peek() == Some(&Token::Punct('[')) {
            self.pos += 1;
            let inner = self.type_ref()?;
            self.expect_punct(']')?;
            format!("[{inner}]")
        } else {
            self.name()?
        };
        if self.peek() == Some(&Token::Punct('!')) {
            self.pos += 1;
            out.push('!');
        }
        Ok(out)
    }

    fn skip_value(&mut self) -> Result<(), GraphqlError> {
        match self.next() {
            Some(Token::Punct('$')) => self.name().map(|_| ()),
            Some(Token::Name(_) | Token::Str | Token::Number) => Ok(()),
            Some(Token::Punct('[')) => {
                while self.peek() != Some(&Token::Punct(']')) {
                    if self.peek().is_none() {
                        return fail("Syntax Error: Unterminated list.".to_owned());
                    }
                    self.skip_value()?;
                }
                self.pos += 1;
                Ok(())
            }
            Some(Token::Punct('{')) => {
                while self.peek() != Some(&Token::Punct('}')) {
                    self.name()?;
                    self.expect_punct(':')?;
                    self.skip_value()?;
                }
                self.pos += 1;
                Ok(())
            }
            other => fail(format!("Syntax Error: Unexpected {other:?}.")),
        }
    }

    fn arguments(&mut self) -> Result<(), GraphqlError> {
        if self.peek() != Some(&Token::Punct('(')) {
            return Ok(());
        }
        self.pos += 1;
        while self.peek() != Some(&Token::Punct(')')) {
            self.name()?;
            self.expect_punct(':')?;
            self.skip_value()?;
        }
        self.pos += 1;
        Ok(())
    }

    fn selection_set(&mut self) -> Result<Vec<Selection>, GraphqlError> {
        self.expect_punct('{')?;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                Some(Token::Punct('}')) => {
                    self.pos += 1;
                    break;
                }
                Some(Token::Spread) => {
                    return fail("Fragments are not supported by the simulator.".to_owned());
                }
                None => return fail("Syntax Error: Expected Name, found <EOF>.".to_owned()),
                _ => {}
            }
            let mut name = self.name()?;
            if self.peek() == Some(&Token::Punct(':')) {
                return fail(format!(
                    "Aliases are not supported by the simulator (alias {name})."
                ));
            }
            self.arguments()?;
            if self.peek() == Some(&Token::Punct('@')) {
                return fail("Directives are not supported by the simulator.".to_owned());
            }
            let children = if self.peek() == Some(&Token::Punct('{')) {
                self.selection_set()?
            } else {
                Vec::new()
            };
            out.push(Selection {
                name: std::mem::take(&mut name),
                children,
            });
        }
        if out.is_empty() {
            return fail("Syntax Error: Expected Name, found \"}\".".to_owned());
        }
        Ok(out)
    }
}

/// Parses a document holding exactly one operation.
pub fn parse(text: &str) -> Result<Document, GraphqlError> {
    let mut p = Parser {
        tokens: tokenize(text)?,
        pos: 0,
    };
    let (kind, name, variables) = match p.peek() {
        Some(Token::Punct('{')) => (OperationKind::Query, None, Vec::new()),
        Some(Token::Name(word)) if word == "query" || word == "mutation" => {
            let kind = if word == "query" {
                OperationKind::Query
            } else {
                OperationKind::Mutation
            };
            p.pos += 1;
            let name = match p.peek() {
                Some(Token::Name(_)) => Some(p.name()?),
                _ => None,
            };
            let mut variables = Vec::new();
            if p.peek() == Some(&Token::Punct('(')) {
                p.pos += 1;
                while p.peek() != Some(&Token::Punct(')')) {
                    p.expect_punct('$')?;
                    let var = p.name()?;
                    p.expect_punct(':')?;
                    let ty = p.type_ref()?;
                    if p.peek() == Some(&Token::Punct('=')) {
                        p.pos += 1;
                        p.skip_value()?;
                    }
                    variables.push((var, ty));
                }
                p.pos += 1;
            }
            (kind, name, variables)
        }
        other => return fail(format!("Syntax Error: Unexpected {other:?}.")),
    };
    let selection = p.selection_set()?;
    if p.peek().is_some() {
        return fail("This simulator accepts documents with exactly one operation.".to_owned());
    }
    Ok(Document {
        kind,
        name,
        variables,
        selection,
    })
}

/// Checks a variable value against a declared type (`String`, `Int`, `Boolean`, `[T]`, input
/// objects, with `!`). Input object fields are checked by the operation itself.
pub fn check_value(name: &str, ty: &str, value: &Value) -> Result<(), GraphqlError> {
    let (inner, required) = match ty.strip_suffix('!') {
        Some(inner) => (inner, true),
        None => (ty, false),
    };
    if value.is_null() {
        return if required {
            fail(format!(
                "Variable \"${name}\" of required type \"{ty}\" was not provided."
            ))
        } else {
            Ok(())
        };
    }
    let invalid = |what: &str| {
        fail(format!(
            "Variable \"${name}\" got invalid value {value}; {what}"
        ))
    };
    if let Some(element) = inner.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        return match value {
            Value::Array(items) => items
                .iter()
                .try_for_each(|item| check_value(name, element, item)),
            _ => check_value(name, element, value),
        };
    }
    match inner {
        "String" | "ID" if !value.is_string() => {
            invalid("String cannot represent a non string value")
        }
        "Int" if !(value.is_i64() || value.is_u64()) => {
            invalid("Int cannot represent non-integer value")
        }
        "Boolean" if !value.is_boolean() => invalid("Boolean cannot represent a non boolean value"),
        "String" | "ID" | "Int" | "Boolean" => Ok(()),
        _ if !value.is_object() => invalid(&format!("Expected type \"{inner}\" to be an object.")),
        _ => Ok(()),
    }
}

/// Keeps only the selected fields of `value` (recursively, through lists).
pub fn project(
    value: &Value,
    selection: &[Selection],
    type_name: &str,
) -> Result<Value, GraphqlError> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|item| project(item, selection, type_name))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Value::Object(fields) => {
            let mut out = Map::new();
            for field in selection {
                if field.name == "__typename" {
                    out.insert(field.name.clone(), Value::String(type_name.to_owned()));
                    continue;
                }
                let Some(inner) = fields.get(&field.name) else {
                    return fail(format!(
                        "Cannot query field \"{}\" on type \"{type_name}\".",
                        field.name
                    ));
                };
                let projected = if field.children.is_empty() {
                    inner.clone()
                } else {
                    project(inner, &field.children, &field.name)?
                };
                out.insert(field.name.clone(), projected);
            }
            Ok(Value::Object(out))
        }
        other if selection.is_empty() => Ok(other.clone()),
        Value::Null => Ok(Value::Null),
        _ => fail(format!(
            "Field of type \"{type_name}\" must not have a selection since it is a scalar."
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parses_name_variables_and_selection() {
        let doc = parse(
            "query PaginatedScope($skip: Int!, $take: Int!, $where: ScopeWhereInput!) {\n paginatedScope(skip: $skip, take: $take, where: $where) { totalCount nodes { id name parentId externalId } } }",
        )
        .expect("parses");
        assert_eq!(doc.kind, OperationKind::Query);
        assert_eq!(doc.name.as_deref(), Some("PaginatedScope"));
        assert_eq!(
            doc.variables[2],
            ("where".to_owned(), "ScopeWhereInput!".to_owned())
        );
        assert_eq!(doc.selection[0].name, "paginatedScope");
        assert_eq!(doc.selection[0].children[1].children.len(), 4);
    }

    #[test]
    fn shorthand_typename_query_parses() {
        let doc = parse("{ __typename }").expect("parses");
        assert_eq!(doc.name, None);
        assert_eq!(doc.selection[0].name, "__typename");
    }

    #[test]
    fn list_types_and_required_values_are_checked() {
        assert!(check_value("paths", "[String!]!", &json!(["/a"])).is_ok());
        assert!(check_value("paths", "[String!]!", &json!([1])).is_err());
        assert!(check_value("paths", "[String!]!", &Value::Null).is_err());
        assert!(check_value("skip", "Int!", &json!("0")).is_err());
        assert!(check_value("inheritAccess", "Boolean", &Value::Null).is_ok());
        assert!(check_value("where", "ScopeWhereInput!", &json!("x")).is_err());
    }

    #[test]
    fn projection_keeps_only_selected_fields_and_rejects_unknown_ones() {
        let doc =
            parse("query Q { paginatedContent { nodes { id } totalCount } }").expect("parses");
        let full = json!({"nodes": [{"id": "1", "key": "k"}], "totalCount": 1});
        let projected =
            project(&full, &doc.selection[0].children, "PaginatedContent").expect("projects");
        assert_eq!(projected, json!({"nodes": [{"id": "1"}], "totalCount": 1}));
        let bad = parse("query Q { paginatedContent { nope } }").expect("parses");
        assert!(project(&full, &bad.selection[0].children, "PaginatedContent").is_err());
    }
}
