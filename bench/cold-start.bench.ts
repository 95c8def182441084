import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { log, median, repeat, round } from './support/stats';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const HANDLERS = join(ROOT, 'functions', 'handlers');

/**
 * The bundling options of lib/constructs/service-function.ts (NodejsFunction's esbuild call):
 * ESM, node24, minified, external source map without sources, the AWS SDK bundled, the same
 * `require` banner. Kept in sync by hand: importing the construct would load aws-cdk-lib.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __occasionsCreateRequire } from 'node:module'; " +
  'const require = __occasionsCreateRequire(import.meta.url);';

export interface ColdStart {
  handler: string;
  bundleBytes: number;
  gzipBytes: number;
  /** Median ms from `import()` start to its end, in a fresh `node` process. */
  initMs: number;
  /** Median ms of the whole fresh process (node start + import + exit). */
  processMs: number;
  initRuns: number[];
}

/** Bundle size and module-init time of every `functions/handlers/*.handler.ts`. */
export async function benchColdStart(runs: number): Promise<ColdStart[]> {
  const outDir = mkdtempSync(join(tmpdir(), 'occasions-bundles-'));
  try {
    const entries = readdirSync(HANDLERS)
      .filter((name) => name.endsWith('.handler.ts'))
      .sort();
    const results: ColdStart[] = [];
    for (const entry of entries) {
      const outfile = join(outDir, basename(entry, '.ts').replace('.handler', ''), 'index.mjs');
      await build({
        entryPoints: [join(HANDLERS, entry)],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: { js: ESM_REQUIRE_BANNER },
        minify: true,
        sourcemap: true,
        sourcesContent: false,
        external: [],
        absWorkingDir: ROOT,
        logLevel: 'warning',
      });
      const bundle = readFileSync(outfile);
      const samples = await repeat(runs, async () => {
        const script =
          `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(outfile).href)}); ` +
          'process.stdout.write(JSON.stringify({ initMs: performance.now() - t }));';
        const started = performance.now();
        const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
          // What Lambda sets for these functions (service-function.ts), without AWS credentials:
          // the handlers build their clients lazily, so importing them needs none.
          env: {
            PATH: process.env.PATH ?? '',
            AWS_REGION: 'us-east-1',
            NODE_OPTIONS: '--enable-source-maps',
            POWERTOOLS_SERVICE_NAME: 'occasions',
            POWERTOOLS_METRICS_NAMESPACE: 'Occasions',
          },
        });
        const processMs = performance.now() - started;
        return { initMs: (JSON.parse(stdout) as { initMs: number }).initMs, processMs };
      });
      const result: ColdStart = {
        handler: entry,
        bundleBytes: statSync(outfile).size,
        gzipBytes: gzipSync(bundle).length,
        initMs: median(samples.map((s) => s.initMs)),
        processMs: median(samples.map((s) => s.processMs)),
        initRuns: samples.map((s) => round(s.initMs)),
      };
      log(`cold start: ${entry}: ${round(result.bundleBytes / 1024)} KiB, init ${round(result.initMs)} ms`);
      results.push(result);
    }
    return results;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
