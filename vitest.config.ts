import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fault suite counts its own cases: scripts/faults.sh.
    exclude: ['test/faults/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites share one Docker engine on a 2-core machine; files run in parallel
    // but not so many that health-check deadlines become meaningless.
    maxWorkers: 3,
    reporters: ['default'],
  },
});
