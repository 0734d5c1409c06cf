/**
 * How diligently each grid's team works, over time. The demo must show a street leader what the
 * product is for: most grids keep up with their visits, a few clearly do not, a couple sit in
 * between, and some changed during the year (a team that slipped three months ago, another
 * that recovered), so the picture a year ago differs from today's.
 */
import type { Rng } from './random';

export type DiligenceRole = 'diligent' | 'middling' | 'neglected' | 'declining' | 'improving';

export interface Diligence {
  role: DiligenceRole;
  /** 0..1 before the change day (or always, without one) and from it on. */
  before: number;
  after: number;
  /** Day number from which `after` holds; null when the team never changed. */
  change: number | null;
}

export function diligenceAt(d: Diligence, day: number): number {
  return d.change !== null && day >= d.change ? d.after : d.before;
}

const level = {
  diligent: (rng: Rng) => rng.float(0.95, 0.99),
  middling: (rng: Rng) => rng.float(0.72, 0.8),
  neglected: (rng: Rng) => rng.float(0.22, 0.38),
};

/**
 * Roles scale with the street: about 14 % of grids neglected (at least 2), 10 % middling, one
 * declining and one improving team per ~20 grids (at least one each); the rest diligent.
 */
export function assignDiligence(rng: Rng, grids: number, today: number, historyStart: number): Diligence[] {
  const neglected = Math.max(2, Math.round(grids * 0.14));
  const middling = Math.max(1, Math.round(grids * 0.1));
  const changing = Math.max(1, Math.round(grids / 20));
  const roles: DiligenceRole[] = [
    ...Array<DiligenceRole>(neglected).fill('neglected'),
    ...Array<DiligenceRole>(middling).fill('middling'),
    ...Array<DiligenceRole>(changing).fill('declining'),
    ...Array<DiligenceRole>(changing).fill('improving'),
  ];
  while (roles.length < grids) roles.push('diligent');
  rng.shuffle(roles);
  const span = today - historyStart;
  return roles.slice(0, grids).map((role) => {
    switch (role) {
      case 'declining': {
        // Slipped about three months ago: visits that fall due since then are missed.
        const change = today - Math.min(span - 1, rng.int(80, 100));
        return { role, before: level.diligent(rng), after: level.neglected(rng), change };
      }
      case 'improving': {
        // Recovered about five months ago with a catch-up sweep (集中走访) of overdue households.
        const change = today - Math.min(span - 1, rng.int(140, 170));
        return { role, before: level.neglected(rng), after: level.diligent(rng), change };
      }
      default: {
        const d = level[role](rng);
        return { role, before: d, after: d, change: null };
      }
    }
  });
}
