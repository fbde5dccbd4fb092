// fizz pkg getsrc --name N --output FILE|-: the package's source archive, checksum checked.
import type { Command } from "commander";
import { registerFetch } from "./fetch.js";

export function register(group: Command): void {
  registerFetch(group, "getsrc");
}
