import { defineConfig } from 'vitest/config';

// One config for every tier; each tier lives in its own folder under test/.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Powertools stays quiet in tests: no EMF blobs, only errors (set LOG_LEVEL to see more).
    env: { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: process.env.LOG_LEVEL ?? 'ERROR' },
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]]
      : ['default'],
  },
});
