// The Watch stream: an initial listing (or a replay from the history), then live changes until
// the client cancels or the server stops.
import { create } from "@bufbuild/protobuf";
import { EventType, Kind, WatchEventSchema, type Resource, type WatchEvent, type WatchRequest } from "@fizz/proto";
import { invalid } from "@fizz/common";
import type { Admin } from "./admin.js";
import { KINDS, kindInfo, versionOf } from "./kinds.js";
import { matches, toEvent, type Subscription, type WatchFilter } from "./history.js";

export async function* watchStream(admin: Admin, req: WatchRequest, signal: AbortSignal): AsyncGenerator<WatchEvent> {
  const filter: WatchFilter = {
    kinds: new Set(req.kinds.filter((k) => k !== Kind.UNSPECIFIED).map((k) => kindInfo(k).kind)),
    namespace: req.namespace,
  };
  const from = parseVersion(req.resourceVersion);
  let backlog: WatchEvent[] = [];
  // Snapshot and subscription under the write lock: no change can fall between the two.
  const sub: Subscription = await admin.lock.run(async () => {
    if (from === undefined) backlog = await initialListing(admin, filter);
    else backlog = admin.hub.since(from, admin.version).filter((c) => matches(filter, c.resource)).map(toEvent);
    return admin.hub.subscribe(filter, signal);
  });
  try {
    for (const ev of backlog) {
      if (signal.aborted) return;
      yield ev;
    }
    for (;;) {
      const ev = await sub.next();
      if (!ev) return;
      yield ev;
    }
  } finally {
    sub.close();
  }
}

/**
 * ADDED for every current resource, oldest first, then SYNCED with the current version. The
 * ADDED events carry no resourceVersion of their own: the listing is one snapshot, and the only
 * safe point to resume from is the SYNCED version (the resource's own version is in metadata).
 */
async function initialListing(admin: Admin, filter: WatchFilter): Promise<WatchEvent[]> {
  const items: Resource[] = [];
  for (const k of KINDS) {
    if (filter.kinds.size && !filter.kinds.has(k.kind)) continue;
    items.push(...(await admin.store.list(k.kind, filter.namespace || undefined)));
  }
  items.sort((a, b) => versionOf(a) - versionOf(b));
  const out = items.map((resource) => create(WatchEventSchema, { type: EventType.ADDED, resource }));
  out.push(create(WatchEventSchema, { type: EventType.SYNCED, resourceVersion: String(admin.version) }));
  return out;
}

function parseVersion(v: string): number | undefined {
  if (v === "") return undefined;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(v)) throw invalid(`resourceVersion "${v}" is not a version this controller issued (a decimal number)`);
  return Number(v);
}
