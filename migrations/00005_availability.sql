-- +goose Up
-- Service availability, for the outage guard: an auction whose final window
-- (rulebook outage_guard_window) was not fully served is suspended instead of
-- closed. The evidence must outlive every process, because after a full
-- restart the only witness of the outage is what the dead processes wrote.
--
-- A run is one continuous stretch of service by one process: it starts when
-- the process connects, and each heartbeat moves beat_at forward. A process
-- that misses a beat (database unreachable, process stalled) ends its run and
-- starts a new one, so the time between two runs is time nobody vouched for.
-- started_at and beat_at are auction times (the test clock under
-- --test-clock); beat_wall is the database server's own clock and only tells
-- how fresh a beat is.
CREATE TABLE service_runs (
    id         uuid PRIMARY KEY,
    instance   text NOT NULL,
    started_at timestamptz NOT NULL,
    beat_at    timestamptz NOT NULL,
    beat_wall  timestamptz NOT NULL,
    stopped_at timestamptz,
    CHECK (beat_at >= started_at)
);
CREATE INDEX service_runs_window ON service_runs (beat_at, started_at);

-- Failures of the bid path (answers 5xx to a bid) while the process itself
-- was running: bidders were turned away even though heartbeats went on.
-- auction_id is null for a failure that concerns every auction.
CREATE TABLE service_failures (
    id         bigserial PRIMARY KEY,
    run_id     uuid REFERENCES service_runs (id),
    auction_id uuid,
    first_at   timestamptz NOT NULL,
    last_at    timestamptz NOT NULL,
    count      int NOT NULL CHECK (count > 0),
    reason     text NOT NULL,
    CHECK (last_at >= first_at)
);
CREATE INDEX service_failures_window ON service_failures (last_at, first_at);

-- Retention: auction records are kept for at least ten years (Art. 35) and
-- Gavel never deletes them. The database refuses to lose them by accident:
-- events and bids are append-only and auctions cannot be deleted or truncated.
CREATE TRIGGER auction_events_append_only BEFORE UPDATE OR DELETE ON auction_events
    FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER auction_events_no_truncate BEFORE TRUNCATE ON auction_events
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER bids_append_only BEFORE UPDATE OR DELETE ON bids
    FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER bids_no_truncate BEFORE TRUNCATE ON bids
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER auctions_never_deleted BEFORE DELETE ON auctions
    FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER auctions_no_truncate BEFORE TRUNCATE ON auctions
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- +goose Down
SELECT 'down migrations are not supported: auction records are kept for ten years';
