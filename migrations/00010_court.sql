-- +goose Up
-- Court operations. A completed sale the court sets aside (撤销, SPC 2016
-- Art. 31) is `annulled`: what its buyer paid is owed back and the lot may
-- be sold again.
ALTER TABLE auctions DROP CONSTRAINT auctions_status_check;
ALTER TABLE auctions ADD CONSTRAINT auctions_status_check
    CHECK (status IN ('draft','announced','bidding','sold','failed','settled','defaulted','suspended','cancelled','annulled'));

-- A balance payment is owed back to its payer once the sale it paid for is
-- annulled (or its buyer defaulted): owed_back_at is when. What is owed is
-- the part that went toward the price (amount - excess; the excess has its
-- own refund). return_reference and returned_at record the transfer that
-- paid it back; null until finance records it.
ALTER TABLE balance_payments
    ADD COLUMN owed_back_at timestamptz,
    ADD COLUMN return_reference text,
    ADD COLUMN returned_at timestamptz,
    ADD CONSTRAINT balance_payments_return CHECK (
        (returned_at IS NULL) = (return_reference IS NULL)
        AND (returned_at IS NULL OR owed_back_at IS NOT NULL));
-- Finance's list of balance payments to pay back.
CREATE INDEX balance_payments_owed_back ON balance_payments (owed_back_at, id)
    WHERE owed_back_at IS NOT NULL AND returned_at IS NULL;

-- The bank's side of a balance payment paid back, for the reconciliation.
ALTER TABLE provider_records DROP CONSTRAINT provider_records_kind_check;
ALTER TABLE provider_records ADD CONSTRAINT provider_records_kind_check
    CHECK (kind IN ('deposit_received','deposit_returned','balance_received','proceeds_remitted','excess_returned','balance_returned'));

-- The results board (成交公示): closed auctions, the latest first.
CREATE INDEX auctions_closed ON auctions (closed_at DESC, id) WHERE closed_at IS NOT NULL;

-- The clerks' case list, newest first, a page at a time.
CREATE INDEX cases_created ON cases (created_at DESC, id);

-- Corrections (更正公告) of a published lot's text: numbered per lot, with
-- the court's reason and every field changed, the old text kept.
CREATE TABLE lot_corrections (
    lot_id     uuid NOT NULL REFERENCES lots (id),
    version    int NOT NULL CHECK (version >= 1),
    reason     text NOT NULL,
    changes    jsonb NOT NULL,
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (lot_id, version)
);

-- A draft that was never announced and has no record (seq 0) is the
-- clerk's to delete: nothing of it was ever public. Every other auction is
-- still never deleted (Art. 35).
-- +goose StatementBegin
CREATE FUNCTION forbid_record_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'draft' AND OLD.announced_at IS NULL AND OLD.seq = 0 THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: only a draft never announced may be deleted', TG_TABLE_NAME;
END $$;
-- +goose StatementEnd
DROP TRIGGER auctions_never_deleted ON auctions;
CREATE TRIGGER auctions_never_deleted BEFORE DELETE ON auctions
    FOR EACH ROW EXECUTE FUNCTION forbid_record_delete();

-- A round's documents (拍卖公告 announcement, 竞买须知 bidder_notice): every
-- text kept as a numbered version; the one published with the round has
-- published_at.
CREATE TABLE auction_documents (
    auction_id   uuid NOT NULL REFERENCES auctions (id),
    kind         text NOT NULL CHECK (kind IN ('announcement','bidder_notice')),
    version      int NOT NULL CHECK (version >= 1),
    body         text NOT NULL,
    edited       boolean NOT NULL,
    created_by   uuid REFERENCES users (id),
    created_at   timestamptz NOT NULL,
    published_at timestamptz,
    PRIMARY KEY (auction_id, kind, version)
);

-- A bidder registers agreeing to the bidders' notice in force: its version
-- and when.
ALTER TABLE registrations
    ADD COLUMN notice_version int,
    ADD COLUMN notice_agreed_at timestamptz;

-- +goose Down
SELECT 'down migrations are not supported: auction records are kept for ten years';
