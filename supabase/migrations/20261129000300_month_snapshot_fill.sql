-- =============================================================================================
-- Month-end snapshot fill (issue #9): the request path never queues behind a fill
--
-- At a district's size storing one closed month end (public.month_snapshot_ready) takes longer
-- than a request may run, and every request for the same month end used to wait on the fill's
-- advisory lock. The nightly `npm run stats:rebuild` stores the twelve closed months ahead of
-- time; for whatever it did not store, the API asks here first whether the month end is stored,
-- being stored right now (by this or another API process, or by the nightly job), or missing,
-- and then waits a bounded time (MONTH_END_WAIT_MS) for its own fill or answers 503 with
-- Retry-After, instead of taking the lock and queueing.
-- =============================================================================================

-- ---------------------------------------------------------------------------------------------
-- Status
-- ---------------------------------------------------------------------------------------------
-- 'stored' | 'filling' | 'missing'. "Filling" is the fill's own advisory lock (the same two keys
-- month_snapshot_ready takes) held by a transaction, seen in pg_locks without taking it: asking
-- must not make the asker wait or hold the lock. Definer rights: pg_locks shows the lock's
-- existence only, but the state table is private. The answer may be stale by the time the
-- caller acts on it; the fill itself re-checks under the lock, so a stale answer costs at most
-- one wasted wait, never a wrong figure.
create function public.month_snapshot_status(p_month_end date) returns text
language sql stable security definer
set search_path = public, extensions
as $$
  select case
    when exists (select 1 from minqing.month_snapshot_state s where s.month_end = p_month_end) then 'stored'
    when exists (
      select 1 from pg_catalog.pg_locks l
      where l.locktype = 'advisory' and l.granted and l.objsubid = 2
        and l.classid = hashtext('minqing.month_snapshot')::oid
        and l.objid = (p_month_end - date '2000-01-01')::oid
    ) then 'filling'
    else 'missing'
  end
$$;

revoke execute on function public.month_snapshot_status(date) from public, anon;
grant execute on function public.month_snapshot_status(date) to authenticated, service_role;
