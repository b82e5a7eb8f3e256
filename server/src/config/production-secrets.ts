import { ConfigError } from './env.js';
import type { TickerConfig } from './ticker-config.js';

/** Shorter than this, a secret can be guessed or was typed by hand. */
export const PRODUCTION_SECRET_MIN = 24;

/**
 * Below this, a secret of allowed length is too repetitive to have been generated (24 × "a" has 0
 * bits, "abab…" 24): its characters' Shannon entropy times its length. 24 random hex digits
 * measure about 75, `openssl rand -base64 32` about 220.
 */
export const PRODUCTION_SECRET_MIN_BITS = 48;

/** The secret's characters' Shannon entropy, in bits, times its length. */
export function entropyBits(secret: string): number {
  const counts = new Map<string, number>();
  let n = 0;
  for (const ch of secret) {
    counts.set(ch, (counts.get(ch) ?? 0) + 1);
    n++;
  }
  let perChar = 0;
  for (const c of counts.values()) perChar -= (c / n) * Math.log2(c / n);
  return perChar * n;
}

// The examples' and the development set's markers: a secret that contains one was copied, not generated.
const PLACEHOLDER = /change_?me|replace_?me|example|placeholder|your_?key|_dev_|xxxx/iu;

/** Each problem as `field: message`; empty when every secret is long, varied and not a placeholder. */
export function productionSecretProblems(config: TickerConfig): string[] {
  const problems: string[] = [];
  const check = (field: string, secret: string | undefined) => {
    if (secret === undefined) return; // given as a SHA-256 digest: its secret never reaches us
    if (PLACEHOLDER.test(secret)) problems.push(`${field}: is an example placeholder; generate one (openssl rand -base64 32)`);
    else if (secret.length < PRODUCTION_SECRET_MIN)
      problems.push(`${field}: must be at least ${PRODUCTION_SECRET_MIN} characters in production`);
    else if (entropyBits(secret) < PRODUCTION_SECRET_MIN_BITS)
      problems.push(`${field}: is too repetitive to be random; generate one (openssl rand -base64 32)`);
  };
  config.editors.forEach((e, i) => check(`editors.${i}.token`, e.token));
  config.keys.forEach((k, i) => check(`keys.${i}.key`, k.key));
  return problems;
}

/** Throws a ConfigError naming every weak secret (NODE_ENV=production only). */
export function assertProductionSecrets(config: TickerConfig, origin: string): void {
  const problems = productionSecretProblems(config);
  if (problems.length > 0) throw new ConfigError(`weak secrets ${origin} (NODE_ENV=production):\n  ${problems.join('\n  ')}`);
}
