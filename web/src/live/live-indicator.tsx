import { useLocale } from '../i18n/locale';
import type { StreamState } from './event-stream';

/** A dot in the header: green while changes arrive live, grey while (re)connecting, red when cut off. */
export function LiveIndicator({ state }: { state: StreamState }) {
  const { t } = useLocale();
  const label = state === 'open' ? t('liveOn') : state === 'connecting' ? t('liveConnecting') : t('liveOff');
  return (
    <span className={`live ${state}`} data-testid="live" data-state={state} title={t('liveHint')} role="status">
      <span className="live-dot" aria-hidden="true" />
      {label}
    </span>
  );
}
