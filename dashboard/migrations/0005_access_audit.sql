-- migration: 0005_access_audit
-- Sign-in, roles and region scope (issue 10): who may see and do what is kept here, on the
-- server, and read on every page run (never from the sign-in cookie); every change to the
-- data, the mappings or this list leaves an audit row written in the same transaction.
-- (dashboard/access.py; docs/DEPLOY.md)

create table access_list (
    principal   varchar not null,            -- an e-mail address (lower case) or 'group:NAME' (a value of the `groups` claim)
    role        varchar not null,            -- admin | head_office | regional | regional_importer
    regions     varchar[] not null,          -- ['*'] = every region (admin, head_office only); else the regions seen
    note        varchar,                     -- free text for the sales office (who this is)
    granted_by  varchar not null,            -- who made this entry (e-mail, 'local', 'cli:<os user>')
    granted_at  timestamp not null
);

create table audit_log (
    audit_id      integer not null,          -- 1, 2, 3 … in order
    happened_at   timestamp not null,
    actor         varchar not null,          -- e-mail of the signed-in user, 'local' (unsigned local mode), 'cli:<os user>'
    action        varchar not null,          -- import | remove_import | mapping_save | access_grant | access_revoke
    import_id     integer,                   -- the import written or removed
    file_name     varchar,                   -- the uploaded name, or the mapping file
    sha256        varchar,                   -- of the file's bytes (imports, mappings)
    as_of         date,
    regions       varchar[],                 -- the regions the change touched (['*'] = the whole date / company)
    rows_added    integer,
    rows_removed  integer,                   -- snapshot rows replaced or removed
    rows_changed  integer,
    detail        json                       -- everything else about the change (before/after, replaced imports …)
);

alter table imports add column imported_by varchar;   -- the actor (as in audit_log); null for imports before 0005
alter table imports add column regions varchar[];     -- null or ['*'] = the whole as-of date; else a regional import's regions
