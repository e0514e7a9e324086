export { SwitchboardProvider, useSwitchboardClient, type SwitchboardProviderProps } from './provider.js';
export { useConnectionState, useNamespace, useSession } from './connection.js';
export { useChannel, type ChannelStatus } from './channel.js';
export { usePresence, type PresenceState } from './presence.js';
