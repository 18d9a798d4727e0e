-- migration: 0009_product_line
-- The project's product line (项目产品线, issue 11): an optional filter and segment dimension
-- (queries/dimensions.py). Exports without the column store null; the sidebar offers the
-- filter once a snapshot has a value. Older rows stay null (their exports did not say).

alter table project_snapshots add column product_line varchar;
