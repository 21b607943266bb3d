-- +goose Up
-- A person is the normalised (id_type, id_number), not an account.
--
-- id_type is the kind of document the number comes from. id_checked is false
-- on the rows that existed before this migration until Go's one validation
-- (auction.ParseIdentity, run by migrations.reviewIdentities right after this
-- file) has judged them: the rule lives in one place, not in SQL too. Rows
-- created from now on are checked when they are written (the default turns
-- true below). id_issue is what the review found: 'duplicate' (another bidder
-- account already holds the person) or 'invalid' (the number fails its
-- check); such accounts keep working, are listed for an admin
-- (GET /api/v1/admin/identity-issues, `gavel migrate`) and are left out of the
-- one-account-per-person index until an admin resolves them. id_number_as_typed
-- keeps what was stored before normalisation, so nothing is lost.
ALTER TABLE users
    ADD COLUMN id_type text NOT NULL DEFAULT 'resident_id'
        CHECK (id_type IN ('resident_id','company','passport','hk_macao_permit','taiwan_permit')),
    ADD COLUMN id_checked boolean NOT NULL DEFAULT false,
    ADD COLUMN id_issue text CHECK (id_issue IN ('duplicate','invalid')),
    ADD COLUMN id_number_as_typed text,
    -- Verified identity: a clerk checked the person's documents at the desk,
    -- or a real-name verification provider confirmed them.
    ADD COLUMN verified_at timestamptz,
    ADD COLUMN verified_method text CHECK (verified_method IN ('desk','provider')),
    ADD COLUMN verified_reference text,
    ADD COLUMN verified_by uuid REFERENCES users (id),
    -- When a verified person's number was taken from this unverified account.
    ADD COLUMN id_claim_released_at timestamptz;
ALTER TABLE users ALTER COLUMN id_checked SET DEFAULT true;

-- One bidder account per person.
CREATE UNIQUE INDEX users_bidder_person ON users (id_type, id_number)
    WHERE role = 'bidder' AND id_number <> '' AND id_checked AND id_issue IS NULL;

-- Case parties, priority holders and restriction list entries say which
-- kind of document their number is; comparisons are on the normalised number.
ALTER TABLE case_parties ADD COLUMN id_type text NOT NULL DEFAULT 'resident_id';
ALTER TABLE priority_holders ADD COLUMN id_type text NOT NULL DEFAULT 'resident_id';
ALTER TABLE blacklist ADD COLUMN id_type text NOT NULL DEFAULT 'resident_id';

-- +goose Down
SELECT 'down migrations are not supported: identities decide who may bid';
