-- Explicit limits on what a message row may hold, so a record no gateway would have accepted (one produced
-- straight into the topic) is refused by the database and dead-lettered by the consumer, not stored.
--   content:  at most 65536 bytes, the upper bound of chat.max_message_bytes (a gateway never accepts more);
--   nickname: at most 50 characters, the API's limit on nicknames (kNicknameMax in src/services/validation.h).
-- NOT VALID: every new row is checked, but the existing history is not scanned under this migration's
-- ACCESS EXCLUSIVE lock; `ALTER TABLE messages VALIDATE CONSTRAINT ...` can check it later without blocking writes.
ALTER TABLE messages
    ADD CONSTRAINT messages_content_size CHECK (octet_length(content) <= 65536) NOT VALID,
    ADD CONSTRAINT messages_nickname_length CHECK (char_length(nickname) <= 50) NOT VALID;
