import { Injectable } from '@nestjs/common';
import type { Principal, Role } from '../common/principal';
import type { LimitsConfig } from '../config';

/** The DTO class that validates one event's `data` (required fields only; extra fields pass). */
export type DataClass = new () => object;

/** Which events a channel's snapshot keeps: the latest per item, or per item and facet. */
export interface SnapshotRule {
  /** The `data` field that names the item (`entityId`, `sku`). */
  readonly field: string;
  /**
   * Events that tell different things about one item, by event name: the snapshot keeps the
   * latest event of each facet (a SKU's stock level and its availability), so a newer event of one
   * facet does not hide the other. Without it, one latest event per item.
   */
  readonly facets?: Readonly<Record<string, string>>;
}

/** The snapshot key of one event under `rule`, or undefined when its data does not name an item. */
export function snapshotKeyOf(rule: SnapshotRule, event: string, data: Readonly<Record<string, unknown>>): string | undefined {
  const value = data[rule.field];
  if (value === undefined) return undefined;
  const facet = rule.facets?.[event];
  // The catalog DTO has validated the field as an identifier; JSON keeps any other shape distinct.
  if (facet !== undefined) return JSON.stringify([facet, value]);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** What a namespace module declares about itself; the publish API and handshake read it. */
export interface NamespaceDefinition {
  /** Path without the slash, e.g. `orders`. Also the namespace segment of channel keys. */
  readonly name: string;
  /** Roles allowed to connect. */
  readonly roles: readonly Role[];
  /** Events the HTTP publish API accepts for this namespace, with their data DTOs. */
  readonly catalog: Readonly<Record<string, DataClass>>;
  /**
   * When set, each channel keeps a snapshot (latest event per `data[field]`), and every subscribe
   * ack carries it, so a client is correct at once: snapshot, then stream.
   */
  readonly snapshot?: SnapshotRule;
  /**
   * Also served over the plain transports (SSE `GET /v1/sse`, WebSocket `/v1/ws`): namespaces
   * whose clients only subscribe. Ones with their own commands (print job acks, presence state)
   * need the Socket.IO protocol.
   */
  readonly plainTransports?: boolean;
  /** Extra admission rule at the handshake, after the role check: a refusal reason, or undefined. */
  readonly admit?: (principal: Principal) => string | undefined;
  /**
   * The largest Engine.IO frame a connection that joined this namespace may send, from config;
   * WS_MAX_FRAME_BYTES when absent. Only /printing-ws raises it (print documents).
   */
  readonly maxFrameBytes?: (limits: LimitsConfig) => number;
}

/** A namespace's frame limit (its definition's, or the default). */
export function frameLimitOf(definition: NamespaceDefinition, limits: LimitsConfig): number {
  return definition.maxFrameBytes?.(limits) ?? limits.maxFrameBytes;
}

@Injectable()
export class NamespaceRegistry {
  private readonly definitions = new Map<string, NamespaceDefinition>();

  register(definition: NamespaceDefinition): void {
    const existing = this.definitions.get(definition.name);
    if (existing && existing !== definition) throw new Error(`namespace ${definition.name} registered twice`);
    this.definitions.set(definition.name, definition);
  }

  get(name: string): NamespaceDefinition | undefined {
    return this.definitions.get(name);
  }

  names(): string[] {
    return [...this.definitions.keys()];
  }

  all(): NamespaceDefinition[] {
    return [...this.definitions.values()];
  }
}
