import { serviceToken } from './tokens';

export interface HttpResult<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export async function postJson<T = Record<string, unknown>>(url: string, body: unknown, token?: string): Promise<HttpResult<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T, headers: response.headers };
}

export async function getJson<T = Record<string, unknown>>(url: string, token?: string): Promise<HttpResult<T>> {
  const response = await fetch(url, { headers: token !== undefined ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, body: (await response.json()) as T, headers: response.headers };
}

/** POST /v1/publish with a service token of `companyId` (default acme). */
export function publish(baseUrl: string, message: Record<string, unknown>, token = serviceToken()): Promise<HttpResult> {
  return postJson(`${baseUrl}/v1/publish`, message, token);
}

export function publishBatch(
  baseUrl: string,
  messages: Record<string, unknown>[],
  token = serviceToken(),
): Promise<HttpResult<{ results: Record<string, unknown>[] }>> {
  return postJson(`${baseUrl}/v1/publish/batch`, { messages }, token);
}

export const orderUpdated = (channel: string, orderId: string | number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  namespace: 'orders',
  channel,
  event: 'order:updated',
  data: { orderId, ...extra },
});
