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

-- backfill: begin (TestReferenceBackfill runs this statement again)
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
-- backfill: end

-- Where bidders pay deposits and balances by bank transfer: each court's
-- receiving account, set by an admin and shown with the deposit's transfer
-- note code (pay_reference) so the statement line matches by itself.
CREATE TABLE court_accounts (
    court_name     text PRIMARY KEY,
    account_name   text NOT NULL CHECK (account_name <> ''),
    bank           text NOT NULL CHECK (bank <> ''),
    account_number text NOT NULL CHECK (account_number <> ''),
    updated_by     uuid REFERENCES users (id),
    updated_at     timestamptz NOT NULL
);

-- What an auction cost (notices, valuation, the platform's fees...), recorded
-- by the court for the round: the first call on a forfeited deposit
-- (Art. 24).
CREATE TABLE auction_costs (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    auction_id  uuid NOT NULL REFERENCES auctions (id),
    amount      bigint NOT NULL CHECK (amount > 0 AND amount <= 1000000000000000),
    description text NOT NULL CHECK (description <> ''),
    recorded_by uuid REFERENCES users (id),
    created_at  timestamptz NOT NULL
);
CREATE INDEX auction_costs_auction ON auction_costs (auction_id, created_at);

-- How a defaulted round's forfeited deposit was allocated, in the legal
-- order: auction costs at the default, then, when a later round of the lot
-- is sold, the re-sale shortfall (the defaulted hammer price minus the
-- re-sale's) taken from what had gone to the case debt. Shortfall and case
-- debt are both the case's money (case_proceeds); costs leave it.
CREATE TABLE forfeit_allocations (
    auction_id        uuid PRIMARY KEY REFERENCES auctions (id),
    deposit_id        uuid NOT NULL REFERENCES deposits (id),
    amount            bigint NOT NULL CHECK (amount >= 0),
    auction_costs     bigint NOT NULL CHECK (auction_costs >= 0),
    resale_shortfall  bigint NOT NULL DEFAULT 0 CHECK (resale_shortfall >= 0),
    case_debt         bigint NOT NULL CHECK (case_debt >= 0),
    resale_auction_id uuid REFERENCES auctions (id),
    allocated_at      timestamptz NOT NULL,
    reallocated_at    timestamptz,
    CHECK (auction_costs + resale_shortfall + case_debt = amount)
);

-- The court account's bank statements as finance imported them (camt.053
-- or CSV): the outside truth the ledger is reconciled against. A line is
-- known by the bank's reference per direction, so a statement imported
-- twice adds nothing; each line says what it was matched to.
CREATE TABLE statement_imports (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    format      text NOT NULL,
    filename    text NOT NULL,
    covers_from date NOT NULL,
    covers_to   date NOT NULL,
    lines       int NOT NULL,
    new_lines   int NOT NULL,
    imported_by uuid REFERENCES users (id),
    imported_at timestamptz NOT NULL
);
CREATE TABLE statement_lines (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    import_id            uuid NOT NULL REFERENCES statement_imports (id),
    direction            text NOT NULL CHECK (direction IN ('credit','debit')),
    reference            text NOT NULL,
    amount               bigint NOT NULL CHECK (amount > 0),
    booked_on            date NOT NULL,
    remittance           text NOT NULL,
    counterparty_name    text NOT NULL,
    counterparty_account text NOT NULL,
    -- confirmed: booked by the import (an exact match); matched: the entry
    -- was booked already (typed by finance) and agrees; partial: a likely
    -- entry but the amount differs; unmatched: nothing found. Finance
    -- resolves partial and unmatched lines by hand.
    status               text NOT NULL CHECK (status IN ('confirmed','matched','partial','unmatched')),
    match_kind           text NOT NULL DEFAULT '',
    match_id             uuid,
    note                 text NOT NULL DEFAULT '',
    UNIQUE (direction, reference)
);
CREATE INDEX statement_lines_booked ON statement_lines (booked_on);
CREATE INDEX statement_lines_open ON statement_lines (booked_on) WHERE status IN ('partial','unmatched');

-- What finance typed as received for a bank deposit: the amount, the
-- bank reference and the paying account. A receipt of the whole deposit
-- confirms it (part = false, booked like any confirmation); one of less is
-- a part payment (part = true): recorded and shown, never confirming.
-- A reference is recorded once.
CREATE TABLE deposit_receipts (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    deposit_id    uuid NOT NULL REFERENCES deposits (id),
    reference     text NOT NULL UNIQUE,
    amount        bigint NOT NULL CHECK (amount > 0),
    part          boolean NOT NULL,
    payer_name    text NOT NULL,
    payer_account text NOT NULL,
    recorded_by   uuid REFERENCES users (id),
    recorded_at   timestamptz NOT NULL
);
CREATE INDEX deposit_receipts_deposit ON deposit_receipts (deposit_id);

-- +goose Down
SELECT 'down migrations are not supported: auction records are kept for ten years';
