import { pointOnFeature, bbox as turfBBox } from '@turf/turf';
import { type FormEvent, useEffect, useState } from 'react';
import {
  ISSUE_CATEGORIES,
  ISSUE_COMPLEXITIES,
  ISSUE_TIERS,
  type IssueCategory,
  type IssueComplexity,
  type IssueTier,
} from '../../../geo/domain/issue';
import { type GridCollection, type Household, type IssueRegistration, useBuildings, useRegisterIssue } from '../api';
import { useLocale } from '../i18n/locale';
import { Choice, optionsOf } from '../panels/choice';
import { chinaLocalToIso, formatChinaTime, productNowLocal } from '../panels/format';
import { householdPlace } from '../panels/household-list';
import { FormActions, FormHeader } from './form-parts';

/** Where the matter is: the household's building until a point is picked on the map. */
export interface IssueLocation {
  point: [number, number];
  from: 'building' | 'map';
}

/** A point inside the household's building, from the buildings of its grid (one cached request). */
function useBuildingPoint(household: Household | null, grids: GridCollection): [number, number] | null {
  const grid = household ? grids.features.find((f) => f.properties.id === household.gridId) : undefined;
  const bbox = grid
    ? turfBBox(grid)
        .map((v) => v.toFixed(5))
        .join(',')
    : null;
  const buildings = useBuildings(bbox);
  const building = buildings.data?.features.find((f) => f.properties.id === household?.buildingId);
  if (!building) return null;
  return pointOnFeature(building).geometry.coordinates as [number, number];
}

/** 登记事项: the registration form (登记表), for a household or for a point picked on the map. */
export function IssueForm({
  household,
  grids,
  today,
  location,
  onLocation,
  onClose,
  onOpenIssue,
  onRegistered,
}: {
  household: Household | null;
  grids: GridCollection;
  today: string | null;
  location: IssueLocation | null;
  onLocation(l: IssueLocation): void;
  onClose(): void;
  onOpenIssue(id: number): void;
  /** Registered: the map stops asking for a location. */
  onRegistered(): void;
}) {
  const { t } = useLocale();
  const personal = household && !household.masked ? household : null;
  const [category, setCategory] = useState<IssueCategory | ''>('');
  const [complexity, setComplexity] = useState<IssueComplexity>('ordinary');
  const [tier, setTier] = useState<IssueTier>('on_spot');
  const [description, setDescription] = useState('');
  const [receivedAt, setReceivedAt] = useState(() => productNowLocal(today));
  const [reporter, setReporter] = useState({
    name: personal?.headName ?? '',
    address: personal ? householdPlace(personal) : '',
    workUnit: '',
    contact: personal?.phone ?? '',
  });
  const register = useRegisterIssue();
  const buildingPoint = useBuildingPoint(household, grids);

  useEffect(() => {
    if (buildingPoint && location === null) onLocation({ point: buildingPoint, from: 'building' });
  }, [buildingPoint, location, onLocation]);

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!location || !category) return;
    const filled = Object.fromEntries(
      Object.entries(reporter)
        .map(([k, v]) => [k, v.trim()])
        .filter(([, v]) => v !== ''),
    );
    const issue: IssueRegistration = {
      category,
      description: description.trim(),
      location: { type: 'Point', coordinates: location.point },
      complexity,
      tier,
      receivedAt: chinaLocalToIso(receivedAt),
      reporter: filled,
      ...(household ? { householdId: household.id } : {}),
    };
    register.mutate(issue, { onSuccess: onRegistered });
  }

  const registered = register.data;
  const field = (key: keyof typeof reporter, label: string, type = 'text') => (
    <label>
      <span>{label}</span>
      <input
        type={type}
        name={`reporter-${key}`}
        value={reporter[key]}
        onChange={(e) => setReporter((r) => ({ ...r, [key]: e.target.value }))}
      />
    </label>
  );
  return (
    <section className="field-form" data-testid="issue-form" aria-labelledby="issue-form-title">
      <FormHeader id="issue-form-title" title={t('issueFormTitle')} household={household} onClose={onClose} />
      {registered ? (
        <div
          className="form-success"
          role="status"
          data-testid="issue-registered"
          data-reg-no={registered.regNo}
          data-issue-id={registered.id}
        >
          <strong>{t('issueRegistered', { regNo: registered.regNo })}</strong>
          <p>{t('issueDue', { due: formatChinaTime(registered.dueAt) })}</p>
          <div className="form-actions">
            <button type="button" className="primary" onClick={() => onOpenIssue(registered.id)}>
              {t('openIssue')}
            </button>
            <button type="button" onClick={onClose}>
              {t('formDone')}
            </button>
          </div>
        </div>
      ) : (
        <form onSubmit={submit} aria-busy={register.isPending}>
          <Choice
            label={t('issueCategoryLabel')}
            name="category"
            required
            value={category}
            onChange={(v) => setCategory(v as IssueCategory)}
            options={optionsOf(ISSUE_CATEGORIES, (c) => t(`issueCategory_${c}`))}
            empty={{ label: t('choose'), disabled: true }}
          />
          <div className="form-row">
            <Choice
              label={t('complexityLabel')}
              name="complexity"
              value={complexity}
              onChange={(v) => setComplexity(v as IssueComplexity)}
              options={optionsOf(ISSUE_COMPLEXITIES, (c) => t(`complexity_${c}`))}
            />
            <Choice
              label={t('tierLabel')}
              name="tier"
              value={tier}
              onChange={(v) => setTier(v as IssueTier)}
              options={optionsOf(ISSUE_TIERS, (x) => t(`issueTier_${x}`))}
            />
          </div>
          <label>
            <span>{t('descriptionLabel')}</span>
            <textarea
              name="description"
              rows={3}
              required
              maxLength={5000}
              value={description}
              onChange={(e) => setDescription(e.target.value)}
            />
          </label>
          <div
            className={`location ${location ? '' : 'missing'}`}
            data-testid="issue-location"
            data-from={location?.from ?? 'none'}
            data-point={location?.point.join(',')}
          >
            <span>{t('locationLabel')}</span>
            <strong>
              {location
                ? `${location.from === 'building' ? t('locationBuilding') : t('locationPicked')} (${location.point[0].toFixed(5)}, ${location.point[1].toFixed(5)})`
                : t('locationMissing')}
            </strong>
            <span className="muted">{t('locationHint')}</span>
          </div>
          <label>
            <span>{t('receivedAtLabel')}</span>
            <input type="datetime-local" name="receivedAt" required value={receivedAt} onChange={(e) => setReceivedAt(e.target.value)} />
          </label>
          <fieldset>
            <legend>{t('reporterLegend')}</legend>
            {field('name', t('reporterName'))}
            {field('address', t('reporterAddress'))}
            {field('workUnit', t('reporterWorkUnit'))}
            {field('contact', t('reporterContact'), 'tel')}
          </fieldset>
          <FormActions
            error={register.error}
            pending={register.isPending}
            disabled={!location}
            submitLabel={t('issueSubmit')}
            onCancel={onClose}
          />
        </form>
      )}
    </section>
  );
}
