import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { LooseJson } from './plain-ws';

/** One dispatched SSE event, as an EventSource would see it (plus the raw id). */
export interface SseMessage {
  readonly event: string;
  readonly id: string;
  readonly data: string;
  readonly json: LooseJson;
}

export interface SseOpenResult {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  /** The JSON body of a refusal (non-200), else undefined. */
  readonly body?: { error: { code: string; message: string } };
}

/**
 * A `text/event-stream` reader over node:http, parsing per the HTML spec's rules (fields,
 * comments, `retry`, dispatch on a blank line, the last event id carried over). Tests see every
 * event, comment and retry value, and can resume with `Last-Event-ID` as a browser does.
 */
export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  retry: number | undefined;
  lastEventId = '';
  closed = false;
  private response: IncomingMessage | undefined;
  private waiters: (() => void)[] = [];
  private buffer = '';
  private field = { event: '', data: [] as string[] };

  private constructor(readonly opened: SseOpenResult) {}

  /** Opens a stream; resolves once the status is known (a refusal's body read in full). */
  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
        if (response.statusCode !== 200) {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => {
            const client = new SseClient({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: text ? JSON.parse(text) : undefined,
            });
            client.closed = true;
            resolve(client);
          });
          return;
        }
        const client = new SseClient({ status: 200, headers: response.headers });
        client.attach(response);
        resolve(client);
      });
      req.on('error', reject);
      req.end();
    });
  }

  private attach(response: IncomingMessage): void {
    this.response = response;
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.feed(chunk));
    const done = () => {
      this.closed = true;
      this.wake();
    };
    response.on('end', done);
    response.on('close', done);
    response.on('error', done);
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) !== -1) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      this.line(line);
    }
    this.wake();
  }

  private line(line: string): void {
    if (line === '') {
      if (this.field.data.length > 0) {
        const data = this.field.data.join('\n');
        let json: unknown;
        try {
          json = JSON.parse(data);
        } catch {
          json = undefined;
        }
        this.messages.push({ event: this.field.event || 'message', id: this.lastEventId, data, json });
      }
      this.field = { event: '', data: [] };
      return;
    }
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1));
      return;
    }
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'event') this.field.event = value;
    else if (name === 'data') this.field.data.push(value);
    else if (name === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (name === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  /** Resolves when `check` holds (checked on every chunk), or rejects after `timeoutMs`. */
  until<T>(what: string, check: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${what}: not within ${timeoutMs} ms (got ${this.messages.map((m) => m.event).join(', ')})`)),
        timeoutMs,
      );
      const test = () => {
        const value = check();
        if (value !== undefined && value !== false) {
          clearTimeout(timer);
          resolve(value);
          return;
        }
        if (this.closed) {
          clearTimeout(timer);
          reject(new Error(`${what}: the stream closed first (got ${this.messages.map((m) => m.event).join(', ')})`));
          return;
        }
        this.waiters.push(test);
      };
      test();
    });
  }

  /** The first message named `event` after index `from`. */
  next(event: string, from = 0, timeoutMs = 5000): Promise<SseMessage> {
    return this.until(`event ${event}`, () => this.messages.slice(from).find((m) => m.event === event), timeoutMs);
  }

  /** Messages named `event` (all of them so far). */
  named(event: string): SseMessage[] {
    return this.messages.filter((m) => m.event === event);
  }

  /** Resolves when the server ends the stream. */
  ended(timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`stream end: not within ${timeoutMs} ms`)), timeoutMs);
      const test = () => {
        if (this.closed) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(test);
      };
      test();
    });
  }

  /** Stops reading (the server's writes pile up in its buffer: a slow reader). */
  pause(): void {
    this.response?.pause();
  }

  close(): void {
    this.response?.destroy();
    this.closed = true;
  }
}
