-- Undoes 0001_init: every table of the schema, dependents first. Destroys all data.
DROP TABLE refresh_tokens;
DROP TABLE messages;
DROP TABLE rooms;
DROP TABLE users;
