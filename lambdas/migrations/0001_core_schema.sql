-- Core schema of the reporting database: who reports, what is due, what was rendered, validated,
-- delivered and confirmed, and an append-only audit trail. Applied once by db_init (schema_migrations).

CREATE TABLE entities (
    entity_id     text PRIMARY KEY,
    lei           text NOT NULL,
    legal_name    text NOT NULL,
    jurisdiction  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per report due: the plan reads these for a business date.
CREATE TABLE report_jobs (
    report_id      text PRIMARY KEY,
    business_date  date NOT NULL,
    jurisdiction   text NOT NULL,
    report_type    text NOT NULL,
    entity_id      text NOT NULL REFERENCES entities (entity_id),
    header         jsonb NOT NULL DEFAULT '{}'::jsonb,
    due_at         timestamptz,  -- set for ad-hoc requests; otherwise the pack's deadline applies
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'generated', 'validated', 'quarantined', 'delivered',
                                     'confirmed', 'failed')),
    last_run_id    text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX report_jobs_by_date_status ON report_jobs (business_date, status);
CREATE INDEX report_jobs_by_jurisdiction ON report_jobs (jurisdiction, business_date);

-- The source rows a report is rendered from (one per record line of the report).
CREATE TABLE report_rows (
    report_id  text NOT NULL REFERENCES report_jobs (report_id),
    line_no    integer NOT NULL,
    data       jsonb NOT NULL,
    PRIMARY KEY (report_id, line_no)
);

-- The latest rendering of each report (a re-run before delivery replaces it).
CREATE TABLE reports (
    report_id     text PRIMARY KEY REFERENCES report_jobs (report_id),
    run_id        text NOT NULL,
    file_name     text NOT NULL,
    format        text NOT NULL,
    staging_key   text NOT NULL,
    sha256        char(64) NOT NULL,
    version_id    text,
    size_bytes    bigint NOT NULL CHECK (size_bytes >= 0),
    generated_at  timestamptz NOT NULL DEFAULT now()
);

-- Every validation outcome, kept (a report validated twice has two rows).
CREATE TABLE validations (
    validation_id   bigserial PRIMARY KEY,
    report_id       text NOT NULL REFERENCES report_jobs (report_id),
    run_id          text NOT NULL,
    valid           boolean NOT NULL,
    violations      jsonb NOT NULL DEFAULT '[]'::jsonb,
    quarantine_key  text,
    sha256          char(64) NOT NULL,
    validated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX validations_by_report ON validations (report_id, validated_at DESC);
CREATE INDEX validations_invalid_by_time ON validations (validated_at) WHERE NOT valid;

-- At most one delivery per report, ever: the primary key is deliver's idempotency key. A row is claimed
-- ('sending') in the same transaction that checks for it, before the email goes out.
CREATE TABLE deliveries (
    report_id      text PRIMARY KEY REFERENCES report_jobs (report_id),
    run_id         text NOT NULL,
    status         text NOT NULL
                   CHECK (status IN ('sending', 'sent', 'delivered', 'bounced', 'complained', 'failed')),
    recipient      text NOT NULL,
    report_key     text,
    version_id     text,
    sha256         char(64),
    message_id     text UNIQUE,
    late           boolean NOT NULL DEFAULT false,
    claimed_at     timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz,
    status_at      timestamptz,
    status_detail  text
);
CREATE INDEX deliveries_by_status ON deliveries (status, claimed_at);

CREATE TABLE confirmations (
    report_id     text PRIMARY KEY REFERENCES deliveries (report_id),
    run_id        text NOT NULL,
    message_id    text NOT NULL,
    sha256        char(64) NOT NULL,
    version_id    text,
    receipt_key   text NOT NULL,
    confirmed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX confirmations_by_time ON confirmations (confirmed_at);

-- Runs and batches that failed as a whole (the state machine's Catch records them).
CREATE TABLE runs (
    run_id         text PRIMARY KEY,
    business_date  date NOT NULL,
    planned        integer NOT NULL DEFAULT 0,
    batches        integer NOT NULL DEFAULT 0,
    manifest_key   text,
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    totals         jsonb
);
CREATE INDEX runs_by_date ON runs (business_date);

CREATE TABLE batch_failures (
    failure_id     bigserial PRIMARY KEY,
    run_id         text NOT NULL,
    batch_id       text NOT NULL,
    report_ids     jsonb NOT NULL DEFAULT '[]'::jsonb,
    error_type     text NOT NULL,
    error_message  text NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (run_id, batch_id)
);

-- The audit trail: rows are only ever added. The database itself refuses UPDATE, DELETE and TRUNCATE.
CREATE TABLE audit_events (
    event_id     bigserial PRIMARY KEY,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL,
    action       text NOT NULL,
    report_id    text,
    run_id       text,
    detail       jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_events_by_report ON audit_events (report_id, occurred_at);
CREATE INDEX audit_events_by_time ON audit_events (occurred_at);

CREATE FUNCTION audit_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_events_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();

CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
