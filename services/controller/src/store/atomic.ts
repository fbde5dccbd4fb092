// Moved to libs/common (files.ts) so every service writes state the same crash-safe way.
export { isTempFile, syncDir, writeFileAtomic } from "@fizz/common";
