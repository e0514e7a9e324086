import { WebSocketGateway } from '@nestjs/websockets';
import { ChannelGateway } from '../realtime/channel.gateway';
import { GatewayKit } from '../realtime/gateway-kit.service';
import { AVAILABILITY_NAMESPACE } from './availability.definition';

/** /availability: dashboards follow stock and item availability per company or branch. */
@WebSocketGateway({ namespace: `/${AVAILABILITY_NAMESPACE.name}` })
export class AvailabilityGateway extends ChannelGateway {
  constructor(kit: GatewayKit) {
    super(kit, AVAILABILITY_NAMESPACE);
  }
}
