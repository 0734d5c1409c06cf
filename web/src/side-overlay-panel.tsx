import type { Map as MapLibreMap } from 'maplibre-gl';
import { type Dispatch, type SetStateAction, useCallback } from 'react';
import type { AppConfig, CommunityCollection, GridCollection, Me } from './api';
import { BoundaryEditor } from './boundary-editor/boundary-editor';
import { ProposalsPanel } from './boundary-editor/proposals-panel';
import type { GridFeature } from './boundary-editor/use-boundary-context';
import { IssueForm, type IssueLocation } from './fieldwork/issue-form';
import { VisitForm } from './fieldwork/visit-form';
import { IssuePage } from './issues/issue-page';
import { displayCrsOf } from './map/map-view';
import { DiaryPage } from './records/diary-page';
import type { SideOverlay } from './side-overlay';
import { StaffPanel } from './staff/staff-panel';

interface Props {
  overlay: SideOverlay | null;
  setOverlay: Dispatch<SetStateAction<SideOverlay | null>>;
  /** The grid the editing overlay names, if it is still on the map. */
  editingGrid: GridFeature | null;
  map: MapLibreMap | null;
  config: AppConfig | undefined;
  grids: GridCollection | undefined;
  communities: CommunityCollection | undefined;
  me: Me | undefined;
  today: string | null;
  managesStaff: boolean;
  /** The issue page from the URL, when this account sees issues; shown when no overlay is. */
  issue: number | null;
  issueLocation: IssueLocation | null;
  onIssueLocation(l: IssueLocation): void;
  onOpenIssue(issue: number): void;
  onCloseIssue(): void;
  onShowOnMap(center: [number, number]): void;
  /** A boundary change was committed: the message for the side panel. */
  onBoundaryDone(message: string): void;
  refetchGrids(): Promise<unknown>;
  onImportStaff(): void;
}

/** What covers the side panel's content: the open overlay, else the issue page, else nothing. */
export function SideOverlayPanel({
  overlay,
  setOverlay,
  editingGrid,
  map,
  config,
  grids,
  communities,
  me,
  today,
  managesStaff,
  issue,
  issueLocation,
  onIssueLocation,
  onOpenIssue,
  onCloseIssue,
  onShowOnMap,
  onBoundaryDone,
  refetchGrids,
  onImportStaff,
}: Props) {
  const close = useCallback(() => setOverlay(null), [setOverlay]);
  // Stable, and a no-op once another overlay replaced the staff screen (it clears the scope as it unmounts).
  const onScope = useCallback(
    (scope: number[] | null) => setOverlay((o) => (o?.kind === 'staff' && o.scope !== scope ? { ...o, scope } : o)),
    [setOverlay],
  );

  if (overlay?.kind === 'editing' && editingGrid && map && grids && communities)
    return (
      <BoundaryEditor
        key={`${editingGrid.properties.id}:${overlay.key}`}
        map={map}
        crs={config ? displayCrsOf(config) : 'wgs84'}
        grid={editingGrid}
        grids={grids}
        communities={communities}
        today={today}
        onClose={close}
        onDone={(message) => {
          setOverlay(null);
          onBoundaryDone(message);
        }}
        onReload={() => void refetchGrids().then(() => setOverlay((o) => (o?.kind === 'editing' ? { ...o, key: o.key + 1 } : o)))}
        onOpenProposals={() => setOverlay({ kind: 'proposals' })}
      />
    );
  if (overlay?.kind === 'staff' && managesStaff && me && grids && communities)
    return <StaffPanel me={me} grids={grids} communities={communities} onScope={onScope} onImport={onImportStaff} onClose={close} />;
  if (overlay?.kind === 'proposals' && map && grids) return <ProposalsPanel map={map} grids={grids} onClose={close} />;
  if (overlay?.kind === 'visit-form' && grids) return <VisitForm household={overlay.household} today={today} onClose={close} />;
  if (overlay?.kind === 'issue-form' && grids)
    return (
      <IssueForm
        household={overlay.household}
        grids={grids}
        today={today}
        location={issueLocation}
        onLocation={onIssueLocation}
        onClose={close}
        onRegistered={() => setOverlay((o) => (o?.kind === 'issue-form' ? { ...o, done: true } : o))}
        onOpenIssue={(id) => {
          setOverlay(null);
          onOpenIssue(id);
        }}
      />
    );
  if (overlay?.kind === 'diary' && today) return <DiaryPage today={today} onClose={close} />;
  if (issue !== null && grids) return <IssuePage id={issue} grids={grids} onClose={onCloseIssue} onShowOnMap={onShowOnMap} />;
  return null;
}
