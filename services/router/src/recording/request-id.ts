// Request ids: a per-process prefix (time + randomness) and a counter, both base36. Cheap, and
// unique across routers and restarts for any practical purpose.
export const REQUEST_ID_HEADER = "x-fizz-request-id";
/** Set by the recorder on replayed requests; those are not recorded again. */
export const REPLAY_HEADER = "x-fizz-replay-of";

const PREFIX = `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4)
  .toString(36)
  .padStart(4, "0")}`;
let counter = 0;

export function nextRequestId(): string {
  return `${PREFIX}-${(++counter).toString(36)}`;
}

/** The client's id when it sent a usable one, else a fresh one. */
export function requestIdOf(sent: string | string[] | undefined): string {
  if (typeof sent === "string" && sent.length > 0 && sent.length <= 200) return sent;
  return nextRequestId();
}
