// The last scheduled time fired per trigger, one small JSON file per trigger under
// $FIZZ_STATE_DIR/timer/. A time is recorded (atomically, fsynced) BEFORE its invocation is sent,
// so after a crash or restart that time is never fired again: at most once per scheduled time.
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { isTempFile, silentLogger, writeFileAtomic, type Logger } from "@fizz/common";

export interface FireRecord {
  /** The trigger's uid (a trigger deleted and created again starts afresh). */
  uid: string;
  namespace: string;
  name: string;
  /** The schedule the time belongs to; a new schedule does not inherit it. */
  cron: string;
  /** ISO time of the last scheduled run fired. */
  lastScheduled: string;
}

export class FireLog {
  private readonly records = new Map<string, FireRecord>();

  constructor(
    readonly dir: string,
    private readonly log: Logger = silentLogger,
  ) {}

  /** Loads what a previous run recorded; removes temp files a crash left behind. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const f of await readdir(this.dir)) {
      const path = join(this.dir, f);
      if (isTempFile(f)) {
        await rm(path, { force: true });
        continue;
      }
      if (!f.endsWith(".json")) continue;
      try {
        const r = JSON.parse(await readFile(path, "utf8")) as FireRecord;
        if (typeof r.uid !== "string" || typeof r.cron !== "string" || Number.isNaN(Date.parse(r.lastScheduled))) throw new Error("missing fields");
        this.records.set(r.uid, r);
      } catch (err) {
        // Writes are atomic, so this is damage from outside; the trigger resumes from now.
        this.log.warn({ file: path, err: (err as Error).message }, "ignoring an unreadable timer state file");
      }
    }
  }

  /** When the trigger last fired under this schedule, if it did. */
  lastFired(uid: string, cron: string): Date | undefined {
    const r = this.records.get(uid);
    return r && r.cron === cron ? new Date(r.lastScheduled) : undefined;
  }

  async record(r: FireRecord): Promise<void> {
    await writeFileAtomic(this.fileOf(r.uid), `${JSON.stringify(r)}\n`);
    this.records.set(r.uid, r);
  }

  async forget(uid: string): Promise<void> {
    this.records.delete(uid);
    await rm(this.fileOf(uid), { force: true });
  }

  uids(): string[] {
    return [...this.records.keys()];
  }

  private fileOf(uid: string): string {
    return join(this.dir, `${encodeURIComponent(uid)}.json`);
  }
}
