// The config the process starts with: the file TICKER_CONFIG names (checked for production, with
// the environment's overrides), or the development set, said out loud.
import cluster from 'node:cluster';
import type { Logger } from '../logger.js';
import { ConfigError, type Env } from './env.js';
import { assertProductionSecrets } from './production-secrets.js';
import { developmentConfig, readTickerConfigFile, type TickerConfig } from './ticker-config.js';

/** The config file, checked for production, with the environment's overrides applied. */
export function readConfig(env: Env, path: string): TickerConfig {
  const config = readTickerConfigFile(path);
  if (env.production) assertProductionSecrets(config, `in ${path}`);
  return env.TRUSTED_PROXIES === undefined ? config : { ...config, trustedProxies: env.TRUSTED_PROXIES };
}

export function loadConfig(env: Env, logger: Logger): TickerConfig {
  if (env.TICKER_CONFIG !== undefined) return readConfig(env, env.TICKER_CONFIG);
  if (env.production) throw new ConfigError('TICKER_CONFIG: required when NODE_ENV=production (the development keys are public)');
  const config = developmentConfig(env.PORT);
  if (cluster.isWorker) return config; // the primary of one process per core has said it
  logger.warn('TICKER_CONFIG not set: using the development set below (never in production)');
  const lines = [
    '',
    '  Development access (TICKER_CONFIG unset):',
    ...config.editors.map((e) => `    editor ${e.name.padEnd(24)} token ${e.token}`),
    ...config.keys.map((k) => `    key    ${k.name.padEnd(24)} ${k.key}${k.origins ? `  (widget: ${k.origins.join(', ')})` : ''}`),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return config;
}
