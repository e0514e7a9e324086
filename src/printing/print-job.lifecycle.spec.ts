import { acknowledge, backoff, cancel, claim, expire, finish, markResent, queued, release, resendId } from './print-job.lifecycle';
import type { PrintJob } from './print-job.model';

const FIELDS = {
  jobId: 'j1',
  companyId: 'acme',
  branchId: 'b1',
  requestedPrinterId: null,
  copies: 1,
  orderId: null,
  correlationId: null,
  resentFrom: null,
};
const job = (overrides: Partial<PrintJob> = {}): PrintJob => ({ ...queued(FIELDS, 0, 10), ...overrides });
const holder = { instance: 'n1', agentId: 'a1', until: 500 };

describe('print job lifecycle', () => {
  it('queues a new job due at once, and takes only the fields of a job, not the rest of an object handed in', () => {
    expect(queued(FIELDS, 1_000, 60)).toEqual({
      ...FIELDS,
      printerId: null,
      status: 'queued',
      attempts: 0,
      createdAt: 1_000,
      expiresAt: 61_000,
      nextAttemptAt: 1_000,
      lease: null,
      history: [{ status: 'queued', at: 1_000 }],
    });
    const printed = { ...job({ status: 'printed', resends: 3, attempts: 2 }), jobId: 'j1.r4', resentFrom: 'j1' };
    const copy = queued(printed, 2_000, 60);
    expect(copy).toMatchObject({
      status: 'queued',
      attempts: 0,
      resentFrom: 'j1',
      history: [{ status: 'queued', at: 2_000, detail: 'resend of j1' }],
    });
    expect(copy).not.toHaveProperty('resends');
  });

  it('walks queued → dispatched → acknowledged → printed, recording history', () => {
    const claimed = claim(job(), 100, holder, 'p1');
    expect(claimed).toMatchObject({ status: 'dispatched', attempts: 1, printerId: 'p1', lease: { ...holder, attempt: 1 } });
    const acked = acknowledge(claimed as PrintJob, 200, { instance: 'n1', attempt: 1 });
    expect(acked).toMatchObject({ status: 'acknowledged', lease: null });
    const printed = finish(acked as PrintJob, 300, 'printed');
    expect(printed?.history.map((h) => h.status)).toEqual(['queued', 'dispatched', 'acknowledged', 'printed']);
  });

  it('never lets a second claim take a job under a live lease, nor an acknowledged job', () => {
    const claimed = claim(job(), 100, holder, null) as PrintJob;
    expect(claim(claimed, 200, { ...holder, instance: 'n2' }, null)).toBeUndefined();
    expect(claim(claimed, 600, { ...holder, instance: 'n2' }, null)).toMatchObject({ attempts: 2 });
    const acked = acknowledge(claimed, 200, { instance: 'n1', attempt: 1 }) as PrintJob;
    expect(claim(acked, 10_000, holder, null)).toBeUndefined();
  });

  it('acknowledges only the current attempt of the current holder, once', () => {
    const claimed = claim(job(), 100, holder, null) as PrintJob;
    expect(acknowledge(claimed, 200, { instance: 'n2', attempt: 1 })).toBeUndefined();
    expect(acknowledge(claimed, 200, { instance: 'n1', attempt: 2 })).toBeUndefined();
    const acked = acknowledge(claimed, 200, { instance: 'n1', attempt: 1 }) as PrintJob;
    expect(acknowledge(acked, 300, { instance: 'n1', attempt: 1 })).toBeUndefined();
  });

  it('releases an unanswered attempt with a delay, and respects it', () => {
    const claimed = claim(job(), 100, holder, null) as PrintJob;
    const released = release(claimed, 300, { instance: 'n1', attempt: 1 }, 1000, 'no ack') as PrintJob;
    expect(released).toMatchObject({ status: 'queued', nextAttemptAt: 1300, lease: null });
    expect(claim(released, 1200, holder, null)).toBeUndefined();
    expect(claim(released, 1300, holder, null)).toMatchObject({ attempts: 2 });
    expect(release(released, 400, { instance: 'n1', attempt: 1 }, 0, 'late')).toBeUndefined();
  });

  it('treats a status report for an unacknowledged job as its acknowledgement', () => {
    const claimed = claim(job(), 100, holder, null) as PrintJob;
    expect(finish(claimed, 200, 'failed', 'paper jam')?.history.map((h) => [h.status, h.detail])).toEqual([
      ['queued', undefined],
      ['dispatched', 'attempt 1 to agent a1'],
      ['acknowledged', 'implied by a status report'],
      ['failed', 'paper jam'],
    ]);
  });

  it('cancels and expires only pending jobs, and expires only after expiresAt', () => {
    expect(cancel(job(), 1)?.status).toBe('cancelled');
    expect(cancel(job({ status: 'acknowledged' }), 1)).toBeUndefined();
    expect(expire(job(), 9_999)).toBeUndefined();
    expect(expire(job(), 10_000)?.status).toBe('expired');
    expect(expire(job({ status: 'printed' }), 20_000)).toBeUndefined();
    expect(finish(job({ status: 'cancelled' }), 1, 'printed')).toBeUndefined();
  });

  it('backs off 1, 2, 4 … up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => backoff(attempt, 1000, 60_000))).toEqual([
      1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000,
    ]);
  });

  it('notes a resend only on a job out of the queue, and numbers the copies', () => {
    expect(markResent(job(), 100, 'j1.r1')).toBeUndefined();
    expect(markResent(job({ status: 'dispatched' }), 100, 'j1.r1')).toBeUndefined();
    const printed = job({ status: 'printed' });
    expect(resendId(printed)).toBe('j1.r1');
    const once = markResent(printed, 100, 'j1.r1') as PrintJob;
    expect(once).toMatchObject({ status: 'printed', resends: 1 });
    expect(once.history.at(-1)).toEqual({ status: 'printed', at: 100, detail: 'resent as j1.r1' });
    expect(resendId(once)).toBe('j1.r2');
    for (const status of ['acknowledged', 'failed', 'cancelled', 'expired'] as const) {
      expect(markResent(job({ status }), 1, 'x')).toMatchObject({ status, resends: 1 });
    }
  });

  it('keeps a resend id within 128 characters', () => {
    const long = job({ jobId: 'a'.repeat(128), status: 'printed', resends: 11 });
    expect(resendId(long)).toBe(`${'a'.repeat(124)}.r12`);
    expect(resendId(long)).toHaveLength(128);
  });
});
