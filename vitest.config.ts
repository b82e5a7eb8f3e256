import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources under this condition (see package.json
// "exports"), so tests run the code as written, with no build step.
const conditions = ['ticker-source'];

export default defineConfig({
  resolve: { conditions: [...conditions, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [...conditions, ...defaultServerConditions], externalConditions: conditions } },
  test: {
    include: ['test/**/*.test.ts', '{server,client-sdk,widgets}/src/**/*.test.ts'],
    // One redis-server for the run; files isolate themselves by key prefix (test/helpers/harness.ts).
    globalSetup: ['test/helpers/global-redis.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two cores: files that start redis-servers, gateways and browsers contend for them.
    maxWorkers: 2,
    reporters: ['default'],
    typecheck: { enabled: true, include: ['{client-sdk,widgets,test}/**/*.test-d.ts'], tsconfig: './test/tsconfig.json' },
  },
});
