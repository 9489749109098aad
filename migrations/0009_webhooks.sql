-- Webhooks (spec/server.md, "Webhooks"): subscriptions, and the delivery queue itself, so that
-- deliveries survive a restart. Forward-only: never edit once applied.

CREATE TABLE webhook_subscriptions (
  id          uuid PRIMARY KEY,
  url         text NOT NULL,
  event_types text[] NOT NULL,
  -- {config_id?, execution_id?, route_id?, adapter_name?}
  filters     jsonb NOT NULL DEFAULT '{}',
  -- The HMAC key of the signatures: read only to sign, never returned by the API after creation.
  secret      text NOT NULL,
  description text,
  active      boolean NOT NULL DEFAULT true,
  created_by  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One event for one subscription. `id` is the X-Factflow-Delivery idempotency key, the same for
-- every attempt and redelivery. status: pending (due at next_attempt_at), delivering (claimed until
-- locked_until; a claim that outlives it was lost with its process and is taken again),
-- succeeded, failed (an answer that is not retried), dead (the retry schedule ran out).
CREATE TABLE webhook_deliveries (
  id                 uuid PRIMARY KEY,
  subscription_id    uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
  event_id           uuid NOT NULL,
  event_type         text NOT NULL,
  payload            jsonb NOT NULL,
  status             text NOT NULL,
  attempts           integer NOT NULL DEFAULT 0,
  -- Failed attempts since it was (re)queued: the position in the retry schedule.
  retries            integer NOT NULL DEFAULT 0,
  next_attempt_at    timestamptz,
  locked_until       timestamptz,
  last_response_code integer,
  last_error         text,
  is_test            boolean NOT NULL DEFAULT false,
  created_at         timestamptz NOT NULL DEFAULT now(),
  completed_at       timestamptz,
  UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status IN ('pending', 'delivering');
CREATE INDEX webhook_deliveries_by_subscription ON webhook_deliveries (subscription_id, created_at DESC, id DESC);

-- Every attempt: what was answered and how long it took.
CREATE TABLE webhook_delivery_attempts (
  delivery_id      uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt          integer NOT NULL,
  started_at       timestamptz NOT NULL,
  duration_ms      integer NOT NULL,
  -- succeeded, http_error, timeout, network_error, refused, interrupted (its process stopped mid-attempt)
  status           text NOT NULL,
  response_code    integer,
  response_excerpt text,
  error            text,
  PRIMARY KEY (delivery_id, attempt)
);
