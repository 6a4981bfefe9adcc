import { defineConfig } from 'vitest/config';

/** End-to-end tests (serve mode + headless Chromium, Electron under Xvfb): `npm run test:e2e` after a build. */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
