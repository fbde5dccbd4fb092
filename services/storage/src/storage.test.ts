import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { storageServiceSuite } from "./__fixtures__/service-suite.js";

storageServiceSuite("the filesystem", async () => {
  const stateDir = await mkdtemp(join(tmpdir(), "fizz-storage-"));
  const dir = join(stateDir, "storage");
  return {
    env: { FIZZ_STATE_DIR: stateDir },
    names: async () => (await readdir(dir)).sort(),
    corrupt: (id, content) => writeFile(join(dir, id), content),
    cleanup: () => rm(stateDir, { recursive: true, force: true }),
  };
});
