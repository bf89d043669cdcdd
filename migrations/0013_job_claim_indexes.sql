-- Job claims that stay index range scans whatever the planner knows about the table.
--
-- jobs_claimable (run_at, WHERE state IN ('queued', 'running')) served one claim statement whose
-- WHERE was an OR of two states. With a 100,000-job webhook backlog and no statistics yet (the
-- backlog arrived faster than autovacuum analyses), PostgreSQL answered that claim with a
-- BitmapAnd of jobs_kind_idempotency_key and jobs_claimable: it read every queued job of the
-- kind and sorted them on disk to return 64 — about 90 ms per claim, and a drain of ~250/s
-- instead of over 1,000/s (docs/benchmarks.md, webhooks).
--
-- The claim (platform/jobs/claim-jobs.ts) now asks two simple questions, each matching one
-- partial index exactly:
--   * due jobs of one kind, oldest first: state = 'queued' AND kind = $k AND run_at <= now,
--     ORDER BY run_at — an ordered range scan of jobs_queued that stops after the limit;
--   * expired leases (crash recovery): state = 'running' AND locked_until < now — jobs_leased
--     holds only the running jobs, a few hundred at most.
-- Finished jobs are in neither index, so neither grows with history.
CREATE INDEX jobs_queued ON jobs (kind, run_at) WHERE state = 'queued';
CREATE INDEX jobs_leased ON jobs (locked_until) WHERE state = 'running';
DROP INDEX jobs_claimable;
