// The optional CGI header block at the start of a program's output.
//
// Rule: the output starts with a header block when its first line is a `Status:`,
// `Content-Type:` or `Location:` header (names case-insensitive), every line up to the first
// empty line is a `Name: value` header (Name an HTTP token), and that empty line comes within
// the first 64 KiB. Lines end with "\n" or "\r\n". The block is then removed from the body:
//   Status: 404 Not Found      -> the status (the reason phrase is optional)
//   Location: /elsewhere       -> 302 unless a Status line says otherwise
//   any other header           -> a response header (repeatable, e.g. Set-Cookie)
// Anything else is all body: 200, `Content-Type: text/plain; charset=utf-8` unless the block set one.
export const DEFAULT_CONTENT_TYPE = "text/plain; charset=utf-8";
export const MAX_HEADER_BLOCK = 64 * 1024;

export interface CgiOutput {
  status: number;
  reason?: string;
  headers: Array<[string, string]>;
  body: Buffer;
}

const TRIGGER = /^(status|content-type|location)[ \t]*:/i;
const HEADER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*:[ \t]*(.*?)[ \t]*$/;

export function parseOutput(out: Buffer): CgiOutput {
  const plain = (): CgiOutput => ({ status: 200, headers: [["content-type", DEFAULT_CONTENT_TYPE]], body: out });
  const firstLineEnd = out.indexOf(10);
  if (firstLineEnd < 0 || !TRIGGER.test(out.subarray(0, Math.min(firstLineEnd, 64)).toString("latin1"))) return plain();

  const lines: string[] = [];
  let pos = 0;
  for (;;) {
    const nl = out.indexOf(10, pos);
    if (nl < 0 || nl >= MAX_HEADER_BLOCK) return plain();
    const line = out.subarray(pos, nl > pos && out[nl - 1] === 13 ? nl - 1 : nl).toString("latin1");
    pos = nl + 1;
    if (line === "") break;
    lines.push(line);
  }

  let status: number | undefined;
  let reason: string | undefined;
  let location = false;
  let contentType = false;
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    const m = HEADER.exec(line);
    if (!m) return plain();
    const name = m[1]!.toLowerCase();
    const value = m[2]!;
    if (name === "status") {
      const s = /^(\d{3})(?:\s+(.*))?$/.exec(value);
      if (!s || Number(s[1]) < 100 || Number(s[1]) > 599) return plain();
      status = Number(s[1]);
      reason = s[2] || undefined;
      continue;
    }
    if (name === "location") location = true;
    if (name === "content-type") contentType = true;
    headers.push([m[1]!, value]);
  }
  if (!contentType) headers.push(["content-type", DEFAULT_CONTENT_TYPE]);
  return { status: status ?? (location ? 302 : 200), reason, headers, body: out.subarray(pos) };
}
