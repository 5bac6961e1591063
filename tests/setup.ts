/**
 * Lets Node's own `require` load the library's TypeScript inside vitest, as it does under the CLI
 * and the kernel (lib/node/register-ts.cjs): lib/core/registry.ts loads the built-in environments
 * lazily with `require`, so modules work when imported alone.
 */
import { createRequire } from "node:module";

createRequire(__filename)("../lib/node/register-ts.cjs");
