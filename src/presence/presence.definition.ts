import type { NamespaceDefinition } from '../realtime/namespace.registry';

/** /presence: who is online and what they are looking at. */
export const PRESENCE_NAMESPACE: NamespaceDefinition = {
  name: 'presence',
  roles: ['admin', 'staff'],
  // Presence events come from the server itself, never from the publish API.
  catalog: {},
};
