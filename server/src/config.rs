//! Configuration: one typed [`Settings`], read once at start from `Leptos.toml`
//! (or its embedded copy), `.env` and the environment. Only this module reads
//! the environment. Every problem is reported, one line each, before start-up.

use std::{collections::HashMap, fmt, net::SocketAddr, path::PathBuf};

use app::UiConfig;
use serde::Deserialize;
use url::Url;

/// The repository's `Leptos.toml`, compiled in so the binary runs anywhere.
const EMBEDDED_FILE: &str = include_str!("../../Leptos.toml");

/// Everything the server needs to run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Socket address to listen on (`LEPTOS_SITE_ADDR`, `[site] addr`).
    pub listen: SocketAddr,
    /// Public origin of the app, `scheme://host[:port]` (`APP_URL`).
    pub public_url: Url,
    /// Where the built site (JS, WASM, CSS, assets) is.
    pub site: SiteSettings,
    /// Platform endpoints.
    pub autogpt: AutoGptSettings,
    /// What the pages offer.
    pub ui: UiConfig,
}

/// Location and names of the built front end.
#[derive(Clone, Debug)]
pub struct SiteSettings {
    /// File stem of the JS/WASM/CSS bundle.
    pub output_name: String,
    /// Directory served as the site root.
    pub root: PathBuf,
    /// Sub-directory of `root` holding the bundle.
    pub pkg_dir: String,
}

/// The AutoGPT platform this app talks to.
#[derive(Clone, Debug)]
pub struct AutoGptSettings {
    /// Platform base URL (`AUTOGPT_URL`).
    pub url: Url,
    /// External API path prefix (`AUTOGPT_API_BASE`).
    pub api_base: String,
    /// Scopes requested at sign-in.
    pub scopes: Vec<String>,
}

/// All configuration problems found, one per line.
#[derive(Debug, PartialEq)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.0 {
            writeln!(f, "- {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct File {
    site: FileSite,
    app: FileApp,
    autogpt: FileAutoGpt,
    #[serde(default)]
    providers: Vec<app::ProviderConfig>,
    #[serde(default)]
    agents: Vec<app::AgentConfig>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FileSite {
    output_name: String,
    root: String,
    pkg_dir: String,
    addr: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FileApp {
    public_url: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FileAutoGpt {
    url: String,
    api_base: String,
    scopes: Vec<String>,
}

impl Settings {
    /// Reads `.env` (if present), the settings file and the environment.
    pub fn load() -> Result<Self, ConfigErrors> {
        // A missing .env is normal; a malformed one is reported like any other problem.
        let dotenv_problem = match dotenvy::dotenv() {
            Ok(_) => None,
            Err(e) if e.not_found() => None,
            Err(e) => Some(format!(".env: {e}")),
        };
        let env: HashMap<String, String> = std::env::vars().collect();
        let file = match env.get("APP_CONFIG") {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| ConfigErrors(vec![format!("APP_CONFIG={path}: cannot read: {e}")]))?,
            None => std::fs::read_to_string("Leptos.toml").unwrap_or_else(|_| EMBEDDED_FILE.to_owned()),
        };
        let mut result = Self::from_sources(&file, &env);
        if let (Some(problem), Err(ConfigErrors(problems))) = (dotenv_problem, &mut result) {
            problems.insert(0, problem);
        }
        result
    }

    /// Builds settings from a settings file's text and environment variables.
    pub fn from_sources(file: &str, env: &HashMap<String, String>) -> Result<Self, ConfigErrors> {
        let file: File = toml::from_str(file).map_err(|e| ConfigErrors(vec![format!("settings file: {e}")]))?;
        let mut problems = Vec::new();
        let var = |name: &str, default: &str| env.get(name).cloned().unwrap_or_else(|| default.to_owned());

        let addr = var("LEPTOS_SITE_ADDR", &file.site.addr);
        let listen = addr
            .parse::<SocketAddr>()
            .map_err(|_| problems.push(format!("LEPTOS_SITE_ADDR: `{addr}` is not an address like 127.0.0.1:3000")))
            .ok();
        let public_url = parse_origin("APP_URL", &var("APP_URL", &file.app.public_url), &mut problems);
        let autogpt_url = parse_origin("AUTOGPT_URL", &var("AUTOGPT_URL", &file.autogpt.url), &mut problems);
        let api_base = var("AUTOGPT_API_BASE", &file.autogpt.api_base);
        if !api_base.starts_with('/') || api_base.ends_with('/') {
            problems.push(format!("AUTOGPT_API_BASE: `{api_base}` must start with `/` and not end with one"));
        }

        match (listen, public_url, autogpt_url) {
            (Some(listen), Some(public_url), Some(url)) if problems.is_empty() => Ok(Self {
                listen,
                public_url,
                site: SiteSettings {
                    output_name: var("LEPTOS_OUTPUT_NAME", &file.site.output_name),
                    root: PathBuf::from(var("LEPTOS_SITE_ROOT", &file.site.root)),
                    pkg_dir: var("LEPTOS_SITE_PKG_DIR", &file.site.pkg_dir),
                },
                autogpt: AutoGptSettings { url, api_base, scopes: file.autogpt.scopes },
                ui: UiConfig { providers: file.providers, agents: file.agents },
            }),
            _ => Err(ConfigErrors(problems)),
        }
    }
}

/// Parses an origin: `http(s)://host[:port]` with nothing after it.
fn parse_origin(name: &str, value: &str, problems: &mut Vec<String>) -> Option<Url> {
    match Url::parse(value) {
        Ok(url)
            if matches!(url.scheme(), "http" | "https")
                && url.host().is_some()
                && url.path() == "/"
                && url.query().is_none()
                && url.fragment().is_none()
                && url.username().is_empty() =>
        {
            Some(url)
        }
        _ => {
            problems.push(format!("{name}: `{value}` must be an origin like http://127.0.0.1:3000 (no path)"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn embedded_file_gives_sandbox_defaults() {
        let s = Settings::from_sources(EMBEDDED_FILE, &env(&[])).expect("defaults are valid");
        assert_eq!(s.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(s.public_url.as_str(), "http://127.0.0.1:3000/");
        assert_eq!(s.autogpt.url.as_str(), "http://127.0.0.1:8006/");
        assert_eq!(s.site.output_name, "autogpt-connect");
        assert_eq!(s.ui.providers.len(), 3);
        assert!(s.ui.agents.iter().any(|a| a.id == "echo-agent"));
    }

    #[test]
    fn environment_overrides_the_file() {
        let s = Settings::from_sources(
            EMBEDDED_FILE,
            &env(&[("LEPTOS_SITE_ADDR", "127.0.0.1:0"), ("AUTOGPT_URL", "http://localhost:9000")]),
        )
        .expect("valid");
        assert_eq!(s.listen.port(), 0);
        assert_eq!(s.autogpt.url.as_str(), "http://localhost:9000/");
    }

    #[test]
    fn every_problem_is_reported_once() {
        let errors = Settings::from_sources(
            EMBEDDED_FILE,
            &env(&[("LEPTOS_SITE_ADDR", "nowhere"), ("APP_URL", "ftp://x"), ("AUTOGPT_URL", "http://h/path")]),
        )
        .expect_err("three problems");
        assert_eq!(errors.0.len(), 3, "{errors}");
        assert!(errors.0[0].starts_with("LEPTOS_SITE_ADDR"));
        assert!(errors.0[1].starts_with("APP_URL"));
        assert!(errors.0[2].starts_with("AUTOGPT_URL"));
    }
}
