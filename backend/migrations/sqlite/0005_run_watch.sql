-- The live profile has no webhooks: one watcher per running run polls the platform (L5).
-- Across tabs and replicas there is exactly one, because it holds this lease; a watcher that
-- dies stops renewing it, and another instance adopts the run once it has run out.
ALTER TABLE executions ADD COLUMN watch_owner TEXT;
ALTER TABLE executions ADD COLUMN watch_until BIGINT;
