// Which command builds a package: its own buildcmd, else the Environment's builder command,
// else the default builder for the Environment's image. A new language is one row in DEFAULTS.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Environment, Package } from "@fizz/proto";

/** Single-quotes a string for sh. */
export const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

// Copies the sources (node_modules and dotfiles included) into the deployment, like `cp -r src/. deploy/`.
const COPY = `echo '$ cp -R "$SRC_PKG/." "$DEPLOY_PKG/"'\ncp -R "$SRC_PKG/." "$DEPLOY_PKG/"`;

/** The npm shipped with the node running us, so builds use a matching npm; else npm from PATH. */
function npmCommand(): string {
  const beside = join(dirname(process.execPath), "npm");
  return existsSync(beside) ? shQuote(beside) : "npm";
}

// A registry prefix (ghcr.io/, localhost:5000/) and Fission's image names are accepted as they are.
const registry = String.raw`^(?:[\w.-]+(?::\d+)?/)*`;

interface DefaultBuilder {
  name: string;
  images: RegExp[];
  /** A POSIX sh script run in the source directory with SRC_PKG and DEPLOY_PKG set. */
  script: () => string;
}

const DEFAULTS: DefaultBuilder[] = [
  {
    name: "nodejs",
    images: [/^node(?:js)?(?:[-:@\d.]|$)/, new RegExp(`${registry}fission/node-(?:builder|env)`)],
    script: () =>
      [
        "set -e",
        "if [ -f package.json ]; then",
        "  echo '$ npm install --omit=dev --no-audit --no-fund'",
        `  ${npmCommand()} install --omit=dev --no-audit --no-fund`,
        "fi",
        COPY,
      ].join("\n"),
  },
  {
    name: "python",
    images: [/^python(?:[-:@\d.]|$)/, new RegExp(`${registry}fission/python-(?:builder|env)`)],
    script: () =>
      [
        "set -e",
        "if [ -f requirements.txt ]; then",
        `  echo '$ python3 -m pip install -r requirements.txt -t "$DEPLOY_PKG"'`,
        `  python3 -m pip install --disable-pip-version-check --no-input -r requirements.txt -t "$DEPLOY_PKG"`,
        "fi",
        COPY,
      ].join("\n"),
  },
];

export interface BuildPlan {
  /** Where the command came from, for the log header. */
  origin: "buildcmd" | "environment" | "default" | "none";
  /** The line the log header shows. */
  describe: string;
  /** What `sh -c` runs in the source directory. */
  script: string;
  /** A relative executable named by the buildcmd (e.g. "./build.sh"), to make executable. */
  executable?: string;
}

/** The default builder's name for an image, if one applies. */
export function defaultBuilderFor(image: string): string | undefined {
  const img = image.trim().toLowerCase();
  return DEFAULTS.find((b) => b.images.some((re) => re.test(img)))?.name;
}

export function planBuild(pkg: Package, env: Environment | undefined): BuildPlan {
  const buildcmd = pkg.spec?.buildcmd.trim();
  if (buildcmd) return { origin: "buildcmd", describe: `$ ${buildcmd}`, script: buildcmd, executable: firstWordPath(buildcmd) };
  const envCmd = env?.spec?.builder?.command.trim();
  if (envCmd) return { origin: "environment", describe: `$ ${envCmd}`, script: envCmd, executable: firstWordPath(envCmd) };
  // The builder image names the toolchain when given; else the runtime image does.
  for (const image of [env?.spec?.builder?.image, env?.spec?.runtime?.image]) {
    if (!image) continue;
    const b = DEFAULTS.find((d) => d.name === defaultBuilderFor(image));
    if (b) return { origin: "default", describe: `# default ${b.name} builder (image "${image}")`, script: b.script() };
  }
  const image = env?.spec?.builder?.image || env?.spec?.runtime?.image || "";
  return {
    origin: "none",
    describe: `# no builder for image "${image}" and no buildcmd: source deployed as is`,
    script: COPY,
  };
}

/** "./build.sh arg" → "./build.sh"; only relative paths inside the source tree qualify. */
function firstWordPath(cmd: string): string | undefined {
  const first = cmd.split(/\s+/)[0] ?? "";
  if (!first.includes("/") || first.startsWith("/") || /["'$`\\]/.test(first)) return undefined;
  return first;
}
