// `npm run usage -- --from YYYY-MM-DD --to YYYY-MM-DD [--key name|ref] [--format csv|json]`:
// the usage roll-ups for billing, read straight from Redis (REDIS_URL), named from the config
// file (TICKER_CONFIG; keys removed from it are named as they were last seen).
import { parseArgs } from 'node:util';
import { AccessRegistry } from '../access/access-registry.js';
import { DEFAULT_REDIS_URL, readEnv } from '../config/env.js';
import { readTickerConfigFile } from '../config/ticker-config.js';
import { createRedis, quitQuietly, waitReady } from '../redis/connection.js';
import { storedPrefix, type RedisTopology } from '../redis/redis-topology.js';
import { USAGE_DEFAULTS } from './usage-config.js';
import { usageCsv } from './usage-csv.js';
import { usageKeys } from './usage-keys.js';
import { usageQuerySchema } from './usage-query.js';
import { usageReport } from './usage-report.js';

const USAGE =
  'usage: npm run usage -- --from YYYY-MM-DD --to YYYY-MM-DD [--key NAME|REF] [--format csv|json] [--prefix P (default: TICKER_PREFIX, else ticker)]';

async function main(): Promise<number> {
  let values: { from?: string; to?: string; key?: string; format?: string; prefix?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        key: { type: 'string' },
        format: { type: 'string', default: 'csv' },
        prefix: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = process.env['TICKER_CONFIG'] ? readTickerConfigFile(process.env['TICKER_CONFIG']) : null;
  const usageConfig = config?.usage ?? USAGE_DEFAULTS;
  const q = usageQuerySchema(usageConfig.retentionDays).safeParse({ from: values.from, to: values.to, key: values.key });
  if (!q.success || (values.format !== 'csv' && values.format !== 'json')) {
    const problems = q.success ? ['--format: csv or json'] : q.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`);
    process.stderr.write(`${problems.join('\n')}\n${USAGE}\n`);
    return 2;
  }
  const known = config === null ? [] : new AccessRegistry(config).keys;
  // The same Redis and prefix the product uses: REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES,
  // and TICKER_PREFIX (validated as the product validates it), unless --prefix says otherwise.
  let topology: RedisTopology;
  let prefix: string;
  try {
    const env = readEnv();
    topology = env.redis ?? { kind: 'standalone', url: DEFAULT_REDIS_URL };
    prefix = values.prefix ?? env.TICKER_PREFIX ?? 'ticker';
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const redis = createRedis(topology, 'usage-cli', 'command');
  redis.on('error', () => undefined);
  try {
    await waitReady(redis, 5000);
    const report = await usageReport(redis, usageKeys(storedPrefix(prefix, topology)), usageConfig, known, q.data);
    process.stdout.write(values.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : usageCsv(report));
    return 0;
  } catch (err) {
    process.stderr.write(`usage: cannot read from Redis: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await quitQuietly(redis);
  }
}

process.exitCode = await main();
