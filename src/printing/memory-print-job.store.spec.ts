import { MemoryPrintJobStore } from './memory-print-job.store';
import { queued } from './print-job.lifecycle';
import type { PrintDocument, PrintJob } from './print-job.model';

const document: PrintDocument = { contentType: 'text/plain', data: 'ticket' };
const job = (jobId: string): PrintJob =>
  queued(
    { jobId, companyId: 'acme', branchId: 'b1', requestedPrinterId: null, copies: 1, orderId: null, correlationId: null, resentFrom: null },
    0,
    60,
  );
const ref = (jobId: string) => ({ companyId: 'acme', jobId });

describe('MemoryPrintJobStore documents', () => {
  it('keeps a document while the job is pending, then for the retention after it leaves the queue', async () => {
    let now = 0;
    const store = new MemoryPrintJobStore(() => now, 30);
    await store.create(job('j1'), document, 3600);
    now = 50_000;
    expect(await store.document(ref('j1'))).toEqual(document);
    await store.update(ref('j1'), (current) => ({ ...current, status: 'printed' }));
    now = 79_999;
    expect(await store.document(ref('j1'))).toEqual(document);
    // A later change to the ended job does not lengthen the document's life.
    await store.update(ref('j1'), (current) => ({ ...current, resends: 1 }));
    now = 80_000;
    expect(await store.document(ref('j1'))).toBeUndefined();
    expect(await store.get(ref('j1'))).toMatchObject({ status: 'printed', resends: 1 });
  });

  it('drops the document at once with a retention of 0', async () => {
    const store = new MemoryPrintJobStore(() => 0, 0);
    await store.create(job('j2'), document, 3600);
    await store.update(ref('j2'), (current) => ({ ...current, status: 'cancelled' }));
    expect(await store.document(ref('j2'))).toBeUndefined();
  });
});
