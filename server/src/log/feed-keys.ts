/** Every Redis key and channel the feed uses, in one place. A prefix lets feeds share a Redis. */
export interface FeedKeys {
  /** last assigned seq (INCR) */
  seq: string;
  /** under durability "replica": the last seq known to be on a replica, what the feed serves up to */
  committed: string;
  /** the feed's epoch: a random id created with the seq counter, changed when numbers could be reused */
  epoch: string;
  /** the feed log: a stream whose entry ids are `${seq}-0` */
  log: string;
  /** hash id → current event JSON */
  current: string;
  /** hash id → "version:seq" of the current event (read by the append script, no JSON in Lua) */
  versions: string;
  /** marker key per applied operation, so a retried job never appends twice */
  op: (opId: string) => string;
  /** editor idempotency keys → headline id */
  idempotency: (key: string) => string;
  /** capped stream of who did what: publish/correct/withdraw (written by the append) and cancel */
  audit: string;
  /** pub/sub channel announcing each appended event */
  channel: string;
  /** BullMQ prefix */
  queuePrefix: string;
}

export function feedKeys(prefix = 'ticker'): FeedKeys {
  return {
    seq: `${prefix}:seq`,
    committed: `${prefix}:committed`,
    epoch: `${prefix}:epoch`,
    log: `${prefix}:log`,
    current: `${prefix}:current`,
    versions: `${prefix}:versions`,
    op: (opId) => `${prefix}:op:${opId}`,
    idempotency: (key) => `${prefix}:idem:${key}`,
    audit: `${prefix}:audit`,
    channel: `${prefix}:events`,
    queuePrefix: `${prefix}:bull`,
  };
}
