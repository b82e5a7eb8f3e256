// One scrape for the whole machine in per-core mode. `/metrics` reaches whichever child the
// balancer (or the shared METRICS_PORT) picks; answering with that child's figures alone would make
// every counter jump between scrapes. So the child asks the primary, and the primary gathers every
// child's registries with prom-client's AggregatorRegistry (counters and histograms summed, each
// gauge by its own `aggregator`) and answers with the machine's figures.
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const REQUEST = 'ticker:metrics-request';
const ANSWER = 'ticker:metrics-answer';
/** prom-client gives up on a silent child after 5 s; the asking child waits a little longer. */
const ANSWER_TIMEOUT_MS = 6_000;

interface MetricsRequest {
  type: typeof REQUEST;
  id: number;
}

interface MetricsAnswer {
  type: typeof ANSWER;
  id: number;
  text?: string;
  error?: string;
}

const isRequest = (m: unknown): m is MetricsRequest => (m as { type?: unknown } | null)?.type === REQUEST;
const isAnswer = (m: unknown): m is MetricsAnswer => (m as { type?: unknown } | null)?.type === ANSWER;

/** The primary's side: a child's request is answered with every child's metrics, aggregated. */
export function aggregateChildMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isRequest(message)) return;
    const answer = (a: Omit<MetricsAnswer, 'type' | 'id'>) => {
      // The child may have gone meanwhile: nobody is left to answer.
      if (worker.isConnected()) worker.send({ type: ANSWER, id: message.id, ...a } satisfies MetricsAnswer);
    };
    aggregator.clusterMetrics().then(
      (text) => answer({ text }),
      (err: unknown) => answer({ error: (err as Error).message }),
    );
  });
}

/**
 * A child answers the primary's gathering from its first moment (constructing prom-client's
 * AggregatorRegistry installs that listener): one still starting answers with its process metrics
 * instead of leaving every scrape of the machine waiting 5 s for it and failing.
 */
export function answerPrimaryGathering(): void {
  new AggregatorRegistry();
}

/**
 * A child's side once its ticker runs: `registries` are what it contributes when the primary
 * gathers; the scrape it returns asks the primary for the machine's figures.
 */
export function machineMetricsSource(registries: Registry[]): () => Promise<string> {
  AggregatorRegistry.setRegistries(registries);
  answerPrimaryGathering();
  let next = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
  process.on('message', (message: unknown) => {
    if (!isAnswer(message)) return;
    const w = waiting.get(message.id);
    if (w === undefined) return;
    waiting.delete(message.id);
    clearTimeout(w.timer);
    if (message.text !== undefined) w.resolve(message.text);
    else w.reject(new Error(`metrics not gathered: ${message.error ?? 'no answer'}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('metrics not gathered: the primary did not answer'));
      }, ANSWER_TIMEOUT_MS);
      timer.unref();
      waiting.set(id, { resolve, reject, timer });
      process.send?.({ type: REQUEST, id } satisfies MetricsRequest, undefined, undefined, (err: Error | null) => {
        if (err === null) return;
        waiting.delete(id);
        clearTimeout(timer);
        reject(err);
      });
    });
}
