import type { NamespaceDefinition } from '../realtime/namespace.registry';

/** /admin-ws: the live feed of the admin dashboard, for role `admin`, scoped to the admin's company. */
export const ADMIN_NAMESPACE: NamespaceDefinition = { name: 'admin-ws', roles: ['admin'], catalog: {} };
