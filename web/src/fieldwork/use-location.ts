import { useState } from 'react';

export interface Fix {
  /** [longitude, latitude] */
  point: [number, number];
  accuracyM: number;
}

/**
 * "Use my location": one GPS fix on request, never watched in the background. Optional in every
 * form; a browser without geolocation (or over plain HTTP) simply does not offer it.
 */
export function useLocationFix() {
  const [fix, setFix] = useState<Fix | null>(null);
  const [state, setState] = useState<'idle' | 'locating' | 'failed'>('idle');
  const available = typeof navigator !== 'undefined' && 'geolocation' in navigator && window.isSecureContext;
  function locate() {
    setState('locating');
    navigator.geolocation.getCurrentPosition(
      (p) => {
        setFix({ point: [p.coords.longitude, p.coords.latitude], accuracyM: Math.round(p.coords.accuracy * 10) / 10 });
        setState('idle');
      },
      () => setState('failed'),
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 60_000 },
    );
  }
  return { available, fix, state, locate, clear: () => setFix(null) };
}
