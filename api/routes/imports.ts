/**
 * Imports: POST /api/imports?kind=communities|grids|buildings|staff|households|visits|issues (multipart `file`, optional
 * `mapping`, `categoryLabels` and, for visit ledgers, `methodLabels` JSON and `skipUnmatched`) → a dry-run report with an id, nothing written but the
 * batch; POST /api/imports/:id/commit → the batch's rows written in one transaction as the
 * caller, all or nothing. GET /api/imports/:id returns the report again. The batches are
 * api/imports/import-batches.ts; docs/import-export.md.
 */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { HOUSEHOLD_CATEGORIES, VISIT_METHODS } from '../../geo/domain/household';
import { FEATURE_FIELDS, ISSUE_LEDGER_FIELDS, LEDGER_FIELDS, STAFF_FIELDS, VISIT_LEDGER_FIELDS } from '../../geo/import/field-mapping';
import type { AppDeps } from '../app';
import { commitImport, dryRunImport, expiresAt, IMPORT_DRY_RUN_HOURS, importBatch, readUpload } from '../imports/import-batches';
import { ApiError, errorBody, validationHook } from '../lib/errors';
import { productToday } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';

const kindSchema = z.enum(['communities', 'grids', 'buildings', 'staff', 'households', 'visits', 'issues']);

const importQuery = z.object({
  kind: kindSchema,
  /** The file's coordinates: as found (WGS84/CGCS2000, or the .prj's), or GCJ-02 to convert. */
  crs: z.enum(['auto', 'gcj02']).default('auto'),
});

const jsonField = <T extends z.ZodType>(name: string, schema: T) =>
  z
    .string()
    .optional()
    .transform((raw, ctx): z.infer<T> | undefined => {
      if (raw === undefined || raw.trim() === '') return undefined;
      let v: unknown;
      try {
        v = JSON.parse(raw);
      } catch {
        ctx.addIssue({ code: 'custom', message: `${name} must be JSON, e.g. {"name":"MC","code":"BM"}` });
        return z.NEVER;
      }
      const r = schema.safeParse(v);
      if (!r.success) {
        ctx.addIssue({
          code: 'custom',
          message: `${name}: ${r.error.issues.map((i) => `${i.path.join('.') || '(top)'} ${i.message}`).join('; ')}`,
        });
        return z.NEVER;
      }
      return r.data;
    });

const mappingSchema = z
  .object(
    Object.fromEntries(
      [...new Set([...FEATURE_FIELDS, ...LEDGER_FIELDS, ...STAFF_FIELDS, ...VISIT_LEDGER_FIELDS, ...ISSUE_LEDGER_FIELDS])].map((f) => [
        f,
        z.string().min(1).optional(),
      ]),
    ) as Record<string, z.ZodOptional<z.ZodString>>,
  )
  .strict();
const categoryLabelsSchema = z.record(z.string().min(1), z.enum(HOUSEHOLD_CATEGORIES));
const methodLabelsSchema = z.record(z.string().min(1), z.enum(VISIT_METHODS));

const formSchema = z.object({
  file: z.instanceof(File, { message: 'file is required: send the file as multipart/form-data field "file"' }),
  mapping: jsonField('mapping', mappingSchema),
  categoryLabels: jsonField('categoryLabels', categoryLabelsSchema),
  /** Visit ledgers: the street's own 走访方式 labels onto the visit methods. */
  methodLabels: jsonField('methodLabels', methodLabelsSchema),
  /** Visit ledgers: "true" leaves out rows whose household is not found or not told apart, instead of blocking the commit. */
  skipUnmatched: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true'),
});

const idParam = z.object({ id: z.uuid('the import id is a UUID from the dry run') });

export function importRoutes({ db, env }: AppDeps) {
  const limitMb = Math.round((env.importMaxBytes / 1024 / 1024) * 10) / 10;
  return new Hono<AppEnv>()
    .post(
      '/',
      zValidator('query', importQuery, validationHook),
      bodyLimit({
        maxSize: env.importMaxBytes,
        onError: (c) =>
          c.json(
            errorBody(
              'payload_too_large',
              `The file is larger than the import limit of ${limitMb} MB; split it (e.g. one community per file) or ask the administrator to raise IMPORT_MAX_MB.`,
              { limitBytes: env.importMaxBytes },
            ),
            413,
          ),
      }),
      async (c, next) => {
        if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) {
          throw new ApiError(400, 'invalid_request', 'Send the file as multipart/form-data with the field "file".');
        }
        await next();
      },
      // A form validator, so that the web app's typed client can send the upload (`$post({ form })`).
      zValidator('form', formSchema, validationHook),
      async (c) => {
        const { kind, crs } = c.req.valid('query');
        const { file, mapping = {}, categoryLabels = {}, methodLabels = {}, skipUnmatched } = c.req.valid('form');
        const bytes = new Uint8Array(await file.arrayBuffer());
        if (bytes.length === 0) throw new ApiError(422, 'unreadable_file', `${file.name} is empty.`);
        const fileName = file.name || 'upload';
        const parsed = await readUpload(kind, fileName, bytes, crs === 'gcj02');
        const result = await asCaller(db, c.get('claims'), (tx) =>
          dryRunImport(tx, { kind, fileName, parsed, mapping, categoryLabels, methodLabels, skipUnmatched, today: productToday(env) }),
        );
        return c.json(result, 201);
      },
    )
    .get('/:id', zValidator('param', idParam, validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const row = await asCaller(db, c.get('claims'), (tx) => importBatch(tx, id));
      if (!row)
        throw new ApiError(
          404,
          'not_found',
          `No import ${id} of yours (dry runs not committed within ${IMPORT_DRY_RUN_HOURS} hours are removed).`,
        );
      // The report's own `counts` are the dry run's; what the commit wrote is `committedCounts`.
      return c.json({
        ...row.report,
        id,
        createdAt: row.createdAt,
        ...(row.committedAt === null ? { expiresAt: expiresAt(row.createdAt) } : {}),
        committed: row.committedAt !== null,
        committedAt: row.committedAt,
        committedCounts: row.committed,
      });
    })
    .post('/:id/commit', zValidator('param', idParam, validationHook), async (c) => {
      const { id } = c.req.valid('param');
      // A roster's commit answers with each account's one-time password: shown once, never stored.
      const result = await asCaller(db, c.get('claims'), (tx) => commitImport(tx, id, { supabase: !!env.supabase }));
      return c.json(result);
    });
}
