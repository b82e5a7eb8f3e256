export { TickerError, ERROR_CODES, PROTOCOL_VERSION } from './protocol.js';
export type * from './protocol.js';
