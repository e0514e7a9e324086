import { Global, Module } from '@nestjs/common';
import { DELIVERY_SINK } from '../bus/channel-stream';
import { ChannelResets } from './channel-resets';
import { ConnectionCensus } from './connection-census';
import { DeliveryService } from './delivery.service';
import { SocketDirectory } from './socket-directory';

/**
 * Local delivery: the socket directory, the delivery sink and the connection census. Global
 * because the bus (a lower layer) takes its sink from here by the DELIVERY_SINK token it
 * declares: the dependency is in the module graph, and bus/ imports nothing of realtime/.
 */
@Global()
@Module({
  providers: [SocketDirectory, ConnectionCensus, ChannelResets, DeliveryService, { provide: DELIVERY_SINK, useExisting: DeliveryService }],
  exports: [SocketDirectory, ConnectionCensus, ChannelResets, DeliveryService, DELIVERY_SINK],
})
export class DeliveryModule {}
