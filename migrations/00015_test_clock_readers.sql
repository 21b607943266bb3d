-- +goose Up
-- The processes reading the shared test clock (serve --test-clock): each keeps
-- the time in memory, learns of a move by LISTEN, and writes here the time it
-- has applied, so that a move returns only once every live reader has it.
-- A reader is live while its listening backend (pid) is; a process that died
-- is not waited for. Unlogged: nothing here outlives the processes.
CREATE UNLOGGED TABLE test_clock_readers (
    id   uuid PRIMARY KEY,
    pid  integer NOT NULL,
    seen timestamptz NOT NULL
);

-- +goose Down
DROP TABLE test_clock_readers;
