// Checks shared by several kinds' validation: names inside specs and function references.
import type { FunctionReference } from "@fizz/proto";
import { checkName } from "@fizz/common";

export type Fail = (msg: string) => Error;

/** checkName, with the message prefixed by the resource being validated. */
export function checkNamed(name: string, field: string, fail: Fail): void {
  try {
    checkName(name, field);
  } catch (err) {
    throw fail((err as Error).message);
  }
}

/**
 * A trigger's functionref: type "name" (the default) or, where `weighted`, "function-weights"
 * adding up to 100. Fills in the default type.
 */
export function validateFunctionRef(ref: FunctionReference | undefined, fail: Fail, weighted: boolean): void {
  if (!ref) throw fail("spec.functionref is required (the function to call)");
  if (!ref.type) ref.type = "name";
  if (ref.type === "name") {
    checkNamed(ref.name, "spec.functionref.name", fail);
    if (Object.keys(ref.functionweights).length > 0)
      throw fail('spec.functionref.functionweights is only used with type "function-weights"');
  } else if (ref.type === "function-weights" && weighted) {
    const entries = Object.entries(ref.functionweights);
    if (entries.length === 0) throw fail('spec.functionref.functionweights needs at least one function for type "function-weights"');
    let sum = 0;
    for (const [fn, w] of entries) {
      checkNamed(fn, "function name in spec.functionref.functionweights", fail);
      if (!Number.isInteger(w) || w < 0 || w > 100) throw fail(`weight ${w} of function "${fn}" must be between 0 and 100`);
      sum += w;
    }
    if (sum !== 100) throw fail(`spec.functionref.functionweights must add up to 100, got ${sum}`);
  } else
    throw fail(`spec.functionref.type "${ref.type}" is not supported: use "name"${weighted ? ' or "function-weights"' : ""}`);
}
