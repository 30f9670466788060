-- The live profile (issue 13): a connection signed in with an AutoGPT API key keeps the key
-- (sealed, like tokens) as its credential and sends it as `X-API-Key`; one signed in through
-- OAuth sends its access token as a bearer.
ALTER TABLE connections ADD COLUMN credential_kind TEXT NOT NULL DEFAULT 'oauth';

-- A live Connect attempt remembers which credentials of its provider the user had when it
-- began: the wizard says nothing about what was picked, so "new since the attempt began" is
-- what a closed popup is reconciled against.
ALTER TABLE connect_attempts ADD COLUMN known_ids TEXT NOT NULL DEFAULT '';
