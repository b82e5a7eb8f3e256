import { describe, expect, it } from 'vitest';
import { ConfigError, readEnv } from '../config/env.js';
import { describeTopology, storedPrefix } from './redis-topology.js';

const env = (vars: Record<string, string>) => readEnv(vars);
const problem = (vars: Record<string, string>) => {
  try {
    readEnv(vars);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('Redis topology from the environment', () => {
  it('nothing set: no topology (look at the default address)', () => {
    expect(env({}).redis).toBeNull();
  });

  it('REDIS_URL: one server', () => {
    expect(env({ REDIS_URL: 'redis://10.0.0.5:6380' }).redis).toEqual({ kind: 'standalone', url: 'redis://10.0.0.5:6380' });
  });

  it('REDIS_SENTINELS + REDIS_SENTINEL_NAME: Sentinel, IPv6 and host names accepted', () => {
    const e = env({ REDIS_SENTINELS: 's1:26379, [::1]:26380,10.0.0.3:26381', REDIS_SENTINEL_NAME: 'feed', REDIS_PASSWORD: 'pw' });
    expect(e.redis).toEqual({
      kind: 'sentinel',
      name: 'feed',
      password: 'pw',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: '::1', port: 26380 },
        { host: '10.0.0.3', port: 26381 },
      ],
    });
    expect(describeTopology(e.redis!)).toBe('sentinel feed via s1:26379,::1:26380,10.0.0.3:26381');
  });

  it('REDIS_CLUSTER_NODES: Cluster, and the prefix becomes one hash tag', () => {
    const e = env({ REDIS_CLUSTER_NODES: 'n1:7000,n2:7001' });
    expect(e.redis).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
      ],
    });
    expect(storedPrefix('ticker', e.redis!)).toBe('{ticker}');
    expect(storedPrefix('{ticker}', e.redis!)).toBe('{ticker}');
    expect(storedPrefix('ticker', { kind: 'standalone', url: 'redis://x' })).toBe('ticker');
  });

  it('refuses contradictions and bad values, naming each variable', () => {
    expect(problem({ REDIS_URL: 'redis://a:1', REDIS_CLUSTER_NODES: 'n1:7000' })).toMatch(/REDIS_URL, REDIS_CLUSTER_NODES: set only one/u);
    expect(problem({ REDIS_SENTINELS: 's1:26379' })).toMatch(/REDIS_SENTINEL_NAME: required/u);
    expect(problem({ REDIS_SENTINEL_NAME: 'feed' })).toMatch(/REDIS_SENTINEL_NAME: only meaningful/u);
    expect(problem({ REDIS_SENTINELS: 's1', REDIS_SENTINEL_NAME: 'feed' })).toMatch(/REDIS_SENTINELS.*host:port/u);
    expect(problem({ REDIS_CLUSTER_NODES: 'n1:99999' })).toMatch(/REDIS_CLUSTER_NODES.*port/u);
    expect(problem({ REDIS_CLUSTER_NODES: ' , ' })).toMatch(/REDIS_CLUSTER_NODES.*at least one/u);
    expect(problem({ REDIS_DURABILITY: 'replica' })).toMatch(/REDIS_DURABILITY: replica needs a Redis with replicas/u);
    expect(problem({ REDIS_DURABILITY: 'quorum' })).toMatch(/REDIS_DURABILITY/u);
  });

  it('a URL with a password is shown without it', () => {
    expect(describeTopology({ kind: 'standalone', url: 'redis://user:secret@h:6379/0' })).toBe('redis://***@h:6379/0');
  });
});
