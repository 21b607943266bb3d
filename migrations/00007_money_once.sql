-- +goose Up
-- Money is booked once. Every entry finance types or a provider reports
-- carries the outside world's reference (the bank's transaction reference,
-- the provider's payment id). Within one kind of entry a reference is booked
-- at most once: the primary key below is the guard, so two identical
-- requests arriving at the same moment on two instances cannot both book:
-- the second waits for the first to commit and then fails on the key.
CREATE TABLE booked_references (
    kind      text NOT NULL CHECK (kind IN ('deposit_confirmation','deposit_refund','balance_payment','balance_refund','remittance')),
    reference text NOT NULL CHECK (reference <> ''),
    -- The deposit, balance payment or remittance the reference was booked for.
    entry_id  uuid NOT NULL,
    booked_at timestamptz NOT NULL,
    PRIMARY KEY (kind, reference)
);
CREATE TRIGGER booked_references_append_only BEFORE UPDATE OR DELETE ON booked_references
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- Entries booked before this migration whose reference repeats an earlier
-- one of the same kind. Nothing is deleted or changed: the ledger and the
-- provider records are append-only and the money may really have moved
-- twice (two transfers quoting one reference) or been typed twice. The
-- earliest entry owns the reference; each later one is listed here for
-- finance to review against the bank statement, and stays booked until a
-- correcting entry says otherwise.
CREATE TABLE reference_repeats (
    kind      text NOT NULL,
    reference text NOT NULL,
    entry_id  uuid NOT NULL,
    booked_at timestamptz NOT NULL,
    PRIMARY KEY (kind, entry_id)
);

WITH entries AS (
    SELECT 'deposit_confirmation' AS kind, btrim(confirm_reference) AS reference, id AS entry_id, coalesce(held_at, updated_at) AS booked_at
        FROM deposits WHERE btrim(confirm_reference) <> ''
    UNION ALL
    SELECT 'deposit_refund', btrim(refund_reference), id, updated_at FROM deposits WHERE btrim(refund_reference) <> ''
    UNION ALL
    SELECT 'balance_payment', btrim(reference), id, received_at FROM balance_payments WHERE btrim(reference) <> ''
    UNION ALL
    SELECT 'balance_refund', btrim(excess_refund_reference), id, excess_refunded_at FROM balance_payments
        WHERE btrim(coalesce(excess_refund_reference, '')) <> ''
    UNION ALL
    SELECT 'remittance', btrim(reference), id, created_at FROM remittances WHERE btrim(reference) <> ''
), ranked AS (
    SELECT e.*, row_number() OVER (PARTITION BY kind, reference ORDER BY booked_at, entry_id) AS n FROM entries e
), owners AS (
    INSERT INTO booked_references (kind, reference, entry_id, booked_at)
    SELECT kind, reference, entry_id, booked_at FROM ranked WHERE n = 1
)
INSERT INTO reference_repeats (kind, reference, entry_id, booked_at)
SELECT kind, reference, entry_id, booked_at FROM ranked WHERE n > 1;

-- After a default (or an annulment) the balance payments the buyer made are
-- no longer the case's: only the forfeited deposit is (Art. 24). owed_back is
-- the part of the payment that had gone toward the price (its excess is
-- owed back already), moved from the case's proceeds to refunds due at
-- owed_back_at. refund_reference and refunded_at record the transfer that
-- paid back everything the payment had due (its excess and what is owed
-- back); excess_refund_* stay for an excess paid back while the sale stood.
ALTER TABLE balance_payments
    ADD COLUMN owed_back bigint NOT NULL DEFAULT 0 CHECK (owed_back >= 0),
    ADD COLUMN owed_back_at timestamptz,
    ADD COLUMN refund_reference text,
    ADD COLUMN refunded_at timestamptz,
    ADD CONSTRAINT balance_payments_owed_back CHECK (
        owed_back + excess <= amount
        AND (owed_back_at IS NULL) = (owed_back = 0)
        AND (refunded_at IS NULL) = (refund_reference IS NULL)
        AND (refunded_at IS NULL OR owed_back > 0));
CREATE INDEX balance_payments_owed_back_due ON balance_payments (owed_back_at, id)
    WHERE owed_back > 0 AND refunded_at IS NULL;

-- The bank's side of a balance payment paid back after a default or an
-- annulment, matched against the ledger like a returned deposit.
ALTER TABLE provider_records DROP CONSTRAINT provider_records_kind_check;
ALTER TABLE provider_records ADD CONSTRAINT provider_records_kind_check
    CHECK (kind IN ('deposit_received','deposit_returned','balance_received','proceeds_remitted','excess_returned','balance_returned'));

-- +goose Down
SELECT 'down migrations are not supported: auction records are kept for ten years';
