-- +goose Up
-- Audit log of staff and finance actions: who, what, when, from where. It is
-- append-only (a trigger refuses UPDATE and DELETE) and hash-chained like the
-- auction record, so an edit made around the trigger still shows as a broken
-- link when the chain is verified.
CREATE TABLE audit_log (
    seq        bigint PRIMARY KEY,
    at         timestamptz NOT NULL,
    actor_id   uuid REFERENCES users (id),
    actor_role text NOT NULL,
    action     text NOT NULL,
    target     text NOT NULL DEFAULT '',
    status     int NOT NULL,
    ip         text NOT NULL DEFAULT '',
    detail     jsonb NOT NULL DEFAULT '{}',
    prev_hash  bytea NOT NULL,
    hash       bytea NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_log_target ON audit_log (target, seq) WHERE target <> '';

-- The head of the chain: one row whose lock serialises appends, so concurrent
-- staff actions never fork the chain.
CREATE TABLE audit_head (
    id   boolean PRIMARY KEY DEFAULT true CHECK (id),
    seq  bigint NOT NULL,
    hash bytea NOT NULL
);
INSERT INTO audit_head (seq, hash) VALUES (0, '\x'::bytea);

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- Interceptions of restricted bidders (失信被执行人 / 限制高消费), kept for the
-- court. Written in its own transaction right after the refused one rolled
-- back, so the refusal itself leaves no other trace.
CREATE TABLE interceptions (
    id               bigserial PRIMARY KEY,
    at               timestamptz NOT NULL,
    stage            text NOT NULL CHECK (stage IN ('registration','bid')),
    auction_id       uuid NOT NULL REFERENCES auctions (id),
    lot_category     text NOT NULL,
    user_id          uuid NOT NULL REFERENCES users (id),
    name             text NOT NULL,
    id_number        text NOT NULL,
    list_case_number text NOT NULL,
    list_source      text NOT NULL,
    listed_at        timestamptz NOT NULL,
    declared_at      timestamptz,
    ip               text NOT NULL DEFAULT '',
    device           text NOT NULL DEFAULT ''
);
CREATE INDEX interceptions_auction ON interceptions (auction_id, id);
CREATE INDEX interceptions_at ON interceptions (at, id);

CREATE TRIGGER interceptions_append_only BEFORE UPDATE OR DELETE ON interceptions
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- Where registrations and bids came from, for the collusion signals shown to
-- the court after the close. device is a hash of the browser's device cookie,
-- never the cookie itself.
ALTER TABLE registrations ADD COLUMN ip text NOT NULL DEFAULT '', ADD COLUMN device text NOT NULL DEFAULT '';
ALTER TABLE bids ADD COLUMN ip text NOT NULL DEFAULT '', ADD COLUMN device text NOT NULL DEFAULT '';
-- payer identifies the account a deposit came from (a bank account number or
-- a card fingerprint), when the provider tells us.
ALTER TABLE deposits ADD COLUMN payer text NOT NULL DEFAULT '';
CREATE INDEX deposits_payer ON deposits (auction_id, payer) WHERE payer <> '';

-- +goose Down
SELECT 'down migrations are not supported: audit records are kept for ten years';
