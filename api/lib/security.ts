/**
 * What every response carries so that a browser limits the damage of a bug: a strict
 * Content-Security-Policy (scripts and styles only from this server, no inline script), no
 * framing, no sniffing, no referrer leaking a shared map's URL; and cross-origin reads only by
 * the origins an operator configured. The basemap's hosts are allowed because the map must load
 * their tiles; nothing else leaves the page.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import type { Env } from '../env';
import { ApiError } from './errors';

/** Hosts the map loads tiles, styles, sprites and glyphs from, for the configured basemap. */
export function basemapHosts(env: Pick<Env, 'basemap' | 'cspAllowHosts'>): string[] {
  const hosts = [...env.cspAllowHosts];
  if (env.basemap.kind === 'osm') hosts.push('https://tile.openstreetmap.org');
  if (env.basemap.kind === 'tianditu' || env.basemap.kind === 'tianditu-img') hosts.push('https://*.tianditu.gov.cn');
  if (env.basemap.kind === 'style' && env.basemap.styleUrl) hosts.push(new URL(env.basemap.styleUrl).origin);
  return hosts;
}

export function contentSecurityPolicy(env: Pick<Env, 'basemap' | 'cspAllowHosts' | 'supabase'>) {
  const map = basemapHosts(env);
  const auth = env.supabase ? [new URL(env.supabase.url).origin] : [];
  return {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    // MapLibre starts its tile workers from blob: URLs.
    workerSrc: ["'self'", 'blob:'],
    childSrc: ["'self'", 'blob:'],
    // Style attributes set from script (React, MapLibre) are not affected by style-src; markup
    // and <style> elements are, and the build emits neither.
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:', ...map],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'", ...map, ...auth],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  };
}

export function securityHeaders(env: Env): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: contentSecurityPolicy(env),
    referrerPolicy: 'same-origin',
    xFrameOptions: 'DENY',
    // The product may run on plain HTTP on a street office's LAN; HSTS belongs to the TLS proxy.
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
  });
}

/** Cross-origin API reads only from CORS_ORIGINS; without it, the API answers its own pages only. */
export function corsPolicy(env: Env): MiddlewareHandler {
  return cors({
    origin: (origin) => (env.corsOrigins.includes(origin) ? origin : null),
    allowHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-presentation'],
    allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    maxAge: 600,
  });
}

/** Largest JSON body a route takes: a 10,000-vertex boundary is ~0.4 MB. Uploads set their own. */
export const MAX_JSON_BYTES = 2 * 1024 * 1024;
/** Routes that take files, with their own (configurable) limit. */
const UPLOAD_PREFIXES = ['/api/imports'];

export function jsonBodyLimit(maxSize = MAX_JSON_BYTES): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError(413, 'payload_too_large', `The request body is larger than ${maxSize / 1024 / 1024} MB; send less at a time.`);
    },
  });
  return (c, next) => (UPLOAD_PREFIXES.some((p) => c.req.path.startsWith(p)) ? next() : limit(c, next));
}

/**
 * Per-route time limits. Files (imports, reports, exports) may take longer than a map read; the
 * live stream is open by design and has none. The product's default comes from REQUEST_TIMEOUT_MS.
 */
const SLOW_PREFIXES = ['/api/imports', '/api/reports', '/api/exports'];
const UNTIMED_PREFIXES = ['/api/events'];

/** How long a request to `path` may take, in milliseconds; null for none. */
export function routeTimeoutMs(path: string, defaultMs: number): number | null {
  if (UNTIMED_PREFIXES.some((p) => path.startsWith(p))) return null;
  return SLOW_PREFIXES.some((p) => path.startsWith(p)) ? defaultMs * 4 : defaultMs;
}

/**
 * Answers 504 with the error shape when a route runs past its limit, instead of leaving the
 * client (and a phone on a weak connection) waiting. The work itself is not interrupted — on
 * PostgreSQL the statement timeout ends a runaway query — so the message says a change may
 * still be saved.
 */
export function requestTimeout(env: Pick<Env, 'requestTimeoutMs'>): MiddlewareHandler {
  return async (c, next) => {
    const ms = routeTimeoutMs(c.req.path, env.requestTimeoutMs);
    if (ms === null) return next();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ApiError(
              504,
              'timeout',
              `The server did not finish ${c.req.method} ${c.req.path} within ${ms / 1000} s. A change it was making may still be saved: reload before trying again, or ask for less (a smaller area, month or file).`,
              { timeoutMs: ms },
            ),
          ),
        ms,
      );
    });
    try {
      await Promise.race([next(), expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}
