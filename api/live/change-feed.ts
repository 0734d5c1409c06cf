/**
 * Committed changes to field work, as the database announces them on `minqing_changes`
 * (supabase/migrations/*_issues.sql), fanned out to every open map. One database listener
 * per server, started with the first subscriber; a burst (a worker syncing a day of visits) is
 * folded into one message per short window, so maps refetch their figures once, not fifty times.
 */
import type { Database } from '../db/database';

export interface Change {
  /** Tables that changed in the window: visits, issues, issue_events, patrols; grids and boundary_proposals (boundary commits). */
  tables: string[];
  /** Grids whose figures may have changed (never personal data). */
  gridIds: number[];
  /**
   * The stats version after the change (GET /api/stats/* return it and use it as their ETag):
   * a map holding this version already has these figures and need not refetch.
   */
  statsVersion?: number;
}

export const CHANGE_CHANNEL = 'minqing_changes';

export class ChangeFeed {
  private subscribers = new Set<(c: Change) => void>();
  private listening: Promise<() => Promise<void>> | undefined;
  private pending: { tables: Set<string>; grids: Set<number> } | undefined;

  constructor(
    private readonly db: Database,
    private readonly windowMs = 250,
  ) {}

  /** Resolves once the database listener is up, so nothing committed after it is missed. */
  async subscribe(fn: (c: Change) => void): Promise<() => void> {
    this.subscribers.add(fn);
    this.listening ??= this.db.listen(CHANGE_CHANNEL, (payload) => this.receive(payload));
    await this.listening;
    return () => {
      this.subscribers.delete(fn);
    };
  }

  async close(): Promise<void> {
    const stop = await this.listening;
    this.listening = undefined;
    await stop?.();
  }

  private receive(payload: string) {
    let parsed: { table?: unknown; gridId?: unknown };
    try {
      parsed = JSON.parse(payload) as typeof parsed;
    } catch {
      return;
    }
    if (!this.pending) {
      this.pending = { tables: new Set(), grids: new Set() };
      setTimeout(() => void this.flush(), this.windowMs);
    }
    if (typeof parsed.table === 'string') this.pending.tables.add(parsed.table);
    if (typeof parsed.gridId === 'number') this.pending.grids.add(parsed.gridId);
  }

  private async flush() {
    const p = this.pending;
    this.pending = undefined;
    if (!p) return;
    const change: Change = { tables: [...p.tables].sort(), gridIds: [...p.grids].sort((a, b) => a - b) };
    // Read after the commit that notified: the version now covers this change.
    const version = await this.db.query<{ v: number }>('select public.stats_version() as v').then(
      (rows) => Number(rows[0]?.v),
      () => undefined,
    );
    if (version !== undefined && Number.isFinite(version)) change.statsVersion = version;
    for (const fn of this.subscribers) fn(change);
  }
}
