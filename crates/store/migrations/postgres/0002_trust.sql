-- 0002 (issue 10, trust fixes), PostgreSQL; same effect as the SQLite migration of the
-- same number.

-- Usernames and e-mails are unique without regard to case (login matches lower()).
-- Existing case-twins: the oldest account (lowest id) keeps its name; every later twin
-- is renamed NAME~ID and its e-mail dup-ID-EMAIL, so nothing is deleted and an admin can
-- tell the owners (audit log) and fix the names.
UPDATE users SET username = left(username, 40) || '~' || id
 WHERE EXISTS (SELECT 1 FROM users o WHERE lower(o.username) = lower(users.username) AND o.id < users.id);
UPDATE users SET email = 'dup-' || id || '-' || left(email, 80)
 WHERE EXISTS (SELECT 1 FROM users o WHERE lower(o.email) = lower(users.email) AND o.id < users.id);
DROP INDEX users_email_lower_idx;
DROP INDEX users_username_lower_idx;
CREATE UNIQUE INDEX users_email_lower_idx ON users (lower(email));
CREATE UNIQUE INDEX users_username_lower_idx ON users (lower(username));

-- Refresh tokens: the hash of the secret spent by the last rotation. Presenting it again
-- is reuse (theft) and ends the session; any other wrong secret is only refused.
ALTER TABLE user_sessions ADD COLUMN previous_refresh_token TEXT;

-- Cameras: DELETE archives (history kept, not run, hidden from lists); a purge removes
-- the camera and its history. An archived camera's name is free for a new camera.
ALTER TABLE cameras ADD COLUMN archived_at TIMESTAMPTZ;
DROP INDEX cameras_name_idx;
CREATE UNIQUE INDEX cameras_name_idx ON cameras (lower(name)) WHERE archived_at IS NULL;
