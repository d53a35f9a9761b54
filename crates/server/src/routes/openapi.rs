//! Completes the generated OpenAPI document with the answers every operation can give that its
//! own annotation does not list, from the same rules that produce them, so a client generated
//! from the document handles each status with its real content type:
//! - problems are `application/problem+json` (RFC 9457), never `application/json`;
//! - every operation may answer 500 and, past `max_requests_in_flight` or while shutting down,
//!   503 (but `/healthz` and `/readyz`, which admission always serves);
//! - an operation with a security scheme answers 401 without valid credentials; the partner
//!   API (OAuth) also 403 (scope, tier, agreement) and 429 (rate limits); operator routes 403;
//! - a path with parameters answers 404 for ids that name nothing, and 400 for a path that
//!   cannot be decoded;
//! - a JSON body may be malformed (400), too large (413) or invalid (422); a query too (400, 422);
//! - the OAuth endpoints that take forms answer RFC 6749 errors (400, 413, 415) instead.

use serde_json::{Map, Value};

use clearline_api_types::problem::PROBLEM_JSON;

const PROBLEM_REF: &str = "#/components/schemas/Problem";
const OAUTH_ERROR_REF: &str = "#/components/schemas/OAuthErrorResponse";

/// One answer to add to an operation, unless it already documents that status.
fn answer(status: &str, description: &str, content_type: &str, schema: &str) -> (String, Value) {
    let mut media = Map::new();
    media.insert("schema".into(), Value::Object(Map::from_iter([("$ref".to_owned(), Value::from(schema))])));
    let mut content = Map::new();
    content.insert(content_type.to_owned(), Value::Object(media));
    let mut response = Map::new();
    response.insert("description".into(), Value::from(description));
    response.insert("content".into(), Value::Object(content));
    (status.to_owned(), Value::Object(response))
}

fn problem(status: &str, description: &str) -> (String, Value) {
    answer(status, description, PROBLEM_JSON, PROBLEM_REF)
}

fn oauth_error(status: &str, description: &str) -> (String, Value) {
    answer(status, description, "application/json", OAUTH_ERROR_REF)
}

/// Adds `extra`'s content types to a status the operation already documents (the OAuth
/// browser forms answer a bad form in RFC 6749's shape, other refusals as HTML pages).
fn merge_content(existing: &mut Value, extra: &Value) {
    let (Some(existing), Some(add)) = (existing.as_object_mut(), extra.get("content").and_then(Value::as_object))
    else {
        return;
    };
    let have = existing.entry("content").or_insert_with(|| Value::Object(Map::new()));
    if let Some(have) = have.as_object_mut() {
        for (media, schema) in add {
            have.entry(media.clone()).or_insert_with(|| schema.clone());
        }
    }
}

/// Renames `application/json` to `application/problem+json` where the schema is a problem.
fn problems_as_problem_json(responses: &mut Map<String, Value>) {
    for response in responses.values_mut() {
        let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else { continue };
        let is_problem =
            content.get("application/json").and_then(|m| m.pointer("/schema/$ref")).is_some_and(|r| r == PROBLEM_REF);
        if is_problem && let Some(media) = content.remove("application/json") {
            content.insert(PROBLEM_JSON.to_owned(), media);
        }
    }
}

fn has_security(op: &Value) -> bool {
    op.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty())
}

fn security_scheme(op: &Value, name: &str) -> bool {
    op.get("security").and_then(Value::as_array).is_some_and(|s| s.iter().any(|r| r.get(name).is_some()))
}

fn has_query(op: &Value) -> bool {
    op.get("parameters").and_then(Value::as_array).is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"))
}

/// The answers `path`'s `op` can give beyond its own annotation.
fn implied(path: &str, op: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    if ["/healthz", "/readyz"].contains(&path) {
        return out;
    }
    let oauth_form = path.starts_with("/oauth/") && op.get("requestBody").is_some();
    out.push(problem("500", "the server failed; nothing about the cause is disclosed"));
    out.push(problem("503", "too many requests in flight, or shutting down; see Retry-After"));
    if has_security(op) {
        out.push(problem("401", "missing, malformed, unknown, revoked or expired credentials"));
    }
    if security_scheme(op, "session") {
        out.push(problem("429", "over the person's request allowance; see Retry-After"));
    }
    if security_scheme(op, "oauth") {
        out.push(problem("403", "the grant, its scopes, the partner's tier or agreement do not allow this"));
        out.push(problem("404", "nothing by that id for this app and person"));
        out.push(problem("429", "over the app's or the person's rate limit; see Retry-After"));
    }
    if path.starts_with("/admin/") {
        out.push(problem("403", "the caller is not an operator"));
    }
    if path.contains('{') {
        out.push(problem("400", "a path segment that cannot be decoded"));
        out.push(problem("404", "no such resource, or not visible to the caller"));
    }
    if oauth_form {
        out.push(oauth_error("400", "invalid_request: the form cannot be read"));
        out.push(oauth_error("413", "invalid_request: the body is over the size limit"));
        out.push(oauth_error("415", "invalid_request: the body is not application/x-www-form-urlencoded"));
    } else if op.get("requestBody").is_some() {
        out.push(problem("400", "the body is not the expected JSON"));
        out.push(problem("413", "the body is over the size limit"));
        out.push(problem("422", "a field breaks a validation rule"));
    }
    if has_query(op) {
        out.push(problem("400", "the query cannot be read"));
        out.push(problem("422", "a query value breaks a validation rule"));
    }
    out
}

/// Completes every operation of `doc` (an OpenAPI 3.1 document as JSON).
pub fn complete(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, op) in item.iter_mut() {
            if !["get", "put", "post", "delete", "patch", "head"].contains(&method.as_str()) {
                continue;
            }
            let extra = implied(path, op);
            let oauth_form = path.starts_with("/oauth/") && op.get("requestBody").is_some();
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { continue };
            problems_as_problem_json(responses);
            for (status, response) in extra {
                match responses.get_mut(&status) {
                    Some(existing) if oauth_form => merge_content(existing, &response),
                    Some(_) => {}
                    None => {
                        responses.insert(status, response);
                    }
                }
            }
        }
    }
}
