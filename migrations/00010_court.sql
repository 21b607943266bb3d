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

-- +goose Down
SELECT 'down migrations are not supported: auction records are kept for ten years';
