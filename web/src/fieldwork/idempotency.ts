import { useRef } from 'react';

/** A random UUID (v4); crypto.randomUUID needs a secure context, which a LAN deployment over plain HTTP is not. */
function uuid(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The Idempotency-Key for a submission. Pressing submit again with the same fields (a retry on a
 * bad network) reuses the key, so the server records one visit, not two; changing a field makes
 * it a new request with a new key (the server refuses a reused key with another body).
 */
export function useIdempotencyKey(): (body: unknown) => string {
  const last = useRef<{ body: string; key: string } | null>(null);
  return (body) => {
    const json = JSON.stringify(body);
    if (last.current?.body !== json) last.current = { body: json, key: uuid() };
    return last.current.key;
  };
}
