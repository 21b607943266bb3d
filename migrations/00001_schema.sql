-- +goose Up
-- Accounts. Personal data (real_name, id_number, phone) lives only here and in
-- case parties; public responses and logs never read these columns.
CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('bidder','clerk','finance','auditor','admin')),
    real_name     text NOT NULL DEFAULT '',
    id_number     text NOT NULL DEFAULT '',
    phone         text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL
);
CREATE INDEX users_id_number ON users (id_number) WHERE id_number <> '';

-- Bearer tokens and browser sessions; only the SHA-256 of the secret is stored.
CREATE TABLE tokens (
    token_hash bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id),
    kind       text NOT NULL CHECK (kind IN ('api','session')),
    csrf       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX tokens_user ON tokens (user_id);

-- The shared test clock (serve --test-clock): one row, shared by every instance.
CREATE TABLE test_clock (
    id  boolean PRIMARY KEY DEFAULT true CHECK (id),
    now timestamptz NOT NULL
);

CREATE TABLE cases (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_number text NOT NULL UNIQUE,
    court_name  text NOT NULL,
    created_by  uuid REFERENCES users (id),
    created_at  timestamptz NOT NULL
);

CREATE TABLE case_parties (
    id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id   uuid NOT NULL REFERENCES cases (id),
    kind      text NOT NULL CHECK (kind IN ('applicant','debtor')),
    position  int NOT NULL,
    name      text NOT NULL,
    id_number text NOT NULL,
    claim     bigint CHECK (claim >= 0)
);
CREATE INDEX case_parties_case ON case_parties (case_id, kind, position);

CREATE TABLE lots (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id          uuid NOT NULL REFERENCES cases (id),
    title            text NOT NULL,
    description      text NOT NULL,
    category         text NOT NULL CHECK (category IN ('real_estate','vehicle','equity','movable','other')),
    appraisal_value  bigint NOT NULL CHECK (appraisal_value > 0),
    location         text NOT NULL DEFAULT '',
    appraisal_report text NOT NULL DEFAULT '',
    encumbrances     text NOT NULL DEFAULT '',
    occupancy        text NOT NULL DEFAULT '',
    tax_terms        text NOT NULL DEFAULT '',
    viewing          text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL
);
CREATE INDEX lots_case ON lots (case_id, created_at);

CREATE TABLE lot_documents (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    lot_id       uuid NOT NULL REFERENCES lots (id),
    kind         text NOT NULL CHECK (kind IN ('photo','document')),
    filename     text NOT NULL,
    content_type text NOT NULL,
    size         int NOT NULL,
    data         bytea NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX lot_documents_lot ON lot_documents (lot_id, created_at);

CREATE TABLE priority_holders (
    id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    lot_id    uuid NOT NULL REFERENCES lots (id),
    name      text NOT NULL,
    id_number text NOT NULL,
    rank      int NOT NULL CHECK (rank >= 1),
    UNIQUE (lot_id, id_number)
);

CREATE TABLE auctions (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    lot_id                  uuid NOT NULL REFERENCES lots (id),
    case_id                 uuid NOT NULL REFERENCES cases (id),
    round                   text NOT NULL CHECK (round IN ('first','second','sale')),
    status                  text NOT NULL CHECK (status IN ('draft','announced','bidding','sold','failed','settled','defaulted','suspended','cancelled')),
    rulebook                text NOT NULL,
    currency                text NOT NULL DEFAULT 'CNY',
    start_price             bigint NOT NULL CHECK (start_price > 0),
    increment               bigint NOT NULL CHECK (increment > 0),
    deposit                 bigint NOT NULL CHECK (deposit >= 0),
    starts_at               timestamptz NOT NULL,
    ends_at                 timestamptz NOT NULL,
    balance_due_days        int NOT NULL CHECK (balance_due_days >= 1),
    announced_at            timestamptz,
    opened_at               timestamptz,
    closed_at               timestamptz,
    balance_due_at          timestamptz,
    current_price           bigint,
    leader_registration_id  uuid,
    leader_code             text,
    leader_rank             int,
    bid_count               int NOT NULL DEFAULT 0,
    seq                     bigint NOT NULL DEFAULT 0,
    last_hash               bytea NOT NULL DEFAULT '\x'::bytea,
    winner_registration_id  uuid,
    hammer_price            bigint,
    suspended_reason        text NOT NULL DEFAULT '',
    created_at              timestamptz NOT NULL
);
CREATE INDEX auctions_lot ON auctions (lot_id, created_at);
CREATE INDEX auctions_due_open ON auctions (starts_at) WHERE status = 'announced';
CREATE INDEX auctions_due_close ON auctions (ends_at) WHERE status = 'bidding';
CREATE INDEX auctions_due_balance ON auctions (balance_due_at) WHERE status = 'sold';

CREATE TABLE registrations (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    auction_id    uuid NOT NULL REFERENCES auctions (id),
    user_id       uuid NOT NULL REFERENCES users (id),
    status        text NOT NULL CHECK (status IN ('pending_deposit','qualified')),
    bidder_code   text,
    priority_rank int,
    declared_at   timestamptz NOT NULL,
    created_at    timestamptz NOT NULL,
    UNIQUE (auction_id, user_id),
    UNIQUE (auction_id, bidder_code)
);
CREATE INDEX registrations_user ON registrations (user_id, created_at);

CREATE TABLE deposits (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    registration_id uuid NOT NULL UNIQUE REFERENCES registrations (id),
    auction_id      uuid NOT NULL REFERENCES auctions (id),
    amount          bigint NOT NULL CHECK (amount >= 0),
    status          text NOT NULL CHECK (status IN ('pending','held','applied','refund_pending','refunded','forfeited')),
    provider        text NOT NULL,
    pay_reference   text NOT NULL,
    confirm_reference text NOT NULL DEFAULT '',
    refund_reference  text NOT NULL DEFAULT '',
    provider_ref    text NOT NULL DEFAULT '',
    client_secret   text NOT NULL DEFAULT '',
    held_at         timestamptz,
    released_at     timestamptz,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX deposits_auction ON deposits (auction_id);
CREATE INDEX deposits_refund_pending ON deposits (released_at) WHERE status = 'refund_pending';

CREATE TABLE bids (
    auction_id      uuid NOT NULL REFERENCES auctions (id),
    seq             bigint NOT NULL,
    registration_id uuid NOT NULL REFERENCES registrations (id),
    bidder_code     text NOT NULL,
    amount          bigint NOT NULL,
    priority        boolean NOT NULL,
    placed_at       timestamptz NOT NULL,
    PRIMARY KEY (auction_id, seq)
);

-- The auction record: every state change, hash-chained per auction.
CREATE TABLE auction_events (
    auction_id uuid NOT NULL REFERENCES auctions (id),
    seq        bigint NOT NULL,
    type       text NOT NULL,
    at         timestamptz NOT NULL,
    data       jsonb NOT NULL,
    prev_hash  bytea NOT NULL,
    hash       bytea NOT NULL,
    PRIMARY KEY (auction_id, seq)
);

-- Idempotency of bids: the first successful answer per (bidder, key).
CREATE TABLE bid_requests (
    user_id     uuid NOT NULL REFERENCES users (id),
    key         text NOT NULL,
    fingerprint bytea NOT NULL,
    auction_id  uuid NOT NULL,
    response    jsonb NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);

CREATE TABLE balance_payments (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    auction_id  uuid NOT NULL REFERENCES auctions (id),
    amount      bigint NOT NULL CHECK (amount > 0),
    reference   text NOT NULL,
    recorded_by uuid REFERENCES users (id),
    received_at timestamptz NOT NULL
);
CREATE INDEX balance_payments_auction ON balance_payments (auction_id);

-- Double-entry ledger. Entries are never updated or deleted; a correction is a
-- new transaction. Amounts: positive = debit, negative = credit.
CREATE TABLE ledger_transactions (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL,
    auction_id uuid REFERENCES auctions (id),
    deposit_id uuid REFERENCES deposits (id),
    case_id    uuid REFERENCES cases (id),
    reference  text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL
);
CREATE INDEX ledger_transactions_auction ON ledger_transactions (auction_id);
CREATE INDEX ledger_transactions_case ON ledger_transactions (case_id);

CREATE TABLE ledger_entries (
    id             bigserial PRIMARY KEY,
    transaction_id bigint NOT NULL REFERENCES ledger_transactions (id),
    account        text NOT NULL,
    amount         bigint NOT NULL CHECK (amount <> 0)
);
CREATE INDEX ledger_entries_txn ON ledger_entries (transaction_id);
CREATE INDEX ledger_entries_account ON ledger_entries (account);

-- +goose StatementBegin
CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT coalesce(sum(amount), 0) FROM ledger_entries WHERE transaction_id = NEW.transaction_id) <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance', NEW.transaction_id;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER ledger_balanced AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

-- +goose StatementBegin
CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
-- +goose StatementEnd
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- Restriction list (失信被执行人 / 限制高消费).
CREATE TABLE blacklist (
    id_number   text PRIMARY KEY,
    name        text NOT NULL,
    case_number text NOT NULL,
    source      text NOT NULL DEFAULT 'api',
    imported_at timestamptz NOT NULL,
    removed_at  timestamptz
);

-- Outbound notifications to the court's case-management system (outbox).
CREATE TABLE case_notifications (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    type         text NOT NULL,
    case_id      uuid NOT NULL REFERENCES cases (id),
    auction_id   uuid REFERENCES auctions (id),
    body         jsonb NOT NULL,
    created_at   timestamptz NOT NULL,
    delivered_at timestamptz,
    attempts     int NOT NULL DEFAULT 0,
    last_status  int,
    last_error   text NOT NULL DEFAULT ''
);
CREATE INDEX case_notifications_case ON case_notifications (case_id, created_at);

-- +goose Down
SELECT 'down migrations are not supported: auction records are kept for ten years';
