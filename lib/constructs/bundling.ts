import { join, resolve } from 'node:path';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/** Repository root: the esbuild project root, where package.json, its "imports" and the lock file live. */
export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');
export const HANDLERS_DIR = join(PROJECT_ROOT, 'functions', 'handlers');

/** Matches the Lambda runtime ServiceFunction uses (Node.js 24). */
const ESBUILD_TARGET = 'node24';

/**
 * ESM bundles still contain CommonJS dependencies (aws-xray-sdk-core, parts of the AWS SDK) that
 * call `require` for Node built-ins; esbuild's ESM output has no `require`, so give it one.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __occasionsCreateRequire } from 'node:module'; " +
  'const require = __occasionsCreateRequire(import.meta.url);';

/** ESM packages first: smaller bundles and no CommonJS interop where a package offers both. */
const MAIN_FIELDS = ['module', 'main'];

/**
 * Largest minified bundle (index.mjs, without its source map) each handler may produce, in KiB.
 * Cold starts grow with the code Lambda must load and parse; a budget makes a new heavy
 * dependency a conscious decision instead of a surprise. test/infra/bundle-size.test.ts builds
 * every handler with {@link esbuildOptions} and checks it against this table; raise a budget only
 * together with a reason in the commit. Measured sizes are in docs/deploy.md.
 */
export const BUNDLE_BUDGET_KIB: Readonly<Record<string, number>> = {
  // Routes, zod schemas and the OpenAPI document grow with the operations API; since issue 7 it
  // also carries the console's minified assets and the CloudWatch client (GET /v1/metrics).
  'api.handler.ts': 1500,
  // ~440 KiB of it is zod, reached through #api/http for one header lookup: moving headerOf into
  // a zod-free module would halve it (measured 956 KiB, November 2026).
  'authorizer.handler.ts': 1100,
  'replay.handler.ts': 1000,
  'scheduler.handler.ts': 750,
  'worker.handler.ts': 800,
};

/**
 * How NodejsFunction bundles every handler: one ESM file, minified, with a source map (no
 * sources inside: stack traces keep file:line, the code stays out of the map), AWS SDK bundled at
 * the versions package-lock.json pins (tests run against those; the runtime's copy changes
 * without notice).
 */
export function nodejsBundling(): nodejs.BundlingOptions {
  return {
    format: nodejs.OutputFormat.ESM,
    target: ESBUILD_TARGET,
    mainFields: MAIN_FIELDS,
    banner: ESM_REQUIRE_BANNER,
    minify: true,
    sourceMap: true,
    sourceMapMode: nodejs.SourceMapMode.DEFAULT,
    sourcesContent: false,
    bundleAwsSDK: true,
    externalModules: [],
    logLevel: nodejs.LogLevel.WARNING,
  };
}

/**
 * The same build through esbuild's JS API (what `nodejsBundling()` makes NodejsFunction run on the
 * command line), writing to memory: the bundle-size test measures exactly what would be deployed.
 */
export function esbuildOptions(entry: string): BuildOptions {
  return {
    entryPoints: [join(HANDLERS_DIR, entry)],
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: ESBUILD_TARGET,
    mainFields: MAIN_FIELDS,
    banner: { js: ESM_REQUIRE_BANNER },
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external: [],
    outfile: join(PROJECT_ROOT, 'cdk.out', 'bundle-size', entry.replace(/\.ts$/, ''), 'index.mjs'),
    write: false,
    logLevel: 'warning',
  };
}
