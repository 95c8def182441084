import { defineConfig } from 'vitest/config';

// One config for every tier; each tier lives in its own folder under test/.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time even on a 2-core machine (vitest's default there is one): most of the
    // e2e and fault tests wait on child processes, sockets and a browser, not on the CPU. On this
    // machine the suite took 297 s with one worker and 180 s with two, with every test passing.
    maxWorkers: 2,
    // Powertools stays quiet in tests: no EMF blobs, only errors (set LOG_LEVEL to see more).
    // X-Ray in manual mode: no per-promise hook in the test processes (as `npm start`).
    env: {
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: process.env.LOG_LEVEL ?? 'ERROR',
      AWS_XRAY_MANUAL_MODE: 'true',
    },
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]]
      : ['default'],
  },
});
