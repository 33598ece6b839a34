import { defineConfig } from 'vitest/config';

// The fault suite (scripts/faults.sh): its own run, so `npm test` stays the README's test command
// and the table counts only fault cases.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    maxWorkers: 3,
    reporters: ['default'],
  },
});
