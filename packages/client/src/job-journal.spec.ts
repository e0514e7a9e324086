import { JobJournal, type JournalEntry } from './job-journal.js';
import { MemoryStorage } from './storage.js';

const entry = (jobId: string, extra: Partial<JournalEntry> = {}): JournalEntry => ({
  jobId,
  state: 'queued',
  reported: false,
  attempt: 1,
  receivedAt: Date.now(),
  updatedAt: Date.now(),
  ...extra,
});

describe('JobJournal', () => {
  it('survives a restart: a new journal on the same storage knows every job, in order', async () => {
    const storage = new MemoryStorage();
    const journal = new JobJournal(storage, 'scope');
    await journal.put(entry('b'));
    await journal.put(entry('a'));
    await journal.put(entry('b', { state: 'printed' }));
    const reopened = new JobJournal(storage, 'scope');
    await reopened.load();
    expect(reopened.list().map((item) => [item.jobId, item.state])).toEqual([
      ['b', 'printed'],
      ['a', 'queued'],
    ]);
    const other = new JobJournal(storage, 'another agent');
    await other.load();
    expect(other.list()).toEqual([]);
  });

  it('keeps unfinished and unreported jobs, and prunes finished ones past the limit, oldest first', async () => {
    const storage = new MemoryStorage();
    const journal = new JobJournal(storage, 'scope', { limit: 2 });
    await journal.put(entry('pending'));
    await journal.put(entry('unreported', { state: 'failed' }));
    for (const jobId of ['j1', 'j2', 'j3']) await journal.put(entry(jobId, { state: 'printed', reported: true }));
    expect(journal.list().map((item) => item.jobId)).toEqual(['pending', 'unreported', 'j2', 'j3']);
    const reopened = new JobJournal(storage, 'scope');
    await reopened.load();
    expect(reopened.get('j1')).toBeUndefined();
    expect(storage.size).toBe(5); // four entries and the index
  });

  it('treats a corrupt value as absent instead of failing', async () => {
    const storage = new MemoryStorage();
    const journal = new JobJournal(storage, 'scope');
    await journal.put(entry('a'));
    storage.setItem('scope|job|a', '{not json');
    const reopened = new JobJournal(storage, 'scope');
    await reopened.load();
    expect(reopened.list()).toEqual([]);
  });
});
