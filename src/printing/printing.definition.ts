import type { NamespaceDefinition } from '../realtime/namespace.registry';

/** /printing-ws: desktop printing agents receive print jobs; admins watch. */
export const PRINTING_NAMESPACE: NamespaceDefinition = {
  name: 'printing-ws',
  roles: ['printer-agent', 'admin'],
  // Printing events come from the server itself, never from the publish API.
  catalog: {},
  // Agents send documents back and forth: PRINT_WS_MAX_FRAME_BYTES (1 MB), not the 64 KB default.
  maxFrameBytes: (limits) => limits.printMaxFrameBytes,
  // An agent prints for exactly one branch; an admin only watches.
  admit: (principal) =>
    principal.roles.includes('printer-agent') &&
    !principal.roles.includes('admin') &&
    (principal.branchIds.length !== 1 || principal.branchIds[0] === '*')
      ? 'a printer-agent token must name exactly one branch in branchIds'
      : undefined,
};
