import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RevocationsController } from './revocations.controller';

@Module({ imports: [AuthModule], controllers: [RevocationsController] })
export class AdminModule {}
