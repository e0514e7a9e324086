import type { OnApplicationShutdown } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import type { Namespace } from 'socket.io';
import { ChannelGateway } from '../realtime/channel.gateway';
import { GatewayKit } from '../realtime/gateway-kit.service';
import type { AppSocket } from '../realtime/subscription.service';
import { ADMIN_NAMESPACE, AdminEvent } from './admin.events';
import { AdminStats, TICK_MS } from './admin-stats.service';

/** Not a channel key (no `/`), so the bus never mistakes it for one. */
const companyRoom = (companyId: string) => `admin:${companyId}`;

/**
 * /admin-ws: the admin dashboard's live feed. An admin gets `admin:stats` for its own company
 * on connect and then every second; computed once per company per node, whatever the number of
 * open dashboards.
 */
@WebSocketGateway({ namespace: `/${ADMIN_NAMESPACE.name}` })
export class AdminGateway extends ChannelGateway implements OnApplicationShutdown {
  private readonly timer: NodeJS.Timeout;

  constructor(
    kit: GatewayKit,
    private readonly stats: AdminStats,
  ) {
    super(kit, ADMIN_NAMESPACE);
    this.timer = setInterval(() => void this.broadcast(), TICK_MS);
    this.timer.unref();
  }

  override afterInit(nsp: Namespace): void {
    super.afterInit(nsp);
    this.stats.attach(nsp);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  protected override async afterConnect(socket: AppSocket): Promise<void> {
    const { companyId } = socket.data.principal;
    await socket.join(companyRoom(companyId));
    socket.emit(AdminEvent.STATS, await this.stats.view(companyId));
  }

  private async broadcast(): Promise<void> {
    const nsp = this.kit.delivery.namespace(ADMIN_NAMESPACE.name);
    if (!nsp) return;
    const companies = new Set<string>();
    for (const socket of nsp.sockets.values()) companies.add((socket as AppSocket).data.principal.companyId);
    for (const companyId of companies) {
      try {
        nsp.local.to(companyRoom(companyId)).emit(AdminEvent.STATS, await this.stats.view(companyId));
      } catch (error) {
        this.logger.warn(`admin stats for ${companyId}: ${(error as Error).message}`);
      }
    }
  }
}
