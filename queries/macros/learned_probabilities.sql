-- query:  learned_probabilities (a table macro)
-- grain:  one row per (snapshot, open stage, grade) bound by the runner
-- params: (as macro arguments) the parallel lists $p_as_of date[], $p_stage varchar[],
--         $p_grade varchar[], $p_value double[] (queries/composed.py binds win_probabilities'
--         rows as these)
-- output: as_of, stage, grade, probability
-- why:    every query that weights by the learned P(win) reads the bound lists the same way.
create or replace macro learned_probabilities(p_as_of, p_stage, p_grade, p_value) as table
select
    unnest(cast(p_as_of as date[])) as as_of,
    unnest(cast(p_stage as varchar[])) as stage,
    unnest(cast(p_grade as varchar[])) as grade,
    unnest(cast(p_value as double[])) as probability
