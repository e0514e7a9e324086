import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { SseController } from './sse.controller';
import { StreamSessions } from './stream-sessions.service';
import { PlainWebSocketServer } from './ws-server.service';

/**
 * The plain transports: Server-Sent Events (`GET /v1/sse`) and plain WebSocket (`/v1/ws`), for
 * clients that cannot or will not embed Socket.IO. Same tenancy, channel policy, limits and
 * delivery as the Socket.IO namespaces (docs/protocol.md).
 */
@Module({
  imports: [AuthModule, RealtimeModule],
  controllers: [SseController],
  providers: [StreamSessions, PlainWebSocketServer],
  exports: [StreamSessions],
})
export class StreamsModule {}
