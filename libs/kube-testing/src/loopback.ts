// Loopback address ranges for one FakeCluster. Several clusters run at once (jest workers, other
// test processes on the machine), and pods all listen on the same ports (8888, 8000), so each
// cluster claims its own 127.B.0.0/16 (B in 1..254; 127.0.x.x stays the host's) through a lock
// file holding its pid; a lock whose process is gone is taken over.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Subnet {
  /** 127.<octet>.x.x */
  octet: number;
  release(): void;
}

const lockPath = (octet: number) => join(tmpdir(), `fizz-fake-cluster-127.${octet}.lock`);

/** Claims a free range, trying `start` first (default: a random one, so clusters rarely contend). */
export function claimSubnet(start = 1 + Math.floor(Math.random() * 254)): Subnet {
  for (let i = 0; i < 254; i++) {
    const octet = ((start - 1 + i) % 254) + 1;
    if (tryLock(octet)) return { octet, release: () => unlinkQuietly(lockPath(octet)) };
  }
  throw new Error("FakeCluster: every loopback range 127.1-254.x.x is claimed by a running cluster");
}

function tryLock(octet: number): boolean {
  const path = lockPath(octet);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (holderAlive(path)) return false;
      unlinkQuietly(path); // stale: its cluster's process is gone
    }
  }
  return false;
}

function holderAlive(path: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(path, "utf8"));
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
