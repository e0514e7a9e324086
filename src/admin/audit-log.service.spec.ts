import type { AppConfig } from '../config';
import type { RedisConnections } from '../redis/redis-connections.service';
import { AUDIT_KEEP, AuditLog } from './audit-log.service';

describe('AuditLog on the embedded engine', () => {
  const log = () => new AuditLog({ enabled: false } as RedisConnections, { nodeId: 'n1' } as AppConfig);

  it('keeps entries per company, newest first, stamped with the time and node', async () => {
    const audit = log();
    await audit.record({ companyId: 'acme', actor: 'boss', action: 'revoke-user', target: 'mallory', outcome: 'ok' });
    await audit.record({ companyId: 'acme', actor: 'boss', action: 'cancel-print-job', target: 'j1', outcome: 'PRINT_JOB_CONFLICT' });
    await audit.record({ companyId: 'beta', actor: 'other', action: 'revoke-user', target: 'x', outcome: 'ok' });
    expect((await audit.recent('acme')).map((entry) => [entry.action, entry.outcome, entry.node])).toEqual([
      ['cancel-print-job', 'PRINT_JOB_CONFLICT', 'n1'],
      ['revoke-user', 'ok', 'n1'],
    ]);
    expect((await audit.recent('acme'))[0].at).toEqual(expect.any(Number));
    expect(await audit.recent('gamma')).toEqual([]);
  });

  it(`keeps the newest ${AUDIT_KEEP} per company`, async () => {
    const audit = log();
    for (let i = 0; i < AUDIT_KEEP + 5; i++)
      await audit.record({ companyId: 'acme', actor: 'a', action: 'revoke-user', target: `u${i}`, outcome: 'ok' });
    const all = await audit.recent('acme', AUDIT_KEEP + 10);
    expect(all).toHaveLength(AUDIT_KEEP);
    expect(all[0].target).toBe(`u${AUDIT_KEEP + 4}`);
  });
});
