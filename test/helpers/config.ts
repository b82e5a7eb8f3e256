import type { TickerConfig } from '../../server/src/config/ticker-config.js';
import { parseTickerConfig } from '../../server/src/config/ticker-config.js';

export const EDITOR_TOKEN = 'ed_test_token_1';
export const ALL_KEY = 'sdk_test_all';
export const WIDGET_KEY = 'wgt_test_widget';
export const WIDGET_ORIGIN = 'http://widget.test';

/** The config most tests use; pass overrides to add keys, feeds or retention. */
export function testConfig(overrides: Partial<Record<keyof TickerConfig, unknown>> = {}): TickerConfig {
  return parseTickerConfig(
    {
      editors: [{ name: 'test-desk', token: EDITOR_TOKEN }],
      keys: [
        { key: ALL_KEY, name: 'all topics', topics: ['*'] },
        { key: WIDGET_KEY, name: 'widget', topics: ['*'], origins: [WIDGET_ORIGIN] },
      ],
      ...overrides,
    },
    '(test)',
  );
}
