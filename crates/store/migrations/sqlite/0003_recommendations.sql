-- Recommendations, their tracked links and clicks, and the daily counters partner reports are
-- read from (a report never scans raw events). Days are counted since 1970-01-01 UTC.

CREATE TABLE recommendations (
    id                 INTEGER PRIMARY KEY,
    app_id             INTEGER NOT NULL REFERENCES apps (id),
    sender_id          INTEGER NOT NULL REFERENCES users (id),
    title_id           TEXT    NOT NULL,
    title_name         TEXT    NOT NULL,
    title_url          TEXT    NOT NULL,
    image_url          TEXT,
    interface          TEXT    NOT NULL,
    initiation_surface TEXT    NOT NULL,
    variant            TEXT    NOT NULL,
    created_at         INTEGER NOT NULL
);

-- One link per recipient. Only SHA-256 of the link's code is stored.
CREATE TABLE tracked_links (
    code_hash         BLOB    PRIMARY KEY,
    recommendation_id INTEGER NOT NULL REFERENCES recommendations (id),
    recipient_kind    TEXT    NOT NULL,
    recipient_id      INTEGER REFERENCES users (id),
    expires_at        INTEGER NOT NULL
) WITHOUT ROWID;

-- The days a link was clicked on: a click counts once per link per day.
CREATE TABLE link_clicks (
    code_hash BLOB    NOT NULL,
    day       INTEGER NOT NULL,
    PRIMARY KEY (code_hash, day)
) WITHOUT ROWID;

CREATE TABLE report_counts (
    partner_id         INTEGER NOT NULL REFERENCES partners (id),
    day                INTEGER NOT NULL,
    interface          TEXT    NOT NULL,
    initiation_surface TEXT    NOT NULL,
    variant            TEXT    NOT NULL,
    recipient_kind     TEXT    NOT NULL,
    sends              INTEGER NOT NULL,
    clicks             INTEGER NOT NULL,
    PRIMARY KEY (partner_id, day, interface, initiation_surface, variant, recipient_kind)
) WITHOUT ROWID;

-- How many sends and clicks each platform recipient added to a partner's counts on a day:
-- beyond the cap a person adds nothing, which bounds anyone's contribution to a report.
CREATE TABLE daily_contributions (
    partner_id INTEGER NOT NULL REFERENCES partners (id),
    day        INTEGER NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    n          INTEGER NOT NULL,
    PRIMARY KEY (partner_id, day, user_id)
) WITHOUT ROWID;

-- Reports partners hand in, one row per version; a resubmission is a new version, the old kept.
CREATE TABLE submitted_reports (
    id            INTEGER PRIMARY KEY,
    partner_id    INTEGER NOT NULL REFERENCES partners (id),
    period_start  INTEGER NOT NULL,
    period_end    INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    submitted_at  INTEGER NOT NULL,
    UNIQUE (partner_id, period_start, version)
);

CREATE TABLE submitted_report_cells (
    report_id          INTEGER NOT NULL REFERENCES submitted_reports (id),
    day                INTEGER NOT NULL,
    interface          TEXT    NOT NULL,
    initiation_surface TEXT    NOT NULL,
    variant            TEXT    NOT NULL,
    recipient_kind     TEXT    NOT NULL,
    sends              INTEGER NOT NULL,
    clicks             INTEGER NOT NULL,
    PRIMARY KEY (report_id, day, interface, initiation_surface, variant, recipient_kind)
) WITHOUT ROWID;

-- Noisy reports handed to partners, for the privacy budget spent per period (epsilon in
-- millionths).
CREATE TABLE report_releases (
    id               INTEGER PRIMARY KEY,
    partner_id       INTEGER NOT NULL REFERENCES partners (id),
    period_start     INTEGER NOT NULL,
    epsilon_micros   INTEGER NOT NULL,
    released_at      INTEGER NOT NULL
);
CREATE INDEX report_releases_by_period ON report_releases (partner_id, period_start);
