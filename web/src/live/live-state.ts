/**
 * Whether this page's event stream is open. While it is, the server tells the page about its own
 * changes too (within a few hundred milliseconds), so a form's success need not refetch on its
 * own: one refetch per change, not two competing for the same database.
 */
let open = false;

export function liveStreamOpen(): boolean {
  return open;
}

export function setLiveStreamOpen(next: boolean): void {
  open = next;
}
