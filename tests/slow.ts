/**
 * A test that trains for long or waits on the clock: `npm test` runs it, `npm run test:unit` (which
 * sets TSRL_UNIT=1, vitest.unit.config.ts) skips it, so the inner loop stays under a minute.
 */
import { it } from "vitest";

export const itSlow = it.skipIf(process.env.TSRL_UNIT === "1");
