/**
 * One palette (geo/style/palette.ts): the stylesheet, the map theme and the legend's bands take
 * every colour from it, so none of them can drift from the others.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BAND_COLORS } from '../../geo/metrics/legend';
import { type ColourName, cssVariableName, cssVariables, PALETTE } from '../../geo/style/palette';
import { LIGHT_THEME } from '../../web/src/map/map.theme';

const css = fs.readFileSync(path.resolve(import.meta.dirname, '../../web/src/styles.css'), 'utf8');
const colours = new Set<string>(Object.values(PALETTE));

/** Every string leaf of an object (the theme's colours, and its font name). */
const leaves = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : typeof v === 'object' && v !== null ? Object.values(v).flatMap(leaves) : [];

describe('the palette', () => {
  it('is the only source of the stylesheet colours: no literal left, and every var(--mq-…) is a palette colour', () => {
    expect(css.match(/#[0-9a-fA-F]{3,8}\b(?=[;,\s)'])|rgba?\(/g) ?? []).toEqual([]);
    const used = new Set([...css.matchAll(/var\((--mq-[a-z0-9-]+)\)/g)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThan(50);
    const defined = new Set(Object.keys(cssVariables()));
    expect([...used].filter((v) => !defined.has(v))).toEqual([]);
  });

  it("is the only source of the web app's colours: no literal in a component or layer either", () => {
    const dir = path.resolve(import.meta.dirname, '../../web/src');
    const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f));
    expect(files.length).toBeGreaterThan(40);
    const literals = files.flatMap((f) =>
      [...fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/['"]#[0-9a-fA-F]{3,8}['"]|rgba?\(/g)].map((m) => `${f}: ${m[0]}`),
    );
    expect(literals).toEqual([]);
  });

  it('gives every colour its own custom property', () => {
    const names = (Object.keys(PALETTE) as ColourName[]).map(cssVariableName);
    expect(new Set(names).size).toBe(names.length);
    expect(cssVariableName('slate100')).toBe('--mq-slate-100');
    expect(cssVariableName('green400Halo')).toBe('--mq-green-400-halo');
  });

  it('colours the map theme and the legend bands', () => {
    expect(leaves(LIGHT_THEME).filter((v) => v !== LIGHT_THEME.font && !colours.has(v))).toEqual([]);
    expect(Object.values(BAND_COLORS).filter((v) => !colours.has(v))).toEqual([]);
  });
});
