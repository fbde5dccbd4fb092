import type { Recorder } from "@fizz/proto";
import { keyOf, nsOf } from "@fizz/clients";

/** What a request needs from a Recorder resource, compiled once per change. */
export interface RecorderInfo {
  readonly name: string;
  readonly namespace: string;
  /** 0 < rate <= 1. */
  readonly rate: number;
  readonly maxBodyBytes: number;
  /** Lower-case header names whose values are replaced (set-cookie included when cookie is). */
  readonly redact: ReadonlySet<string>;
  readonly retentionSeconds: number;
}

export const RECORDER_DEFAULTS = { sampleRate: 1, maxBodyBytes: 65536, retention: "24h", redact: ["authorization", "cookie"] } as const;

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** "72h", "30m", "1h30m", "2s", "7d" → seconds; undefined when it does not parse. */
export function durationSeconds(text: string): number | undefined {
  const s = text.trim().toLowerCase();
  if (!s) return undefined;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
    end = re.lastIndex;
  }
  return end === s.length && end > 0 ? total : undefined;
}

export function recorderInfo(r: Recorder): RecorderInfo | undefined {
  const s = r.spec;
  if (!s?.enabled) return undefined;
  const rate = s.sampleRate ?? RECORDER_DEFAULTS.sampleRate;
  if (!(rate > 0)) return undefined;
  const names = (s.redactHeaders.length ? s.redactHeaders : RECORDER_DEFAULTS.redact).map((h) => h.trim().toLowerCase());
  const redact = new Set(names);
  if (redact.has("cookie")) redact.add("set-cookie");
  return {
    name: r.metadata?.name ?? "",
    namespace: nsOf(r.metadata),
    rate: Math.min(rate, 1),
    maxBodyBytes: Math.max(0, s.maxBodyBytes ?? RECORDER_DEFAULTS.maxBodyBytes),
    redact,
    retentionSeconds: Math.round(durationSeconds(s.retention) ?? durationSeconds(RECORDER_DEFAULTS.retention)!),
  };
}

/**
 * Which requests are recorded: function key → recorders and trigger key → recorders, built on
 * Informer events. Per request: one map lookup (none at all when no recorder exists) and one
 * Math.random() per candidate.
 */
export class RecorderIndex {
  private constructor(
    private readonly byFunction: ReadonlyMap<string, readonly RecorderInfo[]>,
    private readonly byTrigger: ReadonlyMap<string, readonly RecorderInfo[]>,
    /** True when nothing can match: the hot path checks only this. */
    readonly empty: boolean,
  ) {}

  static readonly NONE = new RecorderIndex(new Map(), new Map(), true);

  static build(recorders: Iterable<Recorder>): RecorderIndex {
    const byFunction = new Map<string, RecorderInfo[]>();
    const byTrigger = new Map<string, RecorderInfo[]>();
    const add = (m: Map<string, RecorderInfo[]>, k: string, r: RecorderInfo) => {
      const l = m.get(k);
      if (l) l.push(r);
      else m.set(k, [r]);
    };
    const sorted = [...recorders].sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
    for (const r of sorted) {
      const info = recorderInfo(r);
      if (!info) continue;
      const fn = r.spec?.function;
      if (fn) add(byFunction, keyOf(info.namespace, fn), info);
      for (const t of r.spec?.triggers ?? []) if (t) add(byTrigger, keyOf(info.namespace, t), info);
    }
    if (!byFunction.size && !byTrigger.size) return RecorderIndex.NONE;
    return new RecorderIndex(byFunction, byTrigger, false);
  }

  /** The recorder that samples this request, if any: trigger recorders first, then the function's. */
  select(fnKey: string, triggerKey: string | undefined): RecorderInfo | undefined {
    if (triggerKey !== undefined) {
      const t = this.byTrigger.get(triggerKey);
      if (t) for (const r of t) if (r.rate >= 1 || Math.random() < r.rate) return r;
    }
    const f = this.byFunction.get(fnKey);
    if (f) for (const r of f) if (r.rate >= 1 || Math.random() < r.rate) return r;
    return undefined;
  }
}
