-- The IANA time zone whose civil days an agreement's reports count (issue #5).
ALTER TABLE partners ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
