/**
 * A build log with a byte budget: the first half of the budget keeps the head (the command, the
 * first errors), the second half the most recent output (the failure at the end); what falls in
 * between is replaced by one "… N bytes omitted …" marker.
 */
export class BoundedLog {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private omitted = 0;
  private readonly headMax: number;
  private readonly tailMax: number;

  constructor(maxBytes: number) {
    this.headMax = Math.floor(maxBytes / 2);
    this.tailMax = maxBytes - this.headMax;
  }

  write(chunk: Buffer | string): void {
    let buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (this.headBytes < this.headMax) {
      const take = Math.min(buf.length, this.headMax - this.headBytes);
      this.head.push(buf.subarray(0, take));
      this.headBytes += take;
      buf = buf.subarray(take);
    }
    if (buf.length === 0) return;
    this.tail.push(buf);
    this.tailBytes += buf.length;
    this.trimTail();
  }

  /** Appends a line of the builder's own (headers, verdicts). */
  line(text: string): void {
    this.write(`${text}\n`);
  }

  /** Bytes dropped from the middle so far. */
  get omittedBytes(): number {
    return this.omitted;
  }

  toString(): string {
    const head = Buffer.concat(this.head).toString("utf8");
    const tail = Buffer.concat(this.tail).toString("utf8");
    if (this.omitted === 0) return head + tail;
    return `${head}\n… ${this.omitted} bytes omitted …\n${tail}`;
  }

  private trimTail(): void {
    while (this.tailBytes > this.tailMax) {
      const first = this.tail[0]!;
      const excess = this.tailBytes - this.tailMax;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
        this.omitted += first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
        this.omitted += excess;
      }
    }
  }
}
