-- +goose Up
-- Notices about an account rather than an auction. The first kind is
-- identity_claim_released: when a clerk (or the court's real-name provider)
-- verifies the person behind an identity number, every unverified account
-- claiming the same number loses the claim (VerifyUser), and its holder is
-- told, in the app and by e-mail, in the same transaction.
ALTER TABLE user_notices ALTER COLUMN auction_id DROP NOT NULL;

-- A notice without an auction is still one per cause: NULLs compare equal.
ALTER TABLE user_notices DROP CONSTRAINT user_notices_user_id_type_auction_id_cause_key;
ALTER TABLE user_notices ADD CONSTRAINT user_notices_once UNIQUE NULLS NOT DISTINCT (user_id, type, auction_id, cause);

-- +goose StatementBegin
CREATE FUNCTION user_notice_claim_released() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_notices (user_id, type, auction_id, cause, data, created_at, updated_at, deliver_due_at)
    VALUES (NEW.id, 'identity_claim_released', NULL, 'released:' || to_char(NEW.id_claim_released_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
            jsonb_build_object('released_at', NEW.id_claim_released_at),
            NEW.id_claim_released_at, NEW.id_claim_released_at, NEW.id_claim_released_at)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER user_notice_claim_released AFTER UPDATE OF id_claim_released_at ON users
    FOR EACH ROW WHEN (NEW.id_claim_released_at IS NOT NULL AND NEW.id_claim_released_at IS DISTINCT FROM OLD.id_claim_released_at)
    EXECUTE FUNCTION user_notice_claim_released();

-- +goose Down
DROP TRIGGER user_notice_claim_released ON users;
DROP FUNCTION user_notice_claim_released();
DELETE FROM user_notice_sends WHERE notice_id IN (SELECT id FROM user_notices WHERE auction_id IS NULL);
DELETE FROM user_notices WHERE auction_id IS NULL;
ALTER TABLE user_notices DROP CONSTRAINT user_notices_once;
ALTER TABLE user_notices ADD CONSTRAINT user_notices_user_id_type_auction_id_cause_key UNIQUE (user_id, type, auction_id, cause);
ALTER TABLE user_notices ALTER COLUMN auction_id SET NOT NULL;
