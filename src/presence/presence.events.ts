import type { Ack, BaseClientToServerEvents, BaseServerToClientEvents, Envelope, OkAck } from '../realtime/realtime.events';
import type { PresenceMember, PresenceMeta, PresenceStatus } from './presence.store';

export const PresenceEvent = {
  UPDATE: 'presence:update',
  HEARTBEAT: 'presence:heartbeat',
  LIST: 'presence:list',
  JOINED: 'presence:joined',
  UPDATED: 'presence:updated',
  LEFT: 'presence:left',
} as const;

export interface PresenceLeftPayload {
  readonly userId: string;
  /** When the user's last connection closed, or when they were found idle or on a dead node (epoch ms). */
  readonly leftAt: number;
}

export interface PresenceListAck extends OkAck {
  readonly members: readonly PresenceMember[];
}

export interface PresenceHeartbeatAck extends OkAck {
  /** A member with no update or heartbeat for this long is removed. */
  readonly ttlSeconds: number;
}

export type PresenceClientToServerEvents = BaseClientToServerEvents & {
  'presence:update'(
    request: { status: PresenceStatus; view?: string | null; meta?: PresenceMeta | null },
    ack: (response: Ack<OkAck>) => void,
  ): void;
  'presence:heartbeat'(request: Record<string, never>, ack: (response: Ack<PresenceHeartbeatAck>) => void): void;
  'presence:list'(request: { channel: string }, ack: (response: Ack<PresenceListAck>) => void): void;
};

export type PresenceServerToClientEvents = BaseServerToClientEvents & {
  'presence:joined'(envelope: Envelope<PresenceMember>): void;
  'presence:updated'(envelope: Envelope<PresenceMember>): void;
  'presence:left'(envelope: Envelope<PresenceLeftPayload>): void;
};
