import { Injectable } from '@nestjs/common';
import type { Principal, Role } from '../auth/claims';

/** The DTO class that validates one event's `data` (required fields only; extra fields pass). */
export type DataClass = new () => object;

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
  readonly snapshot?: { readonly field: string };
  /**
   * Also served over the plain transports (SSE `GET /v1/sse`, WebSocket `/v1/ws`): namespaces
   * whose clients only subscribe. Ones with their own commands (print job acks, presence state)
   * need the Socket.IO protocol.
   */
  readonly plainTransports?: boolean;
  /** Extra admission rule at the handshake, after the role check: a refusal reason, or undefined. */
  readonly admit?: (principal: Principal) => string | undefined;
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
}
