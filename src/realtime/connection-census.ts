import { Injectable } from '@nestjs/common';
import { refFromKey } from '../channels/channel-ref';
import { MetricsService, type RoomOccupancy } from '../metrics/metrics.service';
import type { SocketData } from './realtime.events';
import { SocketDirectory } from './socket-directory';

/**
 * Counts of this node's connections and channels, for metrics, health and the admin view; read
 * on demand from the SocketDirectory, never kept.
 */
@Injectable()
export class ConnectionCensus {
  constructor(
    private readonly directory: SocketDirectory,
    metrics: MetricsService,
  ) {
    metrics.provide({
      connectionsByNamespace: () => this.connectionCounts(),
      companiesOfConnections: () => this.companiesOfConnections(),
      presenceMembers: () => this.distinctUsers('presence'),
      roomOccupancy: () => this.roomOccupancy(),
    });
  }

  /** The company of every connected socket on this node (one entry per socket). */
  *companiesOfConnections(): Iterable<string> {
    for (const [, nsp] of this.directory.entries()) {
      for (const socket of nsp.sockets.values()) {
        const principal = (socket.data as Partial<SocketData>).principal;
        if (principal) yield principal.companyId;
      }
    }
  }

  /** Connected sockets on this node by company, then namespace path. */
  connectionsByCompany(): Map<string, Record<string, number>> {
    // Runs every second over every socket (the admin snapshot): counted per namespace in a Map
    // first, so that the inner loop builds no string and touches no record per socket.
    const result = new Map<string, Record<string, number>>();
    const perCompany = new Map<string, number>();
    for (const [name, nsp] of this.directory.entries()) {
      perCompany.clear();
      for (const socket of nsp.sockets.values()) {
        const principal = (socket.data as Partial<SocketData>).principal;
        if (principal) perCompany.set(principal.companyId, (perCompany.get(principal.companyId) ?? 0) + 1);
      }
      const path = `/${name}`;
      for (const [companyId, count] of perCompany) {
        let counts = result.get(companyId);
        if (!counts) result.set(companyId, (counts = {}));
        counts[path] = count;
      }
    }
    return result;
  }

  /**
   * Per namespace: channels followed on this node (Socket.IO rooms and plain-transport members),
   * subscriptions to them, and the largest. At scrape time, one pass over the rooms; a socket's
   * own room (its id) is not a channel.
   */
  roomOccupancy(): RoomOccupancy[] {
    const perKey = new Map<string, number>();
    for (const [, nsp] of this.directory.entries()) {
      for (const [room, sockets] of nsp.adapter.rooms) if (!nsp.sockets.has(room)) perKey.set(room, sockets.size);
    }
    for (const [key, count] of this.directory.memberCounts()) perKey.set(key, (perKey.get(key) ?? 0) + count);
    const result = new Map<string, { namespace: string; channels: number; subscriptions: number; largest: number }>();
    for (const [key, count] of perKey) {
      const ref = refFromKey(key);
      if (!ref) continue;
      const namespace = `/${ref.namespace}`;
      let entry = result.get(namespace);
      if (!entry) result.set(namespace, (entry = { namespace, channels: 0, subscriptions: 0, largest: 0 }));
      entry.channels += 1;
      entry.subscriptions += count;
      entry.largest = Math.max(entry.largest, count);
    }
    return [...result.values()];
  }

  /** Distinct users (company/user) connected to a namespace on this node. */
  distinctUsers(name: string): number {
    const users = new Set<string>();
    for (const socket of this.directory.namespace(name)?.sockets.values() ?? []) {
      const principal = (socket.data as Partial<SocketData>).principal;
      if (principal) users.add(`${principal.companyId}/${principal.id}`);
    }
    return users.size;
  }

  /** Connected sockets per namespace path on this node. */
  connectionCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [name, nsp] of this.directory.entries()) counts[`/${name}`] = nsp.sockets.size;
    return counts;
  }
}
