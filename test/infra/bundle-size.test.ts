import { readdirSync } from 'node:fs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BUNDLE_BUDGET_KIB, esbuildOptions, HANDLERS_DIR } from '../../lib/constructs/bundling';

/** Every Lambda entry point: `functions/handlers/*.handler.ts`. */
const handlers = readdirSync(HANDLERS_DIR).filter((name) => name.endsWith('.handler.ts'));

describe('bundle-size budget per function', () => {
  it('has a budget for every handler', () => {
    for (const handler of handlers) expect(BUNDLE_BUDGET_KIB[handler], handler).toBeGreaterThan(0);
  });

  // One esbuild run per handler with the options NodejsFunction gets (lib/constructs/bundling.ts).
  it.each(handlers)(
    'bundles %s within its budget',
    async (handler) => {
      const result = await build(esbuildOptions(handler));
      const code = result.outputFiles?.find((file) => file.path.endsWith('index.mjs'));
      expect(result.errors).toEqual([]);
      expect(code, 'index.mjs').toBeDefined();
      expect(result.outputFiles?.some((file) => file.path.endsWith('index.mjs.map'))).toBe(true);
      const kib = code!.contents.byteLength / 1024;
      expect(kib, `${handler}: ${kib.toFixed(0)} KiB`).toBeLessThanOrEqual(BUNDLE_BUDGET_KIB[handler]!);
    },
    60_000,
  );
});
