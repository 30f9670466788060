//! Query parameters of v2 list endpoints, read like FastAPI does (repeatable keys, `+` as
//! space), every problem collected as a Pydantic error with `loc: ["query", name]`.

use serde_json::{Value, json};

use crate::error::Error;
use crate::live::time;
use crate::live::validation::{error, literal_error};

pub struct Query {
    pairs: Vec<(String, String)>,
    errors: Vec<Value>,
}

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = raw.and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok()).unwrap_or_default();
        Self { pairs, errors: Vec::new() }
    }

    /// The last value of a parameter (FastAPI takes the last one of a scalar).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable parameter.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    fn fail(&mut self, e: Value) {
        self.errors.push(e);
    }

    /// `limit`: integer 1–100, default 20.
    pub fn limit(&mut self) -> usize {
        let Some(raw) = self.get("limit").map(str::to_owned) else {
            return 20;
        };
        let loc = json!(["query", "limit"]);
        match raw.trim().parse::<i64>() {
            Ok(n) if n < 1 => {
                let mut e = error("greater_than_equal", loc, "Input should be greater than or equal to 1");
                e["ctx"] = json!({"ge": 1});
                self.fail(e);
                20
            }
            Ok(n) if n > 100 => {
                let mut e = error("less_than_equal", loc, "Input should be less than or equal to 100");
                e["ctx"] = json!({"le": 100});
                self.fail(e);
                20
            }
            Ok(n) => n as usize,
            Err(_) => {
                self.fail(error(
                    "int_parsing",
                    loc,
                    "Input should be a valid integer, unable to parse string as an integer",
                ));
                20
            }
        }
    }

    /// An optional boolean in Pydantic's lenient spellings.
    pub fn bool(&mut self, name: &str) -> Option<bool> {
        let raw = self.get(name)?.to_ascii_lowercase();
        match raw.as_str() {
            "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
            "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
            _ => {
                self.fail(error(
                    "bool_parsing",
                    json!(["query", name]),
                    "Input should be a valid boolean, unable to interpret input",
                ));
                None
            }
        }
    }

    /// An optional date-time → Unix ms.
    pub fn datetime(&mut self, name: &str) -> Option<i64> {
        let raw = self.get(name)?.to_owned();
        let parsed = time::parse(&raw);
        if parsed.is_none() {
            self.fail(error("datetime_from_date_parsing", json!(["query", name]), "Input should be a valid datetime"));
        }
        parsed
    }

    /// Every value of a repeatable enum parameter; bad values are errors (with their index).
    pub fn enums<T>(&mut self, name: &str, allowed: &[&str], parse: impl Fn(&str) -> Option<T>) -> Vec<T> {
        let values: Vec<String> = self.all(name).into_iter().map(str::to_owned).collect();
        let mut out = Vec::new();
        for (i, v) in values.iter().enumerate() {
            match parse(v) {
                Some(t) => out.push(t),
                None => self.fail(literal_error(json!(["query", name, i]), allowed)),
            }
        }
        out
    }

    /// 422 in the v2 envelope when anything failed.
    pub fn finish(self, method: &str, path: &str) -> Result<(), Error> {
        if self.errors.is_empty() { Ok(()) } else { Err(Error::v2_validation(method, path, self.errors)) }
    }
}
