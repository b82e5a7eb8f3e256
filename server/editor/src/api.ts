import type {
  AuditResponse,
  CorrectionInput,
  ErrorBody,
  Headline,
  HeadlineInput,
  IngestAccepted,
  ScheduledResponse,
  UsageReport,
  WithdrawResult,
} from '@headline-ticker/sdk/protocol';

export type ApiResult<T> = { ok: true; status: number; body: T } | { ok: false; status: number; error: ErrorBody };

/** A request that got no HTTP answer: whether it was applied is unknown, so retry with the same key. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}

/** The REST calls the console makes, always with the editor token as a bearer header. */
export class EditorApi {
  readonly #token: string;

  constructor(token: string) {
    this.#token = token;
  }

  me(): Promise<ApiResult<{ name: string }>> {
    return this.#request('GET', '/api/editor/me');
  }

  publish(body: HeadlineInput): Promise<ApiResult<IngestAccepted>> {
    return this.#request('POST', '/api/headlines', body);
  }

  correct(id: Headline['id'], body: CorrectionInput): Promise<ApiResult<IngestAccepted>> {
    return this.#request('PATCH', `/api/headlines/${encodeURIComponent(id)}`, body);
  }

  /** Withdraws a published headline, or cancels a scheduled one (status `cancelled`). */
  withdraw(id: Headline['id']): Promise<ApiResult<WithdrawResult>> {
    return this.#request('DELETE', `/api/headlines/${encodeURIComponent(id)}`);
  }

  scheduled(): Promise<ApiResult<ScheduledResponse>> {
    return this.#request('GET', '/api/headlines/scheduled');
  }

  audit(query: { id?: string; limit?: number; action?: 'failed' }): Promise<ApiResult<AuditResponse>> {
    const params = new URLSearchParams();
    if (query.id !== undefined) params.set('id', query.id);
    if (query.action !== undefined) params.set('action', query.action);
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    return this.#request('GET', `/api/audit?${params.toString()}`);
  }

  /** Today's usage (admins; others get 403). */
  usage(): Promise<ApiResult<UsageReport>> {
    return this.#request('GET', '/api/usage');
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (err) {
      throw new NetworkError('the server could not be reached', { cause: err });
    }
    const json = (await res.json().catch(() => null)) as { error?: ErrorBody } | null;
    if (res.ok) return { ok: true, status: res.status, body: json as T };
    const error: ErrorBody = json?.error ?? { code: 'internal', message: `the server answered ${res.status}` };
    return { ok: false, status: res.status, error };
  }
}
