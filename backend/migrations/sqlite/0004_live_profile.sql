-- The live profile (issue 13): a connection signed in with an AutoGPT API key keeps the key
-- (sealed, like tokens) as its credential and sends it as `X-API-Key`; one signed in through
-- OAuth sends its access token as a bearer.
ALTER TABLE connections ADD COLUMN credential_kind TEXT NOT NULL DEFAULT 'oauth';
