import { describe, expect, it } from 'vitest';
import { readEnv } from '../../api/env';
import { contentSecurityPolicy } from '../../api/lib/security';

describe('configuration', () => {
  it('defaults to the embedded database on port 8787 with no basemap', () => {
    const env = readEnv({});
    expect(env.port).toBe(8787);
    expect(env.databaseUrl).toBeUndefined();
    expect(env.dataDir).toMatch(/data$/);
    expect(env.basemap).toEqual({ kind: 'none' });
  });

  it('treats an empty variable as unset', () => {
    expect(readEnv({ DATABASE_URL: '', PORT: ' ' })).toMatchObject({ databaseUrl: undefined, port: 8787 });
  });

  it('accepts a style URL as basemap', () => {
    expect(readEnv({ BASEMAP: 'https://example.org/style.json' }).basemap).toEqual({
      kind: 'style',
      styleUrl: 'https://example.org/style.json',
    });
  });

  it('has the basemap presets of the issue, 天地图 vector and imagery with their key', () => {
    expect(readEnv({ BASEMAP: 'osm' }).basemap).toEqual({ kind: 'osm' });
    expect(readEnv({ BASEMAP: 'tianditu', TIANDITU_TK: 'k1' }).basemap).toEqual({ kind: 'tianditu', tiandituKey: 'k1' });
    expect(readEnv({ BASEMAP: 'tianditu-vec', TIANDITU_TK: 'k1' }).basemap).toEqual({ kind: 'tianditu', tiandituKey: 'k1' });
    expect(readEnv({ BASEMAP: 'tianditu-img', TIANDITU_TK: 'k2' }).basemap).toEqual({ kind: 'tianditu-img', tiandituKey: 'k2' });
    expect(() => readEnv({ BASEMAP: 'tianditu-img' })).toThrow(/BASEMAP=tianditu-img needs TIANDITU_TK/);
  });

  it("lets the page load the configured basemap's hosts and no other", () => {
    const csp = (e: Record<string, string>) => contentSecurityPolicy(readEnv(e));
    expect(csp({}).imgSrc).toEqual(["'self'", 'data:', 'blob:']);
    expect(csp({}).connectSrc).toEqual(["'self'"]);
    expect(csp({ BASEMAP: 'osm' }).imgSrc).toContain('https://tile.openstreetmap.org');
    for (const preset of ['tianditu', 'tianditu-img']) {
      const p = csp({ BASEMAP: preset, TIANDITU_TK: 'k' });
      expect(p.imgSrc).toContain('https://*.tianditu.gov.cn');
      expect(p.connectSrc).toContain('https://*.tianditu.gov.cn');
      expect(p.imgSrc).not.toContain('https://tile.openstreetmap.org');
    }
    expect(csp({ BASEMAP: 'https://tiles.example.org/styles/street.json' }).connectSrc).toContain('https://tiles.example.org');
  });

  it('marks a GCJ-02 style-URL basemap, and refuses GCJ-02 for the WGS84 basemaps', () => {
    expect(readEnv({ BASEMAP: 'https://example.org/amap.json', BASEMAP_CRS: 'gcj02' }).basemap).toEqual({
      kind: 'style',
      styleUrl: 'https://example.org/amap.json',
      crs: 'gcj02',
    });
    expect(() => readEnv({ BASEMAP: 'osm', BASEMAP_CRS: 'gcj02' })).toThrow(/BASEMAP_CRS=gcj02 is for a style-URL basemap/);
    expect(() => readEnv({ BASEMAP_CRS: 'bd09' })).toThrow(/BASEMAP_CRS must be wgs84/);
  });

  it('names the setting that is wrong', () => {
    expect(() => readEnv({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => readEnv({ BASEMAP: 'google' })).toThrow(/BASEMAP must be/);
    expect(() => readEnv({ BASEMAP: 'tianditu' })).toThrow(/TIANDITU_TK/);
    expect(() => readEnv({ DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL/);
  });
});
