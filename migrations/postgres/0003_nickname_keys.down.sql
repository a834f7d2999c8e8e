-- Undoes 0003_nickname_keys: nicknames are unique only as typed again, and every reuse of a spent refresh token
-- revokes its session.
ALTER TABLE refresh_tokens DROP COLUMN used_at;
ALTER TABLE users DROP COLUMN nickname_key;
