/**
 * Seeded pseudo-random numbers for the demo street. The generator must give byte-identical output
 * for the same seed in the browser and on the server, so this uses only integer arithmetic
 * (Math.imul, shifts) and IEEE division — never Math.random, and never Math.sin/log/exp, whose
 * last bits may differ between JavaScript engines.
 */

/** 32-bit FNV-1a: turns a stream label into a number so forks are independent of call order. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** splitmix32: spreads a small seed (20261122, 1, 2…) over all 32 bits before sfc32 uses it. */
function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    const mix = splitmix32(seed);
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    // sfc32 needs a few rounds before similar seeds stop giving similar first outputs.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /**
   * An independent stream for one part of the street (layout, people, visits…). Each part draws
   * from its own fork, so tuning the issues does not move every building.
   */
  fork(label: string): Rng {
    return new Rng((Math.imul(this.seed >>> 0, 0x9e3779b1) ^ hashLabel(label)) >>> 0);
  }

  /** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator), 32-bit output. */
  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform float in [min, max). */
  float(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Picks by relative weight; weights need not sum to 1. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of entries) total += w;
    let r = this.next() * total;
    for (const [item, w] of entries) {
      r -= w;
      if (r < 0) return item;
    }
    const last = entries[entries.length - 1];
    if (!last) throw new RangeError('weighted pick from an empty list');
    return last[0];
  }

  /** Picks from a table prepared once with weightedTable (binary search: for hot loops and long lists). */
  fromTable<T>(table: WeightedTable<T>): T {
    const r = this.next() * table.total;
    let lo = 0;
    let hi = table.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((table.cumulative[mid] as number) > r) hi = mid;
      else lo = mid + 1;
    }
    return table.items[lo] as T;
  }

  /** Fisher–Yates, in place; returns the same array for chaining. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** k distinct items in random order (all of them if k ≥ length). */
  sample<T>(items: readonly T[], k: number): T[] {
    return this.shuffle([...items]).slice(0, Math.max(0, k));
  }

  /**
   * Bell-shaped noise with the given mean and standard deviation: the sum of four uniforms
   * (Irwin–Hall), which stays within ±3.46 sd. Bounded tails suit the demo better than a true
   * normal's rare wild values, and it needs no Math.log.
   */
  normal(mean = 0, sd = 1): number {
    const sum = this.next() + this.next() + this.next() + this.next();
    // Irwin–Hall with n = 4 has mean 2 and variance 4/12.
    return mean + (sum - 2) * sd * 1.7320508075688772;
  }
}

export interface WeightedTable<T> {
  items: readonly T[];
  cumulative: Float64Array;
  total: number;
}

export function weightedTable<T>(entries: readonly (readonly [T, number])[]): WeightedTable<T> {
  if (entries.length === 0) throw new RangeError('empty weighted table');
  const cumulative = new Float64Array(entries.length);
  let total = 0;
  entries.forEach(([, w], i) => {
    total += w;
    cumulative[i] = total;
  });
  return { items: entries.map(([item]) => item), cumulative, total };
}
