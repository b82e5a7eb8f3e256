// The shipped dashboard and alerts: the rules pass `promtool check rules` and their unit tests
// (`promtool test rules`, Debian's prometheus package), and every metric they and the dashboard
// query is one the server really exports. docs/operations.md names every alert.
import { execFile as execFileCb, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTicker } from '../../server/src/ticker.js';
import { useStack } from '../helpers/harness.js';
import { ROOT } from '../helpers/stack.js';

// The run's shared redis-server under a key prefix of this file's own; tickers start in beforeAll.
const stack = useStack({ ticker: false });

const execFile = promisify(execFileCb);
const ALERTS = join(ROOT, 'deploy/prometheus/alerts.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/headline-ticker.json');

function promtool(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).trim();
  } catch {
    // Not a skip: the rules would ship unchecked. .ci/run installs it.
    throw new Error('promtool not found: apt-get install prometheus (Debian package; .ci/run installs it)');
  }
}

interface Dashboard {
  panels: { id: number; title: string; targets: { expr: string }[] }[];
}
interface Rules {
  groups: { rules: { alert: string; expr: string }[] }[];
}

const metricNames = (expr: string) => [...expr.matchAll(/\bticker_[a-z_]+/gu)].map((m) => m[0].replace(/_(bucket|sum|count)$/u, ''));

describe('Prometheus alerts and the Grafana dashboard', () => {
  let ticker: RunningTicker;
  let exported: Set<string>;
  const rules = parse(readFileSync(ALERTS, 'utf8')) as Rules;
  const alerts = rules.groups.flatMap((g) => g.rules);
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;

  beforeAll(async () => {
    ticker = await stack.startTicker();
    const text = await (await fetch(`${ticker.url}/metrics`)).text();
    exported = new Set([...text.matchAll(/^# TYPE (\S+)/gmu)].map((m) => m[1]!));
  });
  afterAll(async () => {
    await ticker?.close();
  });

  it('promtool check rules passes', async () => {
    const { stdout } = await execFile(promtool(), ['check', 'rules', ALERTS]);
    expect(stdout).toMatch(new RegExp(`SUCCESS: ${alerts.length} rules found`, 'u'));
  });

  it('promtool test rules: each alert fires when it should and not before', async () => {
    const { stdout, stderr } = await execFile(promtool(), ['test', 'rules', 'alerts.test.yml'], { cwd: join(ROOT, 'deploy/prometheus') });
    expect(stdout + stderr).toMatch(/SUCCESS/u);
  });

  it('alerts on gateway down, delivery lag, slow-consumer sheds, a failing feed and the log near its ceiling', () => {
    const expr = (name: string) => alerts.find((a) => a.alert === name)?.expr ?? '';
    expect(expr('TickerGatewayDown')).toMatch(/\bup\{/u);
    expect(expr('TickerDeliveryLag')).toMatch(/ticker_publish_to_emit_seconds_bucket/u);
    expect(expr('TickerSlowConsumerSheds')).toMatch(/ticker_sockets_shed_total\{reason="slow_consumer"\}/u);
    expect(expr('TickerFeedFailing')).toMatch(/ticker_feed_consecutive_failures/u);
    expect(expr('TickerLogNearCeiling')).toMatch(/ticker_log_events/u);
  });

  it('the dashboard shows deliveries, lag, sockets, shed clients, queue depth, feed failures and log size', () => {
    const queried = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr))));
    for (const m of [
      'ticker_gateway_emits_total',
      'ticker_publish_to_emit_seconds',
      'ticker_sockets_connected',
      'ticker_sockets_shed_total',
      'ticker_queue_jobs',
      'ticker_feed_consecutive_failures',
      'ticker_log_events',
    ]) {
      expect(queried, m).toContain(m);
    }
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('queries only metrics the server exports', () => {
    const used = new Set([
      ...alerts.flatMap((a) => metricNames(a.expr)),
      ...dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr))),
    ]);
    expect(exported.size).toBeGreaterThan(10);
    expect([...used].filter((m) => !exported.has(m))).toEqual([]);
  });

  it('docs/operations.md names every alert and the dashboard file', () => {
    const doc = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    expect(alerts.map((a) => a.alert).filter((name) => !doc.includes(name))).toEqual([]);
    expect(doc).toContain('deploy/grafana/headline-ticker.json');
  });
});
