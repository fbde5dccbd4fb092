// Which program a specialization names, and how to start it.
//
//   file                    -> that file (functionName is not needed)
//   directory + "name"      -> <dir>/name, else the one file <dir>/name.* ("wc" finds wc.sh);
//                              "bin/tool" names a file below the directory, never outside it
//   directory + ""          -> the directory's only file (else: give an entry point)
//
// The file is made executable if it is not. A file starting with "#!" or an ELF header runs
// as it is; anything else is a shell script without a shebang and runs with /bin/sh.
import { chmod, open, readdir, stat } from "node:fs/promises";
import path from "node:path";

/** The function cannot be loaded; the message is what specialize answers (500). */
export class LoadError extends Error {}

export interface Program {
  /** The executable the user gave. */
  file: string;
  /** What to spawn: the file itself, or /bin/sh with the file as its argument. */
  command: string;
  args: string[];
  /** Working directory of every run: the function's directory. */
  cwd: string;
}

const SH = "/bin/sh";

export async function resolveProgram(filepath: string, functionName: string): Promise<Program> {
  const st = await stat(filepath).catch(() => undefined);
  if (!st) throw new LoadError(`cannot load function: file ${filepath} not found`);
  const file = st.isDirectory() ? await inDirectory(filepath, functionName) : filepath;
  return prepare(file);
}

async function inDirectory(dir: string, name: string): Promise<string> {
  if (name === "") {
    const files = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
    if (files.length === 1) return path.join(dir, files[0]!);
    throw new LoadError(
      `cannot load function: directory ${dir} holds ${files.length === 0 ? "no files" : `${files.length} files (${files.sort().join(", ")})`}; give the program's name as the entry point`,
    );
  }
  const target = path.resolve(dir, name);
  if (!target.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep))
    throw new LoadError(`cannot load function: entry point '${name}' is outside ${dir}`);
  if ((await stat(target).catch(() => undefined))?.isFile()) return target;
  const parent = path.dirname(target);
  const base = path.basename(target);
  const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
  const matches = entries.filter((e) => e.isFile() && e.name.startsWith(`${base}.`)).map((e) => e.name);
  if (matches.length === 1) return path.join(parent, matches[0]!);
  if (matches.length > 1) throw new LoadError(`cannot load function: entry point '${name}' is ambiguous in ${dir} (${matches.sort().join(", ")})`);
  throw new LoadError(`cannot load function: file ${target} not found`);
}

async function prepare(file: string): Promise<Program> {
  const st = await stat(file);
  if (!st.isFile()) throw new LoadError(`cannot load function: ${file} is not a file`);
  const cwd = path.dirname(file);
  const head = Buffer.alloc(4);
  const fh = await open(file, "r").catch((err: NodeJS.ErrnoException) => {
    throw new LoadError(`cannot load function: cannot read ${file}: ${err.code ?? err.message}`);
  });
  try {
    await fh.read(head, 0, 4, 0);
  } finally {
    await fh.close();
  }
  if ((st.mode & 0o111) !== 0o111) {
    try {
      await chmod(file, st.mode | 0o111);
    } catch (err) {
      throw new LoadError(`cannot load function: ${file} is not executable and chmod failed: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  }
  const shebang = head[0] === 0x23 && head[1] === 0x21; // "#!"
  const elf = head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  if (!shebang && !elf) return { file, command: SH, args: [file], cwd };
  return { file, command: file, args: [], cwd };
}
