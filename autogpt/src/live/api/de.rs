//! Tolerant field readers shared by the v2 models: values the platform may render in more
//! than one way are accepted in each, so a cosmetic change cannot fail a whole response.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use url::Url;

/// Output name → the values produced for it, in order (contract §4.12).
pub type Outputs = BTreeMap<String, Vec<Value>>;

/// A URL field: a valid absolute URL, else `None` (display data such as `image_url` is not
/// worth failing a response for).
pub(crate) fn lenient_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Url>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?.as_ref().and_then(Value::as_str).and_then(|s| Url::parse(s).ok()))
}

/// `outputs`: name → array. A value that is not an array is read as a list of one; `null` is
/// no outputs.
pub(crate) fn outputs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Outputs>, D::Error> {
    let Some(map) = Option::<BTreeMap<String, Value>>::deserialize(d)? else { return Ok(None) };
    Ok(Some(
        map.into_iter()
            .map(|(k, v)| match v {
                Value::Array(a) => (k, a),
                other => (k, vec![other]),
            })
            .collect(),
    ))
}

/// [`outputs`] for a field that is never absent in practice: `null` becomes empty.
pub(crate) fn outputs_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Outputs, D::Error> {
    Ok(outputs(d)?.unwrap_or_default())
}

/// `null` read as the type's default (booleans and counters the platform may leave `null`).
pub(crate) fn null_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
