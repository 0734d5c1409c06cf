/**
 * A grid's code and name, edited in its panel by its community's staff (PATCH /api/grids/:id;
 * docs/import-export.md "Grid codes"). The hint says what a code of this grid looks like in the
 * street's scheme; the server judges, and its refusal is said in the user's language from its
 * code and details.
 */

import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { StringKey } from '../../../geo/i18n/strings';
import { type GridCodeScheme, gridCodeExample } from '../../../geo/import/grid-code';
import { ApiRequestError, client, refreshAfterChange, unwrap } from '../api';
import { useLocale } from '../i18n/locale';

interface Props {
  grid: { id: number; code: string; name: string; version: number };
  scheme: GridCodeScheme;
}

type Translate = (key: StringKey, vars?: Record<string, string | number>) => string;

/** The refusal in words; the server's own message for a code this client does not know. */
export function gridLabelErrorText(t: Translate, e: unknown): string {
  if (!(e instanceof ApiRequestError)) return (e as Error).message;
  const d = (e.details ?? {}) as Record<string, string | number | null>;
  const vars = Object.fromEntries(
    Object.entries(d).filter((x): x is [string, string | number] => x[1] !== null && typeof x[1] !== 'object'),
  );
  switch (e.code) {
    case 'invalid_grid_code':
      return t(`gridLabel_reason_${String(d.reason)}` as StringKey, vars);
    case 'code_taken':
      return d.gridName ? t('gridLabel_codeTaken', vars) : t('gridLabel_codeTakenElsewhere', vars);
    case 'name_taken':
      return t('gridLabel_nameTaken', vars);
    case 'stale_version':
      return t('gridLabel_stale', { ...vars, changedBy: d.changedBy ?? '—' });
    case 'forbidden':
      return t('gridLabel_forbidden');
    case 'grid_retired':
      return t('gridLabel_retired');
    default:
      return e.message;
  }
}

export function GridLabelEditor({ grid, scheme }: Props) {
  const { t } = useLocale();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [code, setCode] = useState(grid.code);
  const [name, setName] = useState(grid.name);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<number | null>(null);
  const example = gridCodeExample(scheme);

  const start = () => {
    setCode(grid.code);
    setName(grid.name);
    setReason('');
    setError(null);
    setSaved(null);
    setOpen(true);
  };

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const json = {
        expectedVersion: grid.version,
        ...(code.trim() !== grid.code ? { code: code.trim() } : {}),
        ...(name.trim() !== grid.name ? { name: name.trim() } : {}),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      };
      const res = await unwrap(await client.api.grids[':id'].$patch({ param: { id: String(grid.id) }, json }));
      setSaved(res.grid.properties.version);
      setOpen(false);
      refreshAfterChange(queryClient, ['grids']);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (!open) {
    return (
      <div className="grid-label-edit">
        <button type="button" onClick={start} data-action="edit-labels">
          {t('gridLabel_edit')}
        </button>
        {saved !== null && (
          <span className="form-success small" role="status">
            {t('gridLabel_saved', { version: saved })}
          </span>
        )}
      </div>
    );
  }
  const unchanged = code.trim() === grid.code && name.trim() === grid.name;
  return (
    <form
      className="grid-label-form"
      data-testid="grid-label-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label>
        <span>{t('gridLabel_code')}</span>
        <input
          value={code}
          onChange={(e) => setCode(e.target.value)}
          maxLength={40}
          spellCheck={false}
          data-field="code"
          aria-describedby="grid-code-hint"
        />
      </label>
      <small id="grid-code-hint" className="hint">
        {scheme.streetPattern
          ? t('gridLabel_hintOwn', { pattern: scheme.streetPattern })
          : t('gridLabel_hintStandard', { example: example ?? '' })}
      </small>
      <label>
        <span>{t('gridLabel_name')}</span>
        <input value={name} onChange={(e) => setName(e.target.value)} maxLength={60} data-field="name" />
      </label>
      <label>
        <span>{t('gridLabel_reason')}</span>
        <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} data-field="reason" />
      </label>
      {error !== null && (
        <div className="form-error" role="alert" data-testid="grid-label-error">
          {gridLabelErrorText(t, error)}
        </div>
      )}
      <div className="form-actions">
        <button type="button" onClick={() => setOpen(false)} disabled={busy}>
          {t('gridLabel_cancel')}
        </button>
        <button type="submit" className="primary" disabled={busy || unchanged || !code.trim() || !name.trim()}>
          {busy ? t('gridLabel_saving') : t('gridLabel_save')}
        </button>
      </div>
    </form>
  );
}
