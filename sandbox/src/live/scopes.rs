//! The 25 `APIKeyPermission` values (the live OAuth scopes) with the consent page's wording.

/// Every permission, in the contract's order, with what the consent card says about it.
pub const PERMISSIONS: &[(&str, &str)] = &[
    ("IDENTITY", "Read your user ID, email and name"),
    ("READ_BLOCK", "View the blocks available to agents"),
    ("READ_GRAPH", "View your agent graphs"),
    ("WRITE_GRAPH", "Create and update your agent graphs"),
    ("READ_LIBRARY", "View the agents in your library"),
    ("WRITE_LIBRARY", "Add, update and remove agents in your library"),
    ("RUN_AGENT", "Run agents from your library"),
    ("READ_RUN", "View your agent runs and their results"),
    ("WRITE_RUN", "Stop and delete your agent runs"),
    ("SHARE_RUN", "Share your agent runs"),
    ("READ_RUN_REVIEW", "View the reviews your runs wait for"),
    ("WRITE_RUN_REVIEW", "Approve or reject the reviews your runs wait for"),
    ("READ_SCHEDULE", "View your schedules"),
    ("WRITE_SCHEDULE", "Create and delete schedules"),
    ("READ_FILES", "View and download your workspace files"),
    ("WRITE_FILES", "Upload and delete workspace files"),
    ("READ_INTEGRATIONS", "View your connected integrations"),
    ("MANAGE_INTEGRATIONS", "Add integration credentials"),
    ("DELETE_INTEGRATIONS", "Delete integration credentials"),
    ("READ_STORE", "View your marketplace profile and submissions"),
    ("WRITE_STORE", "Edit your marketplace profile and submissions"),
    ("READ_CREDITS", "View your credits, transactions and invoices"),
    ("USE_TOOLS", "Use tools that spend platform resources"),
    ("EXECUTE_GRAPH", "Run your agent graphs (External API v1)"),
    ("EXECUTE_BLOCK", "Run individual blocks (External API v1)"),
];

/// All 25 values.
pub fn all() -> Vec<String> {
    PERMISSIONS.iter().map(|(s, _)| (*s).to_owned()).collect()
}

pub fn is_permission(s: &str) -> bool {
    PERMISSIONS.iter().any(|(p, _)| *p == s)
}

/// The consent card's line for a scope (the raw constant for anything unknown).
pub fn describe(s: &str) -> &str {
    PERMISSIONS.iter().find(|(p, _)| *p == s).map(|(_, d)| *d).unwrap_or(s)
}

/// The page's split of the `scope` parameter: single spaces, empties dropped (commas are not
/// separators), duplicates kept once.
pub fn split(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in scope.split(' ').filter(|p| !p.is_empty()) {
        if !out.iter().any(|x| x == part) {
            out.push(part.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_five_permissions_and_space_split() {
        assert_eq!(PERMISSIONS.len(), 25);
        assert_eq!(split("RUN_AGENT  READ_RUN RUN_AGENT"), ["RUN_AGENT", "READ_RUN"]);
        assert_eq!(split("RUN_AGENT,READ_RUN"), ["RUN_AGENT,READ_RUN"]);
        assert_eq!(describe("NOPE"), "NOPE");
    }
}
