import { Global, Module } from '@nestjs/common';
import { DrainService } from './drain.service';
import { DrainSteps } from './drain-steps';

/** Global, so any module can register a drain step without lifecycle/ importing it. */
@Global()
@Module({ providers: [DrainSteps, DrainService], exports: [DrainSteps, DrainService] })
export class LifecycleModule {}
