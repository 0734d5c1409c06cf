/**
 * The stats endpoints' serialized answers, kept in process so that a repeated request costs the
 * version check and a copy, not the rollup read, the band thresholds and a megabyte of JSON.
 *
 * A key names everything an answer depends on: the endpoint and its parameters, the product's
 * today (which path computes the figures), the statsVersion (bumped in the same transaction as
 * any change to the figures' inputs, so a new visit makes every older key unreachable), and the
 * caller's visibility class as the database reports it under row-level security (the street,
 * and for buildings whether the caller is a street leader, who alone also sees buildings outside
 * every grid). Two callers share an entry only when the database would have shown them the same
 * rows. Old versions are never looked up again and age out of the LRU.
 */
import { LRUCache } from 'lru-cache';

export interface StatsAnswerKey {
  kind: 'grids' | 'buildings';
  asOf: string;
  today: string;
  version: number;
  visibility: string;
  /** Further parameters of the answer (the buildings' bbox). */
  params?: string;
}

/** About 64 MB: a district's all-grid answer is ~1 MB, a street's a few hundred KB. */
const MAX_BYTES = 64 * 1024 * 1024;

export class StatsAnswerCache {
  private readonly lru = new LRUCache<string, string>({
    maxSize: MAX_BYTES,
    // JS strings are UTF-16; the length is a fair bound on the bytes held.
    sizeCalculation: (body) => Math.max(1, body.length),
  });

  private static keyOf(k: StatsAnswerKey): string {
    return JSON.stringify([k.kind, k.asOf, k.today, k.version, k.visibility, k.params ?? '']);
  }

  get(key: StatsAnswerKey): string | undefined {
    return this.lru.get(StatsAnswerCache.keyOf(key));
  }

  set(key: StatsAnswerKey, body: string): void {
    this.lru.set(StatsAnswerCache.keyOf(key), body);
  }

  get size(): number {
    return this.lru.size;
  }
}
