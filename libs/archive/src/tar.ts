import { createGunzip } from "node:zlib";
import { extract as tarExtract, type Extract } from "tar-stream";
import { isFizzError } from "@fizz/common";
import { malformed, quote, tooLarge, unsafe } from "./paths.js";
import type { Sink } from "./sink.js";

const CHUNK = 64 * 1024;

function* slices(buf: Uint8Array): Generator<Uint8Array> {
  for (let o = 0; o < buf.length; o += CHUNK) yield buf.subarray(o, o + CHUNK);
}

/**
 * Gunzips with a budget on the output: the entries' bytes plus room for tar headers and padding
 * (and pax headers), so a gzip of endless zeros or headers is refused early.
 */
async function* gunzip(buf: Uint8Array, sink: Sink): AsyncGenerator<Uint8Array> {
  const gz = createGunzip();
  gz.end(buf);
  let total = 0;
  try {
    for await (const c of gz as AsyncIterable<Buffer>) {
      total += c.length;
      const budget = sink.limits.maxBytes + (sink.entries + 1) * 8192 + 1024 * 1024;
      if (total > budget) throw tooLarge(`gzip data inflates beyond the ${sink.limits.maxBytes}-byte limit`);
      yield c;
    }
  } catch (err) {
    if (isFizzError(err)) throw err;
    throw malformed("tar.gz", (err as Error).message);
  } finally {
    gz.destroy();
  }
}

/** Feeds the parser with backpressure; a source failure destroys the parser with that error. */
async function feed(src: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, ex: Extract): Promise<void> {
  try {
    for await (const c of src) {
      if (ex.destroyed) return;
      if (!ex.write(c))
        await new Promise<void>((resolve) => {
          const done = () => {
            ex.off("drain", done);
            ex.off("close", done);
            resolve();
          };
          ex.on("drain", done);
          ex.on("close", done);
        });
    }
    if (!ex.destroyed) ex.end(undefined); // streamx types insist on an argument
  } catch (err) {
    ex.destroy(err as Error);
  }
}

export async function readTar(buf: Uint8Array, gzipped: boolean, sink: Sink): Promise<void> {
  const format = gzipped ? "tar.gz" : "tar";
  const ex = tarExtract();
  const fed = feed(gzipped ? gunzip(buf, sink) : slices(buf), ex);
  try {
    for await (const entry of ex) {
      const h = entry.header;
      const type = h.type as string | null;
      switch (type) {
        case "file":
        case "contiguous-file":
          await sink.file(h.name, h.mode, h.size, entry as AsyncIterable<Uint8Array>);
          break;
        case "directory":
          await sink.dir(h.name, h.mode);
          break;
        case "symlink":
          sink.symlink(h.name, h.linkname ?? "");
          break;
        case "link":
          await sink.hardlink(h.name, h.linkname ?? "");
          break;
        case "character-device":
        case "block-device":
        case "fifo":
          throw unsafe(`entry ${quote(h.name)} is a ${type}`);
        default:
          throw unsafe(`entry ${quote(h.name)} has an unsupported type (${String(type)})`);
      }
      entry.resume(); // drain whatever a non-file entry carries
    }
  } catch (err) {
    if (isFizzError(err)) throw err;
    throw malformed(format, (err as Error).message);
  } finally {
    ex.destroy();
    await fed;
  }
}
