import { Module } from '@nestjs/common';
import { RealtimeModule } from '../realtime/realtime.module';
import { OrdersGateway } from './orders.gateway';

@Module({ imports: [RealtimeModule], providers: [OrdersGateway] })
export class OrdersModule {}
