import { ConfigError } from './env.js';
import type { TickerConfig } from './ticker-config.js';

/** Shorter than this, a secret can be guessed or was typed by hand. */
export const PRODUCTION_SECRET_MIN = 24;

// The examples' and the development set's markers: a secret that contains one was copied, not generated.
const PLACEHOLDER = /change_?me|replace_?me|example|placeholder|your_?key|_dev_|xxxx/iu;

/** Each problem as `field: message`; empty when every secret is long and not a placeholder. */
export function productionSecretProblems(config: TickerConfig): string[] {
  const problems: string[] = [];
  const check = (field: string, secret: string | undefined) => {
    if (secret === undefined) return; // given as a SHA-256 digest: its secret never reaches us
    if (PLACEHOLDER.test(secret)) problems.push(`${field}: is an example placeholder; generate one (openssl rand -base64 32)`);
    else if (secret.length < PRODUCTION_SECRET_MIN)
      problems.push(`${field}: must be at least ${PRODUCTION_SECRET_MIN} characters in production`);
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
