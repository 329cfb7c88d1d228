//! `/api/docs`: the OpenAPI document as a page people read, drawn by Redress from the document
//! it serves (no third-party script or CDN): each operation with its scope, parameters, body
//! fields, an example request and its answers.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use serde_json::{Map, Value};

use super::document::document;
use crate::error::AppError;
use crate::{AppState, render};

/// The methods, in the order a page lists them.
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

#[derive(Debug, Serialize)]
struct Operation {
    anchor: String,
    method: String,
    path: String,
    summary: String,
    description: Vec<Words>,
    scope: Option<String>,
    idempotent: bool,
    parameters: Vec<Field>,
    fields: Vec<Field>,
    example: Option<String>,
    curl: String,
    responses: Vec<(String, String)>,
}

#[derive(Debug, Serialize)]
struct Field {
    name: String,
    place: String,
    kind: String,
    required: bool,
    description: Vec<Words>,
}

/// A stretch of a description: words, or `code` (between backticks in the document).
#[derive(Debug, Serialize)]
struct Words {
    code: bool,
    text: String,
}

/// `text` cut at its backticks.
fn words(text: &str) -> Vec<Words> {
    text.split('`')
        .enumerate()
        .filter(|(_, t)| !t.is_empty())
        .map(|(i, t)| Words {
            code: i % 2 == 1,
            text: t.to_string(),
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct Group {
    name: String,
    operations: Vec<Operation>,
}

/// What `reference` (`#/components/…`) points to in `document`, else `value` itself.
fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .strip_prefix('#')
            .and_then(|pointer| document.pointer(pointer))
            .unwrap_or(value),
        None => value,
    }
}

/// A schema's type in a few words: `string (date)`, `one of: a, b`, `array of string`.
fn kind(document: &Value, schema: &Value) -> String {
    let schema = resolve(document, schema);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values
            .iter()
            .filter_map(Value::as_str)
            .map(|v| format!("`{v}`"))
            .collect();
        return format!("one of {}", values.join(", "));
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let main = types
        .iter()
        .find(|t| **t != "null")
        .copied()
        .unwrap_or("object");
    let mut words = match main {
        "array" => format!(
            "array of {}",
            schema
                .get("items")
                .map(|items| kind(document, items))
                .unwrap_or_else(|| "values".into())
        ),
        other => other.to_string(),
    };
    if let Some(format) = schema.get("format").and_then(Value::as_str) {
        words.push_str(&format!(" ({format})"));
    }
    if let (Some(min), Some(max)) = (
        schema.get("minimum").and_then(Value::as_i64),
        schema.get("maximum").and_then(Value::as_i64),
    ) {
        words.push_str(&format!(", {min} to {max}"));
    }
    if let Some(max) = schema.get("maxLength").and_then(Value::as_i64) {
        words.push_str(&format!(", at most {max} characters"));
    }
    if types.contains(&"null") {
        words.push_str(", or null");
    }
    words
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn fields(document: &Value, schema: &Value) -> Vec<Field> {
    let schema = resolve(document, schema);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let empty = Map::new();
    schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty)
        .iter()
        .map(|(name, property)| Field {
            name: name.clone(),
            place: "body".into(),
            kind: kind(document, property),
            required: required.contains(&name.as_str()),
            description: words(&text(resolve(document, property), "description")),
        })
        .collect()
}

fn operation(document: &Value, path: &str, method: &str, op: &Value) -> Operation {
    let parameters: Vec<Field> = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| resolve(document, p))
                .map(|p| Field {
                    name: text(p, "name"),
                    place: text(p, "in"),
                    kind: p
                        .get("schema")
                        .map(|s| kind(document, s))
                        .unwrap_or_default(),
                    required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                    description: words(&text(p, "description")),
                })
                .collect()
        })
        .unwrap_or_default();
    let json = op.pointer("/requestBody/content/application~1json");
    let schema = json.and_then(|j| j.get("schema"));
    let example = json
        .and_then(|j| j.get("example"))
        .or_else(|| schema.and_then(|s| resolve(document, s).get("example")))
        .map(|e| serde_json::to_string_pretty(e).unwrap_or_default());
    let concrete = path.replace("{reference}", "RDR-7KX4-9PQM");
    let idempotent = parameters.iter().any(|p| p.name == "Idempotency-Key");
    let mut curl = format!(
        "curl -X {} \"https://redress.example.com{concrete}\" \\\n  -H \"Authorization: Bearer rdr_…\"",
        method.to_uppercase()
    );
    if let Some(example) = &example {
        if idempotent {
            curl.push_str(" \\\n  -H \"Idempotency-Key: 4f1c2a9e-6b1d-4a63-9a53-2f0e8f1d7b20\"");
        }
        curl.push_str(&format!(
            " \\\n  -H \"Content-Type: application/json\" \\\n  -d '{}'",
            serde_json::from_str::<Value>(example)
                .map(|v| v.to_string())
                .unwrap_or_default()
                .replace('\'', "'\\''")
        ));
    }
    let scope = op
        .get("security")
        .and_then(Value::as_array)
        .and_then(|s| s.first())
        .and_then(|s| s.get("bearer"))
        .and_then(Value::as_array)
        .and_then(|scopes| scopes.first())
        .and_then(Value::as_str)
        .map(String::from);
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .map(|rs| {
            rs.iter()
                .map(|(code, r)| (code.clone(), text(resolve(document, r), "description")))
                .collect()
        })
        .unwrap_or_default();
    Operation {
        anchor: text(op, "operationId"),
        method: method.to_uppercase(),
        path: path.to_string(),
        summary: text(op, "summary"),
        description: words(&text(op, "description")),
        scope,
        idempotent,
        parameters,
        fields: schema.map(|s| fields(document, s)).unwrap_or_default(),
        example,
        curl,
        responses,
    }
}

/// The document's operations, grouped by their first tag, in the document's order.
fn groups(document: &Value) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return groups;
    };
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(method) else {
                continue;
            };
            let tag = op
                .pointer("/tags/0")
                .and_then(Value::as_str)
                .unwrap_or("Other")
                .to_string();
            let operation = operation(document, path, method, op);
            match groups.iter_mut().find(|g| g.name == tag) {
                Some(group) => group.operations.push(operation),
                None => groups.push(Group {
                    name: tag,
                    operations: vec![operation],
                }),
            }
        }
    }
    groups
}

/// GET /api/docs
pub(crate) async fn page(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let document = document(&state).await?;
    let mut context = tera::Context::new();
    context.insert("lang", "en");
    context.insert("no_switch", &true);
    context.insert("title", &text(&document["info"], "title"));
    context.insert(
        "description",
        &words(&text(&document["info"], "description")),
    );
    context.insert("groups", &groups(&document));
    render(&state, "api/docs.html", &context, 200)
}
