#!/usr/bin/env node
// Launcher for the `headline-ticker` CLI: the built code when dist/ exists, otherwise the
// TypeScript source through tsx (a fresh checkout after `npm ci`, no build needed).
// HEADLINE_TICKER_FROM_SOURCE=1 forces the source (the repo's tests use it).
import { existsSync } from 'node:fs';

const built = new URL('../dist/esm/cli/main.js', import.meta.url);
const fromSource = process.env.HEADLINE_TICKER_FROM_SOURCE === '1' || !existsSync(built);
let cli;
if (fromSource) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(new URL('../src/cli/main.ts', import.meta.url).href);
} else {
  cli = await import(built.href);
}
await cli.runProcess();
