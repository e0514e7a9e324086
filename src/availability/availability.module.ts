import { Module } from '@nestjs/common';
import { RealtimeModule } from '../realtime/realtime.module';
import { AvailabilityGateway } from './availability.gateway';

@Module({ imports: [RealtimeModule], providers: [AvailabilityGateway] })
export class AvailabilityModule {}
