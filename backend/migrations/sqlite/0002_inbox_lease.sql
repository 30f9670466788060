-- A replica processing a webhook delivery holds it until `lease_until` (unix seconds), so
-- two replicas (or a sweep and the receiver) never process the same delivery at once.
ALTER TABLE webhook_inbox ADD COLUMN lease_until BIGINT;
