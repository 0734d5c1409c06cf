/** A one-time password shown once, with a copy button: it is in no other answer, log or page. */
import { useState } from 'react';
import { useLocale } from '../i18n/locale';

export function OneTimePassword({ password }: { password: string }) {
  const { t } = useLocale();
  const [copied, setCopied] = useState(false);
  return (
    <p className="one-time-password">
      <code data-testid="one-time-password">{password}</code>
      <button
        type="button"
        onClick={() => {
          void navigator.clipboard?.writeText(password).then(() => setCopied(true));
        }}
      >
        {copied ? t('copied') : t('copy')}
      </button>
    </p>
  );
}
