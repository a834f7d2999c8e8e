-- Undoes 0002_message_limits: message rows are limited by the application only again.
ALTER TABLE messages
    DROP CONSTRAINT messages_content_size,
    DROP CONSTRAINT messages_nickname_length;
