-- Initial schema (SQLite). Kept column-for-column identical to ../postgres/0001_init.sql so one
-- query text serves both databases: times are BIGINT unix seconds, secrets BLOB ciphertexts,
-- JSON is TEXT.

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    record      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE connections (
    id                   TEXT PRIMARY KEY,
    user_sub             TEXT NOT NULL UNIQUE,
    email                TEXT,
    name                 TEXT,
    status               TEXT NOT NULL CHECK (status IN ('active', 'reconnect_required', 'disconnected')),
    scope                TEXT NOT NULL DEFAULT '',
    access_token_enc     BLOB,
    refresh_token_enc    BLOB,
    access_expires_at    BIGINT,
    token_version        BIGINT NOT NULL DEFAULT 0,
    refresh_lease_until  BIGINT,
    refresh_lease_owner  TEXT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);

CREATE TABLE oauth_transactions (
    state_hash    TEXT PRIMARY KEY,
    session_id    TEXT NOT NULL,
    verifier_enc  BLOB NOT NULL,
    return_to     TEXT NOT NULL,
    mode          TEXT NOT NULL CHECK (mode IN ('window', 'popup')),
    redirect_uri  TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX oauth_transactions_expires_at ON oauth_transactions (expires_at);

CREATE TABLE connect_attempts (
    nonce_hash     TEXT PRIMARY KEY,
    connection_id  TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    provider       TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX connect_attempts_expires_at ON connect_attempts (expires_at);

CREATE TABLE grants (
    grant_id       TEXT PRIMARY KEY,
    connection_id  TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    provider       TEXT NOT NULL,
    credential_id  TEXT,
    scopes         TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    revoked_at     BIGINT
);
CREATE INDEX grants_connection ON grants (connection_id, created_at);

CREATE TABLE executions (
    execution_id    TEXT PRIMARY KEY,
    connection_id   TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    agent_id        TEXT NOT NULL,
    status          TEXT NOT NULL,
    inputs          TEXT NOT NULL,
    outputs         TEXT,
    error           TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    started_at      BIGINT,
    completed_at    BIGINT,
    last_polled_at  BIGINT
);
CREATE INDEX executions_connection ON executions (connection_id, created_at);
CREATE INDEX executions_status ON executions (status, updated_at);

CREATE TABLE webhook_inbox (
    idempotency_key  TEXT PRIMARY KEY,
    event            TEXT NOT NULL,
    subject_id       TEXT,
    body             TEXT NOT NULL,
    received_at      BIGINT NOT NULL,
    processed_at     BIGINT,
    attempts         BIGINT NOT NULL DEFAULT 0,
    last_error       TEXT
);
CREATE INDEX webhook_inbox_unprocessed ON webhook_inbox (processed_at, received_at);
CREATE INDEX webhook_inbox_subject ON webhook_inbox (subject_id);
