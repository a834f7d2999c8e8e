-- The schema of the distributed roles: the seed's users, rooms and messages, plus refresh tokens.
-- Applied by `rooms migrate up` in one transaction together with its row in schema_migrations.

CREATE TABLE users (
    id            BIGSERIAL   PRIMARY KEY,
    nickname      TEXT        NOT NULL UNIQUE,
    password_hash TEXT        NOT NULL,
    time_created  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE rooms (
    id            BIGSERIAL   PRIMARY KEY,
    name          TEXT        NOT NULL,
    time_created  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- seq is the acceptance order (history is read by it); id is the system-wide message id clients see,
-- unique so that a replayed batch never stores a message twice.
CREATE TABLE messages (
    seq           BIGSERIAL   PRIMARY KEY,
    id            BIGINT      NOT NULL UNIQUE,
    room_id       BIGINT      NOT NULL REFERENCES rooms (id),
    user_id       BIGINT      NOT NULL,
    nickname      TEXT        NOT NULL,
    type          SMALLINT    NOT NULL,
    content       TEXT        NOT NULL,
    time_created  TIMESTAMPTZ NOT NULL
);

-- Newest-first history of one room.
CREATE INDEX messages_room_seq ON messages (room_id, seq DESC);

-- Refresh tokens are stored only as their SHA-256. A family is one login session and its rotations.
CREATE TABLE refresh_tokens (
    token_hash    BYTEA       PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    user_id       BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family        TEXT        NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    used          BOOLEAN     NOT NULL DEFAULT false,
    revoked       BOOLEAN     NOT NULL DEFAULT false
);

CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
