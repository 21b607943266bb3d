-- +goose Up
-- Deposit providers, provider records for reconciliation, case webhook
-- delivery history and remittances to enforcement cases.

-- The provider's view of a deposit's payment, as last re-read from it:
-- '' (none yet), open, authorized, captured, canceled or refunded.
ALTER TABLE deposits
    ADD COLUMN provider_state  text NOT NULL DEFAULT '',
    ADD COLUMN capture_before  timestamptz;
CREATE UNIQUE INDEX deposits_provider_ref ON deposits (provider, provider_ref) WHERE provider_ref <> '';
-- The intent sweeper looks for provider deposits whose intent was never created.
CREATE INDEX deposits_missing_intent ON deposits (updated_at) WHERE status = 'pending' AND provider <> 'bank' AND provider_ref = '';

-- Stripe webhook events, each recorded once by its id: a duplicate delivery
-- finds the row and changes nothing. Only what identifies the payment is
-- kept, never the payload (it may carry the cardholder's details).
CREATE TABLE stripe_events (
    id           text PRIMARY KEY,
    type         text NOT NULL,
    object_ref   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    received_at  timestamptz NOT NULL,
    processed_at timestamptz
);

-- Money movements as the provider saw them: a bank transfer finance confirmed
-- (with its reference), a Stripe payment held or captured, a refund, a
-- balance payment, a remittance to the case. Reconciliation matches them
-- against the ledger line by line. Append-only like the ledger.
CREATE TABLE provider_records (
    id           bigserial PRIMARY KEY,
    provider     text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('deposit_received','deposit_returned','balance_received','proceeds_remitted')),
    deposit_id   uuid REFERENCES deposits (id),
    auction_id   uuid REFERENCES auctions (id),
    case_id      uuid REFERENCES cases (id),
    amount       bigint NOT NULL CHECK (amount > 0),
    external_ref text NOT NULL,
    occurred_at  timestamptz NOT NULL
);
CREATE INDEX provider_records_occurred ON provider_records (occurred_at);
CREATE INDEX provider_records_deposit ON provider_records (deposit_id) WHERE deposit_id IS NOT NULL;
CREATE TRIGGER provider_records_append_only BEFORE UPDATE OR DELETE ON provider_records
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

CREATE INDEX ledger_transactions_created ON ledger_transactions (created_at, id);
CREATE INDEX ledger_transactions_deposit ON ledger_transactions (deposit_id) WHERE deposit_id IS NOT NULL;

-- Every delivery attempt of a case notification, for the staff's delivery
-- history. Times are real (wall clock) times: they describe the network.
CREATE TABLE case_notification_attempts (
    id              bigserial PRIMARY KEY,
    notification_id uuid NOT NULL REFERENCES case_notifications (id),
    attempt         int NOT NULL,
    manual          boolean NOT NULL DEFAULT false,
    status          int,
    error           text NOT NULL DEFAULT '',
    started_at      timestamptz NOT NULL,
    duration_ms     int NOT NULL
);
CREATE INDEX case_notification_attempts_notification ON case_notification_attempts (notification_id, id);

-- Proceeds paid from the court's escrow to the enforcement case.
CREATE TABLE remittances (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id         uuid NOT NULL REFERENCES cases (id),
    amount          bigint NOT NULL CHECK (amount > 0),
    reference       text NOT NULL,
    recorded_by     uuid REFERENCES users (id),
    notification_id uuid REFERENCES case_notifications (id),
    created_at      timestamptz NOT NULL
);
CREATE INDEX remittances_case ON remittances (case_id, created_at);

-- +goose Down
SELECT 'down migrations are not supported: auction records are kept for ten years';
