-- +goose Up
-- Watch lists and user notices (the in-app list, e-mail and SMS of what
-- happened to a bidder's auctions). Not to be confused with
-- case_notifications, the webhooks to the court's case system.

-- A bidder's watch list.
CREATE TABLE watchlist (
    user_id    uuid NOT NULL REFERENCES users (id),
    auction_id uuid NOT NULL REFERENCES auctions (id),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, auction_id)
);
CREATE INDEX watchlist_auction ON watchlist (auction_id);

-- The notices outbox. A notice is written in the transaction of the change
-- that causes it, by the triggers below, so a change and its notice commit
-- together or not at all; (user_id, type, auction_id, cause) makes a second
-- notice for the same cause impossible.
--
-- seq is the user's own sequence (1, 2, 3...). It is not given at insert:
-- notices of one user are written by transactions on different auctions that
-- commit in any order, and a reader polling with since=N must never skip one
-- that committed late with a smaller number. Sequencing (a short transaction
-- under the user's row in user_notice_seqs, run before notices are read)
-- numbers the committed notices without a seq in id order, so a number is
-- only ever given to a committed notice and later numbers come later. The
-- bid path therefore takes no per-user lock.
--
-- Outbid notices of one bidder on one auction are coalesced while unread:
-- a new outbid adds to count and takes the notice back to the unsequenced
-- state, so it comes again, with its new count, after the reader's since.
--
-- delivery is the state of the notice's e-mail and SMS: pending (waiting for
-- deliver_due_at), queued (a delivery job holds it), done, or skipped.
CREATE TABLE user_notices (
    id              bigserial PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id),
    seq             bigint,
    type            text NOT NULL,
    auction_id      uuid NOT NULL REFERENCES auctions (id),
    cause           text NOT NULL,
    count           int NOT NULL DEFAULT 1 CHECK (count >= 1),
    data            jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    read_at         timestamptz,
    delivery        text NOT NULL DEFAULT 'pending' CHECK (delivery IN ('pending','queued','done','skipped')),
    deliver_due_at  timestamptz NOT NULL,
    delivered_at    timestamptz,
    delivered_count int NOT NULL DEFAULT 0,
    UNIQUE (user_id, type, auction_id, cause)
);
CREATE UNIQUE INDEX user_notices_seq ON user_notices (user_id, seq);
CREATE INDEX user_notices_unsequenced ON user_notices (user_id, id) WHERE seq IS NULL;
CREATE INDEX user_notices_unread ON user_notices (user_id) WHERE read_at IS NULL;
CREATE INDEX user_notices_delivery_due ON user_notices (deliver_due_at) WHERE delivery = 'pending';
CREATE UNIQUE INDEX user_notices_outbid_open ON user_notices (user_id, auction_id) WHERE type = 'outbid' AND read_at IS NULL;

-- The last seq given to each user's notices.
CREATE TABLE user_notice_seqs (
    user_id  uuid PRIMARY KEY REFERENCES users (id),
    last_seq bigint NOT NULL
);

-- What each delivery channel has sent, per notice and version (the count it
-- said): a retried delivery job skips a channel already done.
CREATE TABLE user_notice_sends (
    notice_id bigint NOT NULL REFERENCES user_notices (id),
    channel   text NOT NULL CHECK (channel IN ('email','sms')),
    version   int NOT NULL,
    sent_at   timestamptz NOT NULL,
    PRIMARY KEY (notice_id, channel, version)
);

-- Time-driven notices (reminders) already produced, by subject (an auction
-- or a deposit) and kind: claiming a row here is how exactly one instance
-- produces them.
CREATE TABLE user_notice_reminders (
    subject uuid NOT NULL,
    kind    text NOT NULL,
    at      timestamptz NOT NULL,
    PRIMARY KEY (subject, kind)
);

-- A user's choices: the language of e-mail and SMS, the kinds and channels
-- turned off, and the key of their one-click unsubscribe links.
CREATE TABLE user_notice_settings (
    user_id         uuid PRIMARY KEY REFERENCES users (id),
    language        text NOT NULL DEFAULT 'zh-CN' CHECK (language IN ('zh-CN','en')),
    unsubscribe_key text NOT NULL UNIQUE,
    updated_at      timestamptz NOT NULL
);
CREATE TABLE user_notice_optouts (
    user_id uuid NOT NULL REFERENCES users (id),
    type    text NOT NULL,
    channel text NOT NULL CHECK (channel IN ('email','sms')),
    PRIMARY KEY (user_id, type, channel)
);

-- Outbid: the bidder a new bid displaced. Statement level, over the bids a
-- statement inserted (the bid queue inserts a whole batch in one): each new
-- bid displaced the bidder of the bid before it. A bidder displaced several
-- times in the batch gets one notice counting them; the batch's final leader
-- gets none. One INSERT per bid batch, with no per-user lock (see seq above).
-- +goose StatementBegin
CREATE FUNCTION user_notice_outbid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_notices AS n (user_id, type, auction_id, cause, count, data, created_at, updated_at, deliver_due_at)
    SELECT r.user_id, 'outbid', o.auction_id, 'bid:' || min(o.seq), count(*),
           jsonb_build_object('current_price', max(o.top)), max(o.placed_at), max(o.placed_at), max(o.placed_at)
    FROM (
        SELECT b.auction_id, b.seq, b.placed_at, b.registration_id,
               lag(b.registration_id) OVER w AS displaced,
               last_value(b.registration_id) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS leader,
               max(b.amount) OVER (PARTITION BY b.auction_id) AS top
        FROM (
            SELECT auction_id, seq, amount, placed_at, registration_id FROM new_bids
            UNION ALL
            SELECT p.auction_id, p.seq, p.amount, p.placed_at, p.registration_id
            FROM (SELECT auction_id, min(seq) AS first FROM new_bids GROUP BY auction_id) f
            CROSS JOIN LATERAL (SELECT * FROM bids x WHERE x.auction_id = f.auction_id AND x.seq < f.first
                                ORDER BY x.seq DESC LIMIT 1) p
        ) b
        WINDOW w AS (PARTITION BY b.auction_id ORDER BY b.seq)
    ) o
    JOIN registrations r ON r.id = o.displaced
    WHERE o.displaced <> o.registration_id AND o.displaced <> o.leader
    GROUP BY r.user_id, o.auction_id
    ON CONFLICT (user_id, auction_id) WHERE type = 'outbid' AND read_at IS NULL DO UPDATE SET
        count = n.count + excluded.count,
        data = excluded.data,
        updated_at = excluded.updated_at,
        seq = NULL,
        delivery = CASE WHEN n.delivery IN ('done','skipped') THEN 'pending' ELSE n.delivery END,
        deliver_due_at = CASE WHEN n.delivery IN ('done','skipped')
            THEN greatest(excluded.deliver_due_at, n.delivered_at + interval '5 minutes')
            ELSE n.deliver_due_at END;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER user_notices_outbid AFTER INSERT ON bids
    REFERENCING NEW TABLE AS new_bids FOR EACH STATEMENT EXECUTE FUNCTION user_notice_outbid();

-- Notices named after the auction event that causes them: whoever appends
-- the event (the tick, a clerk's action, the outage guard) produces them.
-- The WHEN clause keeps bids and extensions from calling the function.
--   closed (sold): won for the winner, lost for every other qualified bidder
--   defaulted: the defaulting winner
--   suspended, resumed, cancelled, annulled: registered bidders and watchers
-- +goose StatementBegin
CREATE FUNCTION user_notice_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.type = 'closed' THEN
        IF NEW.data->>'outcome' = 'sold' THEN
            INSERT INTO user_notices (user_id, type, auction_id, cause, data, created_at, updated_at, deliver_due_at)
            SELECT r.user_id,
                   CASE WHEN r.bidder_code = NEW.data->>'winner_code' THEN 'won' ELSE 'lost' END,
                   NEW.auction_id, 'event:' || NEW.seq,
                   CASE WHEN r.bidder_code = NEW.data->>'winner_code' THEN
                       jsonb_build_object('hammer_price', (NEW.data->>'hammer_price')::bigint,
                           'deposit_applied', coalesce(d.amount, 0),
                           'balance_due', (NEW.data->>'hammer_price')::bigint - coalesce(d.amount, 0),
                           'balance_due_at', NEW.data->'balance_due_at')
                   ELSE jsonb_build_object('hammer_price', (NEW.data->>'hammer_price')::bigint,
                           'deposit', coalesce(d.amount, 0)) END,
                   NEW.at, NEW.at, NEW.at
            FROM registrations r LEFT JOIN deposits d ON d.registration_id = r.id
            WHERE r.auction_id = NEW.auction_id AND r.bidder_code IS NOT NULL
            ON CONFLICT DO NOTHING;
        END IF;
    ELSIF NEW.type = 'defaulted' THEN
        INSERT INTO user_notices (user_id, type, auction_id, cause, data, created_at, updated_at, deliver_due_at)
        SELECT r.user_id, 'defaulted', NEW.auction_id, 'event:' || NEW.seq,
               jsonb_build_object('forfeited_deposit', NEW.data->'forfeited_deposit'), NEW.at, NEW.at, NEW.at
        FROM registrations r WHERE r.auction_id = NEW.auction_id AND r.bidder_code = NEW.data->>'winner_code'
        ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO user_notices (user_id, type, auction_id, cause, data, created_at, updated_at, deliver_due_at)
        SELECT u.user_id, NEW.type, NEW.auction_id, 'event:' || NEW.seq,
               CASE WHEN NEW.type = 'resumed' THEN jsonb_build_object('ends_at', NEW.data->'ends_at') ELSE '{}'::jsonb END,
               NEW.at, NEW.at, NEW.at
        FROM (SELECT user_id FROM registrations WHERE auction_id = NEW.auction_id
              UNION SELECT user_id FROM watchlist WHERE auction_id = NEW.auction_id) u
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER user_notices_event AFTER INSERT ON auction_events FOR EACH ROW
    WHEN (NEW.type IN ('closed','defaulted','suspended','resumed','cancelled','annulled'))
    EXECUTE FUNCTION user_notice_event();

-- Deposits: deposit_held and deposit_refunded for the bidder (a zero deposit
-- has nothing to refund), and deposit_awaiting_confirmation for every finance
-- account when a bank transfer is expected.
-- +goose StatementBegin
CREATE FUNCTION user_notice_deposit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'pending' THEN
        INSERT INTO user_notices (user_id, type, auction_id, cause, data, created_at, updated_at, deliver_due_at)
        SELECT u.id, 'deposit_awaiting_confirmation', NEW.auction_id, 'deposit:' || NEW.id,
               jsonb_build_object('deposit_id', NEW.id, 'amount', NEW.amount), NEW.updated_at, NEW.updated_at, NEW.updated_at
        FROM users u WHERE u.role = 'finance'
        ON CONFLICT DO NOTHING;
    ELSIF NEW.status = 'held' OR (NEW.status = 'refunded' AND NEW.amount > 0) THEN
        INSERT INTO user_notices (user_id, type, auction_id, cause, data, created_at, updated_at, deliver_due_at)
        SELECT r.user_id, 'deposit_' || NEW.status, NEW.auction_id, 'deposit:' || NEW.id,
               jsonb_build_object('amount', NEW.amount), NEW.updated_at, NEW.updated_at, NEW.updated_at
        FROM registrations r WHERE r.id = NEW.registration_id
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER user_notices_deposit_insert AFTER INSERT ON deposits FOR EACH ROW
    WHEN ((NEW.status = 'pending' AND NEW.provider = 'bank') OR NEW.status = 'held')
    EXECUTE FUNCTION user_notice_deposit();
CREATE TRIGGER user_notices_deposit_update AFTER UPDATE OF status ON deposits FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('held','refunded'))
    EXECUTE FUNCTION user_notice_deposit();

-- +goose Down
SELECT 'down migrations are not supported: auction records are kept for ten years';
