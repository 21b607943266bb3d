-- +goose Up
-- A balance payment may bring more than the buyer still owed (a transfer of
-- the whole hammer price that forgot the deposit, two transfers crossing).
-- The money did arrive at the court's account, so it is recorded as it
-- came; excess is the part above what was outstanding. It is the buyer's
-- money, owed back to them and never the case's: the ledger books it to
-- refunds_due, and the transfer that pays it back is recorded on the payment
-- (its reference and time) when finance makes it.
ALTER TABLE balance_payments
    ADD COLUMN excess bigint NOT NULL DEFAULT 0 CHECK (excess >= 0 AND excess <= amount),
    ADD COLUMN excess_refund_reference text,
    ADD COLUMN excess_refunded_at timestamptz,
    ADD CONSTRAINT balance_payments_excess_refund CHECK (
        (excess_refunded_at IS NULL) = (excess_refund_reference IS NULL)
        AND (excess_refunded_at IS NULL OR excess > 0));
-- The finance desk's list of excesses to pay back.
CREATE INDEX balance_payments_excess_due ON balance_payments (received_at, id)
    WHERE excess > 0 AND excess_refunded_at IS NULL;

-- The bank's side of a paid-back excess, matched against the ledger in the
-- reconciliation like a returned deposit.
ALTER TABLE provider_records DROP CONSTRAINT provider_records_kind_check;
ALTER TABLE provider_records ADD CONSTRAINT provider_records_kind_check
    CHECK (kind IN ('deposit_received','deposit_returned','balance_received','proceeds_remitted','excess_returned'));

-- +goose Down
SELECT 'down migrations are not supported: auction records are kept for ten years';
