-- Look-alike nicknames and the refresh-token reuse grace (docs/RELIABILITY.md, items 9 and 11).
--   users.nickname_key: the Unicode TS #39 skeleton of the nickname's NFKC case fold, computed by the application
--     (ICU; SQL cannot). Unique, so two users whose nicknames look alike cannot both hold one. Rows of before the
--     migration are NULL (UNIQUE allows any number of NULLs) until a gateway fills them at start
--     (AuthService::BackfillNicknameKeys); of existing users whose nicknames look alike, the lowest id gets the key
--     and the others stay NULL: they keep their names and log in by their exact nickname.
--   refresh_tokens.used_at: when a token was spent (NULL for tokens spent before), for auth.refresh_reuse_grace_s.
ALTER TABLE users ADD COLUMN nickname_key TEXT UNIQUE;  -- index users_nickname_key_key
ALTER TABLE refresh_tokens ADD COLUMN used_at TIMESTAMPTZ;
