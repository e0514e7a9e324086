import type { AdminServerToClientEvents } from '../admin/admin.events';
import type { PrintingServerToClientEvents } from '../printing/printing.events';
import type { SyncServerToClientEvents } from '../sync/sync.events';
import type { AppSocket } from './subscription.service';

/**
 * Server-side emits are typed by the namespaces' event maps. The checks are the
 * `@ts-expect-error` lines: `npm run typecheck` (tsc) fails if any of them compiles, that is, if a
 * misspelt event or a wrong payload would be accepted. Jest only runs the emits against a recorder.
 */
function recorder<Events>(): { socket: Events; sent: unknown[][] } {
  const sent: unknown[][] = [];
  return { socket: { emit: (...args: unknown[]) => sent.push(args) } as Events, sent };
}

describe('typed server-side emits', () => {
  it('accept the events and payloads of the namespace map, and tsc refuses others', () => {
    const sync = recorder<AppSocket<SyncServerToClientEvents>>();
    sync.socket.emit('sync:connected', { organizationId: 'acme', timestamp: 1 });
    // @ts-expect-error a misspelt event
    sync.socket.emit('sync:conected', { organizationId: 'acme', timestamp: 1 });
    // @ts-expect-error a payload of the wrong shape
    sync.socket.emit('sync:connected', { organizationId: 7 });
    // @ts-expect-error an event of another namespace
    sync.socket.emit('print:job-cancelled', { jobId: 'j1', reason: 'cancelled' });

    const printing = recorder<AppSocket<PrintingServerToClientEvents>>();
    printing.socket.emit('print:job-cancelled', { jobId: 'j1', reason: 'expired' });
    // @ts-expect-error a reason the protocol does not have
    printing.socket.emit('print:job-cancelled', { jobId: 'j1', reason: 'lost' });

    const admin = recorder<AppSocket<AdminServerToClientEvents>>();
    admin.socket.emit('session:ended', { reason: 'KICKED', message: 'bye' });
    // @ts-expect-error base events keep their payloads in every namespace
    admin.socket.emit('session:ended', { why: 'KICKED' });

    expect(sync.sent.map(([event]) => event)).toEqual(['sync:connected', 'sync:conected', 'sync:connected', 'print:job-cancelled']);
    expect(printing.sent).toHaveLength(2);
    expect(admin.sent).toHaveLength(2);
  });
});
