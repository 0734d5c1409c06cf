/**
 * The import wizard (issue #8; docs/import-export.md): choose what and a file → the dry run's
 * report (counts, coordinate system, every problem with its row or feature, the problem shapes on
 * a small map) → the field mapping and GCJ-02 option, checked again → the commit, after which the
 * map re-reads what changed. Nothing is written before the commit; the server decides everything
 * (formats, checks, who may import what) and this page shows its answers and its errors.
 */

import { useQueryClient } from '@tanstack/react-query';
import { type DragEvent, useMemo, useRef, useState } from 'react';
import { isStringKey, type StringKey } from '../../../geo/i18n/strings';
import { FEATURE_FIELDS, ISSUE_LEDGER_FIELDS, LEDGER_FIELDS, STAFF_FIELDS, VISIT_LEDGER_FIELDS } from '../../../geo/import/field-mapping';
import type { ImportProblem } from '../../../geo/import/import-problems';
import { type ApiErrorLike, importErrorText, problemText } from '../../../geo/import/problem-text';
import { ApiRequestError, refreshAfterChange } from '../api';
import { useLocale } from '../i18n/locale';
import {
  type CommittedImport,
  commitImport,
  dryRunImport,
  IMPORT_ACCEPT,
  type ImportKind,
  type ImportReport,
  TABLE_KINDS,
} from './import-api';
import { ImportPreview } from './import-preview';

/** Problems listed in the table at most; the counts by type above it are always complete. */
const LISTED = 200;

interface Props {
  kinds: readonly ImportKind[];
  /** The kind to start on (the setup checklist's step); the first of `kinds` otherwise. */
  initialKind?: ImportKind | null;
  /** The street leader imports grids for the whole street (each to its community): said on the choice. */
  streetWide?: boolean;
  onClose(): void;
}

type Step = 'choose' | 'report' | 'done';

export function ImportWizard({ kinds, initialKind = null, streetWide = false, onClose }: Props) {
  const { t, locale } = useLocale();
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<ImportKind>(initialKind && kinds.includes(initialKind) ? initialKind : kinds[0]!);
  const [file, setFile] = useState<File | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [gcj02, setGcj02] = useState(false);
  const [skipUnmatched, setSkipUnmatched] = useState(false);
  const [committed, setCommitted] = useState<Record<string, number> | null>(null);
  /** A roster's accounts with their one-time passwords: held in this page only, gone when it closes. */
  const [accounts, setAccounts] = useState<CommittedImport['accounts'] | null>(null);
  const [busy, setBusy] = useState<'checking' | 'committing' | null>(null);
  // Kept as the server sent it and put in words at render: switching language re-says it.
  const [error, setError] = useState<ApiErrorLike | null>(null);
  const [dragging, setDragging] = useState(false);
  const picker = useRef<HTMLInputElement>(null);
  const step: Step = committed ? 'done' : report ? 'report' : 'choose';
  // A string key built from a server code: shown as the code itself if this client has no label.
  const label = (key: string, fallback: string) => (isStringKey(key) ? t(key) : fallback);

  const check = async (opts: { mapping?: Record<string, string>; gcj02?: boolean; skipUnmatched?: boolean } = {}) => {
    if (!file) return;
    setBusy('checking');
    setError(null);
    try {
      const r = await dryRunImport(kind, file, {
        mapping: opts.mapping ?? mapping,
        gcj02: opts.gcj02 ?? gcj02,
        skipUnmatched: opts.skipUnmatched ?? skipUnmatched,
      });
      setReport(r);
      setMapping(Object.fromEntries(Object.entries(r.mapping).filter((e): e is [string, string] => typeof e[1] === 'string')));
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(null);
    }
  };

  const commit = async () => {
    if (!report) return;
    setBusy('committing');
    setError(null);
    try {
      const done = await commitImport(report.id);
      setCommitted(done.committed);
      setAccounts(done.accounts ?? null);
      // Grids and buildings move figures, buildings and households with them; a ledger, households; a roster,
      // the staff list (and the checklist). Communities re-read everything: the street's outline, its communities.
      if (report.kind === 'staff')
        void queryClient.invalidateQueries({ queryKey: ['staff'] }).then(() => queryClient.invalidateQueries({ queryKey: ['setup'] }));
      else
        refreshAfterChange(
          queryClient,
          report.kind === 'communities'
            ? ['communities']
            : [report.kind === 'households' || report.kind === 'visits' || report.kind === 'issues' ? report.kind : 'grids'],
        );
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(null);
    }
  };

  const restart = () => {
    setFile(null);
    setReport(null);
    setCommitted(null);
    setAccounts(null);
    setMapping({});
    setGcj02(false);
    setSkipUnmatched(false);
    setError(null);
  };

  const chooseFile = (f: File | null | undefined) => {
    if (!f) return;
    setFile(f);
    setReport(null);
    setMapping({});
    setError(null);
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    chooseFile(e.dataTransfer.files[0]);
  };

  // A ledger with errors (visits, matters) is written whole or not at all: while a row has an error, nothing can be committed.
  const blockingRows = report && 'errors' in report.counts ? report.counts.errors : 0;
  const writable =
    !report || blockingRows > 0 ? 0 : (report.counts.toInsert ?? 0) + ('toUpdate' in report.counts ? report.counts.toUpdate : 0);
  const fields: readonly string[] =
    report?.kind === 'households'
      ? LEDGER_FIELDS
      : report?.kind === 'staff'
        ? STAFF_FIELDS
        : report?.kind === 'visits'
          ? VISIT_LEDGER_FIELDS
          : report?.kind === 'issues'
            ? ISSUE_LEDGER_FIELDS
            : FEATURE_FIELDS;
  // A roster's fields are a person's (姓名, not a feature's 名称): labels of their own.
  const fieldLabel = (f: string) => t((report?.kind === 'staff' ? `import_field_staff_${f}` : `import_field_${f}`) as StringKey);
  // A visit ledger's counts say households matched, not addresses: its own labels.
  const countLabel = (k: string) => label(report?.kind === 'visits' ? `import_visits_count_${k}` : `import_count_${k}`, k);

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a click beside the dialog closes it, a mouse shortcut; the keyboard has 关闭.
    // biome-ignore lint/a11y/useKeyWithClickEvents: as above.
    <div className="modal-backdrop" onClick={(e) => e.target === e.currentTarget && busy === null && onClose()}>
      <div className="modal import-wizard" role="dialog" aria-modal="true" aria-labelledby="import-title" data-testid="import-wizard">
        <header className="modal-head">
          <h2 id="import-title">{t('import_title')}</h2>
          <ol className="import-steps">
            {(['import_step_choose', 'import_step_report', 'import_step_mapping', 'import_step_commit'] as const).map((k, i) => (
              <li
                key={k}
                aria-current={
                  (step === 'choose' && i === 0) || (step === 'report' && (i === 1 || i === 2)) || (step === 'done' && i === 3)
                    ? 'step'
                    : undefined
                }
              >
                {t(k)}
              </li>
            ))}
          </ol>
          <button type="button" className="link" onClick={onClose} disabled={busy !== null}>
            {t('import_close')}
          </button>
        </header>

        {error && <ImportError error={error} kind={report?.kind ?? kind} />}

        {step === 'choose' && (
          <section className="import-choose">
            <fieldset>
              <legend>{t('import_kind')}</legend>
              {kinds.map((k) => (
                <label key={k} className="import-kind">
                  <input type="radio" name="import-kind" value={k} checked={kind === k} onChange={() => setKind(k)} />
                  <span>{t(k === 'grids' && streetWide ? 'import_kind_grids_street' : `import_kind_${k}`)}</span>
                  <small>{t(TABLE_KINDS.includes(k) ? 'import_formats_ledger' : 'import_formats_geo')}</small>
                </label>
              ))}
            </fieldset>
            {/* biome-ignore lint/a11y/noStaticElementInteractions: a drop target for a dragged file; the keyboard uses the file picker inside it */}
            <div
              className={`import-drop${dragging ? ' dragging' : ''}`}
              onDragOver={(e) => {
                e.preventDefault();
                setDragging(true);
              }}
              onDragLeave={() => setDragging(false)}
              onDrop={onDrop}
            >
              {t('import_drop')}{' '}
              <button type="button" onClick={() => picker.current?.click()}>
                {t('import_pick')}
              </button>
              <input
                ref={picker}
                type="file"
                hidden
                accept={IMPORT_ACCEPT[kind]}
                data-testid="import-file"
                onChange={(e) => chooseFile(e.target.files?.[0])}
              />
              {file && (
                <p data-testid="import-file-name">
                  {t('import_file_chosen', { name: file.name, size: Math.max(1, Math.round(file.size / 1024)) })}
                </p>
              )}
            </div>
            <div className="form-actions">
              <button
                type="button"
                className="primary"
                disabled={!file || busy !== null}
                onClick={() => void check({})}
                data-testid="import-check"
              >
                {busy === 'checking' ? t('import_checking') : t('import_check')}
              </button>
            </div>
          </section>
        )}

        {step === 'report' && report && (
          <section className="import-report" data-testid="import-report">
            <h3>{t('import_report_of', { file: report.fileName })}</h3>
            <dl className="import-facts">
              <dt>{t('import_format')}</dt>
              <dd data-testid="import-format">{report.format}</dd>
              {report.crs && (
                <>
                  <dt>{t('import_crs')}</dt>
                  <dd data-testid="import-crs">
                    {report.crs.name} · {label(`import_crs_${report.crs.source}`, report.crs.source)}
                    {report.crs.reprojected && <> · {t('import_crs_reprojected')}</>}
                    {report.crs.swapped && <strong className="warn"> · {t('import_crs_swapped')}</strong>}
                    {report.crs.fromGcj02 && <> · {t('import_crs_gcj02')}</>}
                  </dd>
                </>
              )}
              {report.encoding && (
                <>
                  <dt>{t('import_encoding')}</dt>
                  <dd>{report.encoding}</dd>
                </>
              )}
            </dl>

            <table className="import-counts" data-testid="import-counts">
              <caption>{t('import_counts')}</caption>
              <tbody>
                {Object.entries(report.counts).map(([k, n]) => (
                  <tr key={k} data-count={k}>
                    <th scope="row">{countLabel(k)}</th>
                    <td>{n.toLocaleString(locale)}</td>
                  </tr>
                ))}
              </tbody>
            </table>

            {'coverage' in report && report.coverage && report.coverage.length > 0 && <CoverageAfter coverage={report.coverage} />}

            <ProblemTables report={report} label={label} />

            {report.preview && report.preview.features.length > 0 && (
              <ImportPreview data={report.preview} label={t('import_preview_label')} />
            )}

            <fieldset className="import-mapping" data-testid="import-mapping">
              <legend>{t('import_step_mapping')}</legend>
              <p className="hint">{t('import_mapping_hint')}</p>
              {fields.map((f) => (
                <label key={f}>
                  <span>{fieldLabel(f)}</span>
                  <select value={mapping[f] ?? ''} data-field={f} onChange={(e) => setMapping((m) => ({ ...m, [f]: e.target.value }))}>
                    <option value="">{t('import_mapping_none')}</option>
                    {report.fields.map((h) => (
                      <option key={h} value={h}>
                        {h}
                      </option>
                    ))}
                  </select>
                </label>
              ))}
              {report.kind === 'visits' && (
                <label className="checkbox">
                  <input
                    type="checkbox"
                    checked={skipUnmatched}
                    data-testid="import-skip-unmatched"
                    onChange={(e) => {
                      setSkipUnmatched(e.target.checked);
                      void check({ skipUnmatched: e.target.checked });
                    }}
                  />
                  {t('import_skip_unmatched')}
                </label>
              )}
              {!TABLE_KINDS.includes(report.kind) && (
                <label className="checkbox">
                  <input type="checkbox" checked={gcj02} onChange={(e) => setGcj02(e.target.checked)} data-testid="import-gcj02" />
                  {t('import_gcj02')}
                </label>
              )}
              <button type="button" disabled={busy !== null} onClick={() => void check()} data-testid="import-recheck">
                {busy === 'checking' ? t('import_checking') : t('import_recheck')}
              </button>
            </fieldset>

            {report.expiresAt && <p className="hint">{t('import_expires', { time: new Date(report.expiresAt).toLocaleString(locale) })}</p>}
            <div className="form-actions">
              <button type="button" onClick={restart} disabled={busy !== null}>
                {t('import_again')}
              </button>
              {writable > 0 ? (
                <button
                  type="button"
                  className="primary"
                  disabled={busy !== null}
                  onClick={() => void commit()}
                  data-testid="import-commit"
                >
                  {busy === 'committing' ? t('import_committing') : t('import_commit', { n: writable.toLocaleString(locale) })}
                </button>
              ) : blockingRows > 0 ? (
                <p className="hint warn" data-testid="import-blocked">
                  {t('import_visits_blocked', { n: blockingRows.toLocaleString(locale) })}
                </p>
              ) : (
                <p className="hint">
                  {t(
                    report.kind !== 'staff'
                      ? 'import_nothing'
                      : report.problems.some((p) => p.severity === 'error')
                        ? 'import_staff_allOrNothing'
                        : 'import_staff_nothingNew',
                  )}
                </p>
              )}
            </div>
          </section>
        )}

        {step === 'done' && committed && (
          <section className="import-done" data-testid="import-done">
            <p className="form-success" role="status">
              {t('import_done')}
            </p>
            <table className="import-counts" data-testid="import-committed">
              <tbody>
                {Object.entries(committed).map(([k, n]) => (
                  <tr key={k} data-count={k}>
                    <th scope="row">{countLabel(k === 'alreadyImported' ? 'alreadyImported_done' : k)}</th>
                    <td>{n.toLocaleString(locale)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {accounts && accounts.length > 0 && <CreatedAccounts accounts={accounts} />}
            <div className="form-actions">
              <button type="button" onClick={restart}>
                {t('import_again')}
              </button>
              <button type="button" className="primary" onClick={onClose}>
                {t('import_close')}
              </button>
            </div>
          </section>
        )}
      </div>
    </div>
  );
}

function ProblemTables({ report, label }: { report: ImportReport; label: (key: string, fallback: string) => string }) {
  const { t, locale } = useLocale();
  const byType = useMemo(
    () =>
      Object.entries(report.problemCounts).map(([code, n]) => ({
        code,
        n: n ?? 0,
        severity: report.problems.find((p) => p.code === code)?.severity ?? 'warning',
      })),
    [report],
  );
  const total = byType.reduce((s, x) => s + x.n, 0);
  if (total === 0)
    return (
      <p className="import-ok" data-testid="import-no-problems">
        {t('import_no_problems')}
      </p>
    );
  // Errors first, then in the file's order.
  const listed = [...report.problems]
    .sort((a, b) => (a.severity === b.severity ? where(a) - where(b) : a.severity === 'error' ? -1 : 1))
    .slice(0, LISTED);
  return (
    <>
      <table className="import-problem-types" data-testid="import-problem-types">
        <caption>{t('import_problems')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('import_col_type')}</th>
            <th scope="col">{t('import_col_severity')}</th>
            <th scope="col">{t('import_col_count')}</th>
          </tr>
        </thead>
        <tbody>
          {byType.map((x) => (
            <tr key={x.code} data-code={x.code} className={x.severity}>
              <td>{label(`import_problem_${x.code}`, x.code)}</td>
              <td>{t(x.severity === 'error' ? 'import_severity_error' : 'import_severity_warning')}</td>
              <td>{x.n.toLocaleString(locale)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="import-problem-scroll">
        <table className="import-problems" data-testid="import-problems">
          <thead>
            <tr>
              <th scope="col">{t('import_col_where')}</th>
              <th scope="col">{t('import_col_type')}</th>
              <th scope="col">{t('import_col_severity')}</th>
              <th scope="col">{t('import_col_message')}</th>
            </tr>
          </thead>
          <tbody>
            {listed.map((p, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a report's rows never reorder; a row may list several problems.
              <tr key={i} className={p.severity} data-code={p.code} data-row={p.row ?? ''} data-feature={p.featureIndex ?? ''}>
                <td>
                  {p.row !== undefined
                    ? t('import_where_row', { n: p.row })
                    : p.featureIndex !== undefined
                      ? t('import_where_feature', { n: p.featureIndex })
                      : t('import_where_file')}
                </td>
                <td>{label(`import_problem_${p.code}`, p.code)}</td>
                <td>{t(p.severity === 'error' ? 'import_severity_error' : 'import_severity_warning')}</td>
                <td className="message">{problemText(locale, p)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {total > listed.length && (
        <p className="hint">{t('import_problems_shown', { shown: listed.length, total: total.toLocaleString(locale) })}</p>
      )}
    </>
  );
}

const where = (p: ImportProblem) => p.row ?? p.featureIndex ?? -1;

type GridCoverage = {
  gridId: number;
  code: string;
  name: string;
  households: number;
  visits: number;
  coverageBefore: number | null;
  coverageAfter: number | null;
};

/** A visit ledger's dry run: each grid it touches, with its coverage today before and after the commit. */
function CoverageAfter({ coverage }: { coverage: readonly GridCoverage[] }) {
  const { t, locale } = useLocale();
  const pct = (v: number | null) => (v === null ? '—' : `${(Math.round(v * 1000) / 10).toLocaleString(locale)}%`);
  return (
    <table className="import-coverage" data-testid="import-coverage">
      <caption>{t('import_coverage_title')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('import_coverage_grid')}</th>
          <th scope="col">{t('import_coverage_households')}</th>
          <th scope="col">{t('import_coverage_visits')}</th>
          <th scope="col">{t('import_coverage_before')}</th>
          <th scope="col">{t('import_coverage_after')}</th>
        </tr>
      </thead>
      <tbody>
        {coverage.map((g) => (
          <tr key={g.gridId} data-grid={g.gridId}>
            <th scope="row">
              {g.name} <small>{g.code}</small>
            </th>
            <td>{g.households.toLocaleString(locale)}</td>
            <td>{g.visits.toLocaleString(locale)}</td>
            <td>{pct(g.coverageBefore)}</td>
            <td className={(g.coverageAfter ?? 0) > (g.coverageBefore ?? 0) ? 'up' : undefined}>{pct(g.coverageAfter)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A failed request as the server answered it; a network failure has no code this client knows. */
function asApiError(e: unknown): ApiErrorLike {
  if (e instanceof ApiRequestError) return { status: e.status, code: e.code, message: e.message, details: e.details };
  return { code: 'network_error', message: (e as Error).message };
}

/** The error in the user's language; where the server said more (what the file looks like), its words follow. */
function ImportError({ error, kind }: { error: ApiErrorLike; kind: ImportKind }) {
  const { locale } = useLocale();
  const { text, detail } = importErrorText(locale, error, {}, kind);
  return (
    <div className="form-error" role="alert" data-testid="import-error" data-code={error.code}>
      {text}
      {detail && detail !== text && <small className="import-error-detail">{detail}</small>}
    </div>
  );
}

/**
 * The accounts a roster created, each with its one-time password: shown this once (the server
 * keeps none), to copy (tab-separated, pastes into a sheet) or print and hand out.
 */
function CreatedAccounts({ accounts }: { accounts: NonNullable<CommittedImport['accounts']> }) {
  const { t } = useLocale();
  const [copied, setCopied] = useState(false);
  const withPasswords = accounts.some((a) => a.initialPassword);
  const lines = () =>
    [
      [t('import_col_name'), t('import_col_email'), t('import_col_role'), t('import_col_password')],
      ...accounts.map((a) => [a.name, a.email, t(`role_${a.role}`), a.initialPassword ?? '']),
    ]
      .map((r) => r.join('\t'))
      .join('\n');
  return (
    <section className="import-accounts" data-testid="import-accounts">
      <h3>{t('import_accounts_title')}</h3>
      {withPasswords && (
        <p className="warn" role="note">
          {t('import_accounts_once')}
        </p>
      )}
      <div className="import-problem-scroll">
        <table className="import-problems">
          <thead>
            <tr>
              <th scope="col">{t('import_col_row')}</th>
              <th scope="col">{t('import_col_name')}</th>
              <th scope="col">{t('import_col_password')}</th>
              <th scope="col">{t('import_col_role')}</th>
              <th scope="col">{t('import_col_email')}</th>
            </tr>
          </thead>
          <tbody>
            {accounts.map((a) => (
              <tr key={a.staffId} data-email={a.email}>
                <td>{a.row}</td>
                <td>{a.name}</td>
                {/* Right after the name: on a phone the password must not scroll out of sight. */}
                <td>
                  {a.initialPassword ? (
                    <code data-testid="import-account-password">{a.initialPassword}</code>
                  ) : (
                    t(a.linked ? 'import_accounts_linked' : 'import_accounts_notLinked')
                  )}
                </td>
                <td className="nowrap">{t(`role_${a.role}`)}</td>
                <td className="message">{a.email}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {withPasswords && (
        <div className="form-actions no-print">
          <button
            type="button"
            onClick={() =>
              void navigator.clipboard?.writeText(lines()).then(
                () => setCopied(true),
                () => setCopied(false),
              )
            }
          >
            {copied ? t('import_accounts_copied') : t('import_accounts_copy')}
          </button>
          <button type="button" onClick={() => window.print()}>
            {t('import_accounts_print')}
          </button>
        </div>
      )}
    </section>
  );
}
