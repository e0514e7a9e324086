/**
 * The SDK's types, derived from the server's own event maps (src/contract/namespaces.events.ts),
 * so a renamed event or a changed payload on the server is a compile error here. Type-only
 * imports: none of the server's code reaches the bundle.
 */
import type { NamespaceEventMaps, NamespaceName } from '../../../src/contract/namespaces.events.js';
import type { SwitchboardError } from './errors.js';
import type { Ack, ChannelResetPayload, Envelope, ErrorAck, Position, SubscribeAck } from '../../../src/realtime/realtime.events.js';

export type { NamespaceEventMaps, NamespaceName } from '../../../src/contract/namespaces.events.js';
export type {
  Ack,
  AuthExpiringPayload,
  BatchPayload,
  ChannelResetPayload,
  EndReason,
  Envelope,
  ErrorAck,
  PingAck,
  Position,
  RefreshAck,
  ServerDrainingPayload,
  SessionEndedPayload,
  SessionLimits,
  SessionPayload,
  SubscribeAck,
} from '../../../src/realtime/realtime.events.js';
export type { ErrorBody } from '../../../src/common/app.errors.js';
export type { NotRecoveredReason, ResetReason } from '../../../src/bus/envelope.js';
export type { OrderRef, OrderStatusChange, OrdersCatalog } from '../../../src/orders/orders.events.js';
export type {
  AvailabilityCatalog,
  AvailabilitySnapshot,
  SkuRef,
  StockLevel,
  StockLowLevel,
} from '../../../src/availability/availability.events.js';
export type { SyncCatalog, SyncConnectedPayload, SyncSnapshot, SyncStatus, SyncType } from '../../../src/sync/sync.events.js';
export type { PresenceHeartbeatAck, PresenceLeftPayload, PresenceListAck } from '../../../src/presence/presence.events.js';
export type { PresenceMember, PresenceMeta, PresenceStatus } from '../../../src/presence/presence.store.js';
export type {
  AgentAlertData,
  Printer,
  PrinterKind,
  PrinterStatus,
  PrintersUpdatedData,
  PrintJobAnswer,
  PrintJobCancelledPayload,
  PrintJobPayload,
  PrintJobUpdatedData,
  RegisterAck,
} from '../../../src/printing/printing.events.js';
export type { JobStatus, PrintDocument } from '../../../src/printing/print-job.model.js';
export type { AdminStatsPayload } from '../../../src/admin/admin.events.js';

export type ClientToServer<N extends NamespaceName> = NamespaceEventMaps[N]['clientToServer'];
export type ServerToClient<N extends NamespaceName> = NamespaceEventMaps[N]['serverToClient'];

/** Server events of namespace N whose single argument is a channel envelope: what `subscribe` handlers receive. */
export type EnvelopeEventName<N extends NamespaceName> = {
  [E in keyof ServerToClient<N> & string]: ServerToClient<N>[E] extends (envelope: Envelope<infer _Data>) => void ? E : never;
}[keyof ServerToClient<N> & string];

/** The envelope of event E of namespace N, its `event` narrowed to E (so `switch (event.event)` narrows `data`). */
export type EnvelopeOf<N extends NamespaceName, E extends EnvelopeEventName<N> = EnvelopeEventName<N>> = {
  [Name in E]: ServerToClient<N>[Name] extends (envelope: Envelope<infer Data>) => void ? Envelope<Data> & { readonly event: Name } : never;
}[E];

/** Events the SDK handles itself: envelopes go to `subscribe` handlers, and the rest drive the connection. */
type InternalEvent = 'batch' | 'channel:reset' | 'print:job' | 'exception';

/** Server events an application may listen to with `on()`: session, sync:connected, print:job-cancelled, … */
export type ListenableEventName<N extends NamespaceName> = Exclude<keyof ServerToClient<N> & string, EnvelopeEventName<N> | InternalEvent>;

export type ListenerOf<N extends NamespaceName, E extends ListenableEventName<N>> = ServerToClient<N>[E];

/** Commands an application may send with `request()`; subscriptions go through `subscribe()`. */
export type RequestName<N extends NamespaceName> = Exclude<keyof ClientToServer<N> & string, 'subscribe' | 'unsubscribe' | 'auth:refresh'>;

type Command = (request: never, ack: never) => void;

export type RequestPayload<N extends NamespaceName, E extends keyof ClientToServer<N>> = ClientToServer<N>[E] extends Command
  ? Parameters<ClientToServer<N>[E]>[0]
  : never;

/** The successful ack of command E (a failed one rejects with a SwitchboardError). */
export type RequestResult<N extends NamespaceName, E extends keyof ClientToServer<N>> = ClientToServer<N>[E] extends Command
  ? Exclude<Parameters<Parameters<ClientToServer<N>[E]>[1]>[0], ErrorAck>
  : never;

/** A channel name as the server accepts it (docs/protocol.md §2). */
export type ChannelName = `company:${string}` | `branch:${string}` | `user:${string}`;

export type EventHandler<N extends NamespaceName> = (event: EnvelopeOf<N>) => void | Promise<void>;

/** Why a channel's state must be reloaded: its history could not be replayed, or the live stream was reset. */
export type ResyncReason = ChannelResetPayload['reason'];

export interface ResyncContext {
  readonly namespace: NamespaceName;
  /** Where the channel continues from: events after this position follow. */
  readonly position: Position;
}

export type AnySubscribeAck = Extract<Ack<SubscribeAck>, { ok: true }> & { readonly snapshot?: unknown };

/** Connection state of one namespace. */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'failed' | 'closed';

export interface StateChange {
  readonly state: ConnectionState;
  /** Set when the change was caused by an error (for `waiting` and `failed`). */
  readonly error?: SwitchboardError;
  /** For `waiting`: when the next attempt starts (epoch ms). */
  readonly retryAt?: number;
}

/** Where a reported error happened; `namespace` is absent for client-wide errors (a failing getToken()). */
export interface ErrorContext {
  readonly namespace?: NamespaceName;
  readonly channel?: string;
}
