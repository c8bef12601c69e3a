-- The queue, version 1 (issue 11). Never edit a released file: a change is V2__....sql.
--
-- A message and its envelope, committed in one transaction before the relay's 250. The content
-- is bytea: the server's SIZE limit (10 MiB by default) is far below bytea's 1 GB, large values
-- are TOASTed out of line, and unlike a large object the content goes with its row on delete
-- (no lo_unlink, nothing orphaned by a crash between two statements).
--
-- The lease (lease_owner, lease_expiry) is per message, as QueueStore.claimDue hands out
-- messages: set in the transaction that picked the row FOR UPDATE SKIP LOCKED, renewed while the
-- delivery runs, cleared by the record of the attempt. No database lock is held while a node
-- talks to the next hop; once the lease has expired any node may claim the message again.
CREATE TABLE messages (
    id           text        PRIMARY KEY,
    seq          bigint      GENERATED ALWAYS AS IDENTITY UNIQUE, -- arrival order within one millisecond
    arrival      timestamptz NOT NULL,
    size         bigint      GENERATED ALWAYS AS (octet_length(content)) STORED,
    sender       text        NOT NULL,       -- the reverse path, '' for <>
    param_names  text[]      NOT NULL,       -- MAIL FROM parameters in the order sent,
    param_values text[]      NOT NULL,       -- a NULL value for a keyword without one
    content      bytea       NOT NULL,
    attempts     integer     NOT NULL DEFAULT 0,
    last_attempt timestamptz,
    next_attempt timestamptz NOT NULL,
    held         boolean     NOT NULL DEFAULT false,
    lease_owner  text,
    lease_expiry timestamptz
);

-- The claim's scan: messages not held, by their next attempt.
CREATE INDEX messages_due ON messages (next_attempt, seq) WHERE NOT held;

-- One row per recipient, in RCPT order: each has its own state, so one can be delivered while
-- another is deferred. HELD is not a stored state: it is how a pending recipient of a held
-- message is shown.
CREATE TABLE recipients (
    message_id   text     NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position     integer  NOT NULL,
    address      text     NOT NULL,
    param_names  text[]   NOT NULL,
    param_values text[]   NOT NULL,
    state        text     NOT NULL CHECK (state IN ('QUEUED', 'DEFERRED', 'DELIVERED', 'FAILED')),
    last_reply   text,
    PRIMARY KEY (message_id, position),
    UNIQUE (message_id, address)
);
