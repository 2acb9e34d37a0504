-- One row per event of idlib.events.v1 (the latest record by revision); sources and actors as jsonb.
CREATE TABLE IF NOT EXISTS events (
    event_id          text PRIMARY KEY,
    status            text NOT NULL CHECK (status IN ('active', 'retracted')),
    revision          integer NOT NULL,
    event_type        text NOT NULL,
    sub_event_type    text NOT NULL,
    date              date NOT NULL,
    date_end          date,
    location_name     text,
    latitude          double precision,
    longitude         double precision,
    admin1            text,
    admin2            text,
    admin3            text,
    geo_precision     smallint,
    actors            jsonb NOT NULL DEFAULT '[]',
    killed            integer,
    injured           integer,
    sources           jsonb NOT NULL DEFAULT '[]',
    source_count      integer NOT NULL,
    article_count     integer NOT NULL,
    first_reported_at timestamptz,
    last_updated_at   timestamptz,
    confidence        real NOT NULL,
    record            jsonb NOT NULL,
    stored_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS events_date ON events (date);
CREATE INDEX IF NOT EXISTS events_status_date ON events (status, date);

-- Records the sink could not read: kept, never dropped.
CREATE TABLE IF NOT EXISTS rejected_events (
    id          bigserial PRIMARY KEY,
    topic       text,
    partition   integer,
    record_offset bigint,
    key         text,
    reason      text NOT NULL,
    error       text NOT NULL,
    value       bytea,
    stored_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (topic, partition, record_offset)
);
