// Reads the Prometheus text exposition format (what every service's /metrics serves): for tests
// that assert names, types and labels, and for readers of a service's metrics without a
// Prometheus server in between.

export interface Sample {
  /** Series name as written (`x_bucket`, `x_sum`, `x_total`…). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedMetrics {
  /** Family name → its `# TYPE`. */
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL = /[a-zA-Z_][a-zA-Z0-9_]*/y;

function parseLine(line: string): Sample {
  let pos = 0;
  const name = token(NAME, line, pos, "a metric name");
  pos += name.length;
  const labels: Record<string, string> = {};
  if (line[pos] === "{") {
    pos++;
    for (;;) {
      pos = skipSpaces(line, pos);
      if (line[pos] === "}") break;
      const key = token(LABEL, line, pos, "a label name");
      pos = skipSpaces(line, pos + key.length);
      if (line[pos] !== "=") throw new Error(`expected "=" after label ${key}`);
      pos = skipSpaces(line, pos + 1);
      if (line[pos] !== '"') throw new Error(`expected a quoted value for label ${key}`);
      const [value, end] = quoted(line, pos + 1);
      if (key in labels) throw new Error(`label ${key} given twice`);
      labels[key] = value;
      pos = skipSpaces(line, end);
      if (line[pos] === ",") pos++;
      else if (line[pos] !== "}") throw new Error(`expected "," or "}" after label ${key}`);
    }
    pos++;
  }
  if (line[pos] !== " " && line[pos] !== "\t") throw new Error("expected a space before the value");
  const [valueText, ts, extra] = line.slice(pos).trim().split(/[ \t]+/);
  if (extra !== undefined || (ts !== undefined && !/^-?\d+$/.test(ts))) throw new Error("expected a value and an optional integer timestamp");
  return { name, labels, value: number(valueText ?? "") };
}

function token(re: RegExp, s: string, pos: number, what: string): string {
  re.lastIndex = pos;
  const m = re.exec(s);
  if (!m) throw new Error(`expected ${what} at column ${pos + 1}`);
  return m[0];
}

const skipSpaces = (s: string, pos: number) => {
  while (s[pos] === " " || s[pos] === "\t") pos++;
  return pos;
};

/** The label value starting after its opening quote, and the position after its closing quote. */
function quoted(s: string, pos: number): [string, number] {
  let v = "";
  for (let i = pos; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') return [v, i + 1];
    if (c !== "\\") {
      v += c;
      continue;
    }
    const n = s[++i];
    if (n === "n") v += "\n";
    else if (n === "\\" || n === '"') v += n;
    else throw new Error(`bad escape "\\${n ?? ""}" in a label value`);
  }
  throw new Error("unterminated label value");
}

function number(text: string): number {
  // Case-insensitive like Prometheus's own parser: prom-client writes "Nan".
  const t = text.toLowerCase();
  if (t === "+inf" || t === "inf") return Infinity;
  if (t === "-inf") return -Infinity;
  if (t === "nan") return NaN;
  // Number("") is 0 and Number("0x10") is 16: neither is a sample value.
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`"${text}" is not a number`);
  return Number(text);
}

/** Parses the text format (0.0.4; OpenMetrics' `# EOF` accepted); a malformed line is an error naming it. */
export function parseMetrics(text: string): ParsedMetrics {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    if (line.startsWith("#")) {
      const t = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (t) types.set(t[1]!, t[2]!);
      continue;
    }
    try {
      samples.push(parseLine(line));
    } catch (err) {
      throw new Error(`bad metrics line ${i + 1}: ${(err as Error).message}: ${line.length > 120 ? `${line.slice(0, 120)}…` : line}`);
    }
  }
  return { types, samples };
}

/** Sum of the samples named `name` whose labels include `match`. */
export function sampleValue(p: ParsedMetrics, name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of p.samples) if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  return sum;
}

/** The label names of every sample named `name` (sorted, deduplicated), e.g. to assert a label set. */
export function labelSets(p: ParsedMetrics, name: string): string[][] {
  const seen = new Map<string, string[]>();
  for (const s of p.samples) {
    if (s.name !== name) continue;
    const keys = Object.keys(s.labels).sort();
    seen.set(keys.join(","), keys);
  }
  return [...seen.values()];
}
