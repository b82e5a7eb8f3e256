// The config's safe defaults, and the production secret rules, as units (docs/access.md, "Production secrets").
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { entropyBits, productionSecretProblems } from './production-secrets.js';
import { parseTickerConfig } from './ticker-config.js';

const minimal = {
  keys: [{ key: 'sdk_a_long_enough_key_123', name: 'a' }],
  editors: [{ name: 'desk', token: 'ed_a_long_enough_token_123' }],
};

describe('the config', () => {
  it('trusts X-Forwarded-For from loopback only unless told otherwise', () => {
    expect(parseTickerConfig(minimal, 'test').trustedProxies).toEqual(['loopback']);
    expect(parseTickerConfig({ ...minimal, trustedProxies: ['172.28.0.10'] }, 'test').trustedProxies).toEqual(['172.28.0.10']);
  });
});

describe('production secrets', () => {
  it('measure repetitive secrets as weak and generated ones as strong', () => {
    expect(entropyBits('a'.repeat(24))).toBe(0);
    expect(entropyBits('ab'.repeat(12))).toBe(24);
    expect(entropyBits(randomBytes(32).toString('base64'))).toBeGreaterThan(150);
  });

  it('name each weak field: placeholder, short, repetitive', () => {
    const config = parseTickerConfig(
      {
        keys: [
          { key: 'sdk_CHANGE_ME_0000000000', name: 'placeholder' },
          { key: 'short_key_123', name: 'short' },
          { key: 'ab'.repeat(15), name: 'repetitive' },
          { key: randomBytes(24).toString('base64url'), name: 'generated' },
        ],
        editors: [{ name: 'desk', token: randomBytes(24).toString('base64url') }],
      },
      'test',
    );
    const problems = productionSecretProblems(config);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^keys\.0\.key: is an example placeholder/u);
    expect(problems[1]).toMatch(/^keys\.1\.key: must be at least 24/u);
    expect(problems[2]).toMatch(/^keys\.2\.key: is too repetitive/u);
  });
});
