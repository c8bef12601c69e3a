-- The queue, version 1 (issue 11). Never edit once released: a change is V2__....sql.
-- A message and its envelope, committed in one transaction before the 250. The content is bytea:
-- the server's message size limit (SIZE, 10 MiB by default, at most some tens of MiB) is far
-- below bytea's 1 GB, bytea rows are TOASTed out of line and compressed, and unlike large
-- objects they go with the row on delete (no lo_unlink, no orphans after a crash).
CREATE TABLE messages (
    id          text        PRIMARY KEY,
    arrival     timestamptz NOT NULL,
    size        bigint      NOT NULL,
    sender      text        NOT NULL,            -- the reverse path, '' for <>
    params      text        NOT NULL DEFAULT '', -- MAIL FROM parameters, as received
    content     bytea       NOT NULL
);

-- One row per recipient: each has its own state, so one can be delivered while another is
-- deferred. The lease (owner, expiry) marks a recipient a node is delivering: set in the same
-- transaction that claimed the row FOR UPDATE SKIP LOCKED, renewed while the delivery runs; once
-- it expires any node may claim the recipient again (at-least-once).
CREATE TABLE recipients (
    message_id   text        NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position     integer     NOT NULL,           -- RCPT order
    address      text        NOT NULL,
    params       text        NOT NULL DEFAULT '', -- RCPT TO parameters, as received
    state        text        NOT NULL,           -- see PostgresQueueStore
    attempts     integer     NOT NULL DEFAULT 0,
    next_attempt timestamptz NOT NULL,
    last_error   text,
    lease_owner  text,
    lease_expiry timestamptz,
    PRIMARY KEY (message_id, position)
);

-- The claim's scan: due recipients in order of their next attempt.
CREATE INDEX recipients_due ON recipients (next_attempt) WHERE state = 'queued';
