-- +goose Up
-- Abuse limits shared by every instance on the database (auction/postgres/pglimit):
-- a limit kept per instance would give a client behind a load balancer a
-- fresh budget on each instance. Unlogged: the state is worth no WAL, and
-- after a crash or a failover the limits simply start afresh.

-- Token buckets as the generic cell rate algorithm keeps them: one
-- timestamp per key, the theoretical arrival time of the next event. An
-- event is allowed when tat, pushed on by one interval, stays within the
-- burst of now.
CREATE UNLOGGED TABLE limit_buckets (
    key text PRIMARY KEY,
    tat timestamptz NOT NULL
);

-- Failures per key (sign-ins), with the moment the key may try again.
CREATE UNLOGGED TABLE limit_failures (
    key      text PRIMARY KEY,
    failures integer NOT NULL,
    until    timestamptz NOT NULL,
    last     timestamptz NOT NULL
);

-- Keys remembered until a time: the addresses an account was signed into
-- from lately.
CREATE UNLOGGED TABLE limit_marks (
    key   text PRIMARY KEY,
    until timestamptz NOT NULL
);

-- +goose Down
DROP TABLE limit_marks;
DROP TABLE limit_failures;
DROP TABLE limit_buckets;
