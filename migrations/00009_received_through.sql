-- +goose Up
-- A bid's time is when the server received it (Art. 20), and the close of an
-- auction waits for every bid received before its end. A process that has
-- received bids not yet decided holds them in memory; with each heartbeat it
-- publishes its horizon: every bid it received before received_through has
-- been decided. An auction closes once the horizon of every running process
-- has passed its end (or once no bid may wait any longer). Null: the process
-- does not publish one (it takes no bids).
ALTER TABLE service_runs ADD COLUMN received_through timestamptz;
CREATE INDEX service_runs_running ON service_runs (beat_wall) WHERE stopped_at IS NULL;

-- +goose Down
DROP INDEX service_runs_running;
ALTER TABLE service_runs DROP COLUMN received_through;
