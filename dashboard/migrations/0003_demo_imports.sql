-- migration: 0003_demo_imports
-- Demo data is marked, so it never mixes with a company's own exports: the first real
-- import removes every demo import in the same transaction (dashboard/ingest/load.py),
-- and the UI shows a banner while any demo import is active (issue 9, B1).
-- (Migrations apply in number order, each once; a number below the newest applied one
-- still applies: store.missing_migrations.)

alter table imports add column is_demo boolean not null default false;  -- true = loaded from seeds/ by dashboard/demo.py
