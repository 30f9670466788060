-- Security pass (issue 11).
--
-- Sign-out ends every session of a connection: each session remembers the epoch it signed in
-- under, and a session whose epoch is not the connection's current one is signed out. Sign-out
-- bumps the epoch, so signing in again never revives an old session.
ALTER TABLE connections ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;

-- Starting a sign-in writes nothing durable any more: the transaction rides in a sealed,
-- short-lived cookie. Only the states consumed by a callback are kept (until they would have
-- expired anyway), so a replayed callback is refused.
DROP TABLE oauth_transactions;
CREATE TABLE consumed_states (
    state_hash  TEXT PRIMARY KEY,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX consumed_states_expires_at ON consumed_states (expires_at);

-- Webhook retries: each delivery waits for its next attempt (with backoff); one that keeps
-- failing ends in a terminal state instead of blocking the queue; a lease names its holder,
-- so a restarted instance can release what its previous incarnation held.
ALTER TABLE webhook_inbox ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE webhook_inbox ADD COLUMN dead_at BIGINT;
ALTER TABLE webhook_inbox ADD COLUMN lease_owner TEXT;
CREATE INDEX webhook_inbox_due ON webhook_inbox (processed_at, dead_at, next_attempt_at);
