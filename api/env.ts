/**
 * The only reader of process.env. Everything configurable is parsed and validated here once, so a
 * bad setting is a clear start-up error rather than a surprise deep inside a request.
 */
import path from 'node:path';
import { z } from 'zod';

const isoDate = /^\d{4}-\d{2}-\d{2}$/;
const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
/** scheme://host[:port], nothing else: these go into response headers verbatim. */
const isOrigin = (v: string) => /^https?:\/\/[a-z0-9.-]+(:\d+)?$/i.test(v);

/** The built-in basemaps; 天地图 needs a key (TIANDITU_TK) for either of its layers. */
const BASEMAP_PRESETS = ['none', 'osm', 'tianditu', 'tianditu-vec', 'tianditu-img'] as const;

const schema = z.object({
  /** 0 picks a free port (tests). */
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().url().optional(),
  SUPABASE_URL: z.string().url().optional(),
  SUPABASE_ANON_KEY: z.string().optional(),
  /** With it, a new staff member is invited to the Supabase project by email (docs/running.md). Server-side only. */
  SUPABASE_SERVICE_ROLE_KEY: z.string().optional(),
  /** HS256 secret for access tokens (a Supabase project's legacy JWT secret); generated into DATA_DIR if unset. */
  JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').optional(),
  /** none (offline default) | osm | tianditu (vector, alias tianditu-vec) | tianditu-img (imagery) | an http(s) style URL */
  BASEMAP: z
    .string()
    .default('none')
    .refine((v) => BASEMAP_PRESETS.includes(v as (typeof BASEMAP_PRESETS)[number]) || /^https?:\/\//.test(v), {
      message: `BASEMAP must be one of ${BASEMAP_PRESETS.join(', ')} or a style URL starting with http(s)://`,
    }),
  TIANDITU_TK: z.string().optional(),
  /** The coordinate system of a style-URL basemap: gcj02 for AMap/高德-style tiles, whose streets are offset. */
  BASEMAP_CRS: z
    .enum(['wgs84', 'gcj02'], { error: 'BASEMAP_CRS must be wgs84 (the default) or gcj02 (AMap/高德 and other Chinese web maps)' })
    .default('wgs84'),
  /**
   * on: an empty database gets the generated demo street (the default on the embedded database);
   * off: it starts empty, at the setup page (the default with DATABASE_URL: a real street's).
   */
  MINQING_DEMO: z.enum(['on', 'off'], { error: 'MINQING_DEMO must be on or off' }).optional(),
  /** Pins "today" for the whole product — the demo generator and the default as-of date (screenshots, tests). */
  DEMO_TODAY: z.string().regex(isoDate, 'DEMO_TODAY must be YYYY-MM-DD').optional(),
  /** Origins (comma-separated) whose pages may call the API cross-origin; none by default. */
  CORS_ORIGINS: z
    .string()
    .optional()
    .refine((v) => list(v).every(isOrigin), {
      message: 'CORS_ORIGINS must be origins like https://example.org, separated by commas',
    }),
  /** Extra hosts (comma-separated, e.g. a custom basemap's tile server) the page may load from. */
  CSP_ALLOW_HOSTS: z
    .string()
    .optional()
    .refine((v) => list(v).every((h) => isOrigin(h.replace('://*.', '://x.'))), {
      message: 'CSP_ALLOW_HOSTS must be origins like https://tiles.example.org (or https://*.example.org), separated by commas',
    }),
  /** Longest a database statement may run for a request, in milliseconds (PostgreSQL). */
  STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** Longest the API works on one request before answering 504, in milliseconds; imports, reports and exports get 4x. */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1).max(3_600_000).default(30_000),
  /**
   * Longest a stats request waits for a closed month's month-end snapshot to be stored, in
   * milliseconds, before answering 503 with Retry-After (the fill goes on; a retry finds it).
   * Default: the request timeout less 3 s, so a fill that fits in a request is still answered.
   */
  MONTH_END_WAIT_MS: z.coerce.number().int().min(0).max(3_600_000).optional(),
  /** Largest file an import accepts, in megabytes (a street's building footprints are a few MB). */
  IMPORT_MAX_MB: z.coerce.number().positive().max(1024).default(50),
  /** auto: `npm start` builds the web app when it is missing or stale; skip: serve the API (and any existing build) only. */
  WEB_BUILD: z.enum(['auto', 'skip'], { error: 'WEB_BUILD must be auto or skip' }).default('auto'),
  CI: z.string().optional(),
});

export type Env = {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  supabase: { url: string; anonKey: string; serviceRoleKey?: string } | undefined;
  jwtSecret: string | undefined;
  /** `crs` only when the basemap is drawn in GCJ-02: our overlays are then shifted on screen (never in the data). */
  basemap: { kind: 'none' | 'osm' | 'tianditu' | 'tianditu-img' | 'style'; styleUrl?: string; tiandituKey?: string; crs?: 'gcj02' };
  demoToday: string | undefined;
  /** Whether an empty database is given the demo street (MINQING_DEMO). */
  demo: boolean;
  corsOrigins: string[];
  cspAllowHosts: string[];
  statementTimeoutMs: number;
  requestTimeoutMs: number;
  monthEndWaitMs: number;
  importMaxBytes: number;
  webBuild: 'auto' | 'skip';
  ci: boolean;
};

export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  // `DATABASE_URL= npm start` means "unset", as shells and .env files use it.
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration in the environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.BASEMAP.startsWith('tianditu') && !e.TIANDITU_TK) {
    throw new Error(`Invalid configuration: BASEMAP=${e.BASEMAP} needs TIANDITU_TK (your 天地图 key, from console.tianditu.gov.cn).`);
  }
  const isStyleUrl = /^https?:\/\//.test(e.BASEMAP);
  if (e.BASEMAP_CRS === 'gcj02' && !isStyleUrl) {
    throw new Error(
      'Invalid configuration: BASEMAP_CRS=gcj02 is for a style-URL basemap (BASEMAP=https://…); OSM and 天地图 are drawn in WGS84/CGCS2000.',
    );
  }
  const basemap: Env['basemap'] = isStyleUrl
    ? { kind: 'style', styleUrl: e.BASEMAP, ...(e.BASEMAP_CRS === 'gcj02' ? { crs: 'gcj02' as const } : {}) }
    : e.BASEMAP === 'tianditu' || e.BASEMAP === 'tianditu-vec'
      ? { kind: 'tianditu', tiandituKey: e.TIANDITU_TK }
      : e.BASEMAP === 'tianditu-img'
        ? { kind: 'tianditu-img', tiandituKey: e.TIANDITU_TK }
        : { kind: e.BASEMAP as 'none' | 'osm' };
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    jwtSecret: e.JWT_SECRET,
    supabase:
      e.SUPABASE_URL && e.SUPABASE_ANON_KEY
        ? {
            url: e.SUPABASE_URL,
            anonKey: e.SUPABASE_ANON_KEY,
            ...(e.SUPABASE_SERVICE_ROLE_KEY ? { serviceRoleKey: e.SUPABASE_SERVICE_ROLE_KEY } : {}),
          }
        : undefined,
    basemap,
    demoToday: e.DEMO_TODAY,
    demo: (e.MINQING_DEMO ?? (e.DATABASE_URL ? 'off' : 'on')) === 'on',
    corsOrigins: list(e.CORS_ORIGINS),
    cspAllowHosts: list(e.CSP_ALLOW_HOSTS),
    statementTimeoutMs: e.STATEMENT_TIMEOUT_MS,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    monthEndWaitMs: e.MONTH_END_WAIT_MS ?? Math.max(0, e.REQUEST_TIMEOUT_MS - 3_000),
    importMaxBytes: Math.round(e.IMPORT_MAX_MB * 1024 * 1024),
    webBuild: e.WEB_BUILD,
    ci: e.CI === 'true' || e.CI === '1',
  };
}
