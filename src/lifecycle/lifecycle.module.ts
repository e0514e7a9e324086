import { Global, Module } from '@nestjs/common';
import { PrintingModule } from '../printing/printing.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { DrainService } from './drain.service';

@Global()
@Module({ imports: [RealtimeModule, PrintingModule], providers: [DrainService], exports: [DrainService] })
export class LifecycleModule {}
