import { Module } from '@nestjs/common';
import { PublishModule } from '../publish/publish.module';
import { OutboxDrainer } from './outbox-drainer.service';

/** The Postgres transactional outbox (docs/outbox.md); idle unless OUTBOX_DATABASE_URL is set. */
@Module({
  imports: [PublishModule],
  providers: [OutboxDrainer],
  exports: [OutboxDrainer],
})
export class OutboxModule {}
