//! One input record (a JSON object; a CSV row becomes one) → an [`Article`]: [`article_from_json`].

use super::*;

/// Turn one JSON value into an article.
///
/// `text` is a required string. `id` is a string or number; when it is missing, null, empty or
/// of another type, an id is derived from the text ([`derived_id`]) and a warning recorded.
/// `title`, `date`, `source`, `url` are optional strings (null allowed, numbers are turned into
/// strings); a value of another type is kept under [`Article::extra`] with a warning. Every
/// other field is kept in [`Article::extra`].
///
/// # Errors
/// An [`InputError`] naming `origin` when the value is not an object or `text` is missing or
/// not a string.
pub fn article_from_json(
    value: Value,
    origin: &Origin,
) -> std::result::Result<Article, InputError> {
    let err = |kind, id: Option<String>, reason: String| {
        InputError::new(kind, origin.file.clone(), origin.line, id, reason)
    };
    let Value::Object(mut map) = value else {
        return Err(err(
            InputProblem::NotAnObject,
            None,
            format!("expected a JSON object, found {}", json_kind(&value)),
        ));
    };
    let id = match map.remove("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::Number(n)) => Ok(n.to_string()),
        None | Some(Value::Null) => Err("no \"id\" field".to_string()),
        Some(Value::String(_)) => Err("the \"id\" field is empty".to_string()),
        Some(v) => Err(format!(
            "the \"id\" field is {}, not a string",
            json_kind(&v)
        )),
    };
    let known = id.as_ref().ok().cloned();
    let text = match map.remove("text") {
        Some(Value::String(s)) => s,
        None | Some(Value::Null) => {
            return Err(err(
                InputProblem::MissingField,
                known,
                "missing field \"text\": nothing to classify".into(),
            ))
        }
        Some(v) => {
            return Err(err(
                InputProblem::WrongType,
                known,
                format!("field \"text\" must be a string, found {}", json_kind(&v)),
            ))
        }
    };
    let mut warnings = Vec::new();
    let id = match id {
        Ok(id) => id,
        Err(why) => {
            let d = derived_id(&text);
            warnings.push(err(
                InputProblem::DerivedId,
                Some(d.clone()),
                format!("{why}: using the id {d:?}, derived from the SHA-256 of the text"),
            ));
            d
        }
    };
    let mut opt = |name: &str| -> Option<String> {
        match map.remove(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(v) => {
                warnings.push(err(
                    InputProblem::WrongType,
                    Some(id.clone()),
                    format!(
                        "field {name:?} must be a string, found {}: kept under \"meta\", {name} left empty",
                        json_kind(&v)
                    ),
                ));
                map.insert(name.to_string(), v);
                None
            }
        }
    };
    let title = opt("title");
    let date = opt("date");
    let source = opt("source");
    let url = opt("url");
    Ok(Article {
        id,
        title,
        date,
        source,
        url,
        text,
        extra: map,
        origin: origin.clone(),
        warnings,
    })
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
