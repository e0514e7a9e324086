import { Module } from '@nestjs/common';
import { RealtimeModule } from '../realtime/realtime.module';
import { SyncGateway } from './sync.gateway';

@Module({ imports: [RealtimeModule], providers: [SyncGateway] })
export class SyncModule {}
