// What one canary step does, given what was observed over its window. Pure: the rollout loop
// reads the metrics and writes the outcome; this is the whole policy.

export type Action = "advance" | "wait" | "rollback" | "succeeded";
export type CanaryStatus = "pending" | "succeeded" | "failed" | "aborted";

export interface Observation {
  requests: number;
  failures: number;
}

export interface StepInput {
  /** The new function's weight now (0–100). */
  weight: number;
  /** spec.weightincrement: points moved per step. */
  increment: number;
  /** spec.failurethreshold: a failure percentage above this rolls back. */
  threshold: number;
  observed: Observation;
}

export interface Decision {
  action: Action;
  newWeight: number;
  status: CanaryStatus;
  /** failures / requests × 100; 0 with no requests. */
  failurePercent: number;
  message: string;
}

export function decide(s: StepInput): Decision {
  const { requests, failures } = s.observed;
  // At weight 0 the new function gets no traffic, so there is nothing to judge: the first
  // increment is taken on trust and the windows after it decide.
  if (s.weight === 0 && requests === 0) return advance(s, 0, "the new function had weight 0: first increment");
  if (requests <= 0) return { action: "wait", newWeight: s.weight, status: "pending", failurePercent: 0, message: "no requests reached the new function in this window" };
  const pct = (Math.min(failures, requests) / requests) * 100;
  if (pct > s.threshold)
    return { action: "rollback", newWeight: 0, status: "failed", failurePercent: pct, message: `failure rate ${fmt(pct)}% is above the threshold of ${s.threshold}%` };
  return advance(s, pct, `failure rate ${fmt(pct)}% is within the threshold of ${s.threshold}%`);
}

function advance(s: StepInput, pct: number, why: string): Decision {
  const w = Math.min(100, s.weight + s.increment);
  if (w >= 100) return { action: "succeeded", newWeight: 100, status: "succeeded", failurePercent: pct, message: `${why}; all traffic on the new function` };
  return { action: "advance", newWeight: w, status: "pending", failurePercent: pct, message: why };
}

/** 12.5, 33.33, 0: at most two decimals. */
export const fmt = (n: number) => String(Math.round(n * 100) / 100);
