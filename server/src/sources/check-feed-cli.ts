// `npm run check-feed -- [--content-type T] [--base-url U] FILE|URL ...`: one JSON line per input.
// Exits 1 when any input failed, 2 on a usage error.
import { parseArgs } from 'node:util';
import { checkFeed } from './check-feed.js';

const USAGE = 'usage: npm run check-feed -- [--content-type T] [--base-url U] FILE|URL ...';

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { 'content-type': { type: 'string' }, 'base-url': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  let failures = 0;
  for (const input of positionals) {
    const result = await checkFeed(input, {
      ...(values['content-type'] !== undefined ? { contentType: values['content-type'] } : {}),
      ...(values['base-url'] !== undefined ? { baseUrl: values['base-url'] } : {}),
    });
    if (!result.ok) failures++;
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
  return failures > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
