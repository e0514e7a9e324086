import { Global, Module } from '@nestjs/common';
import { NodeRegistry } from './node-registry.service';

@Global()
@Module({ providers: [NodeRegistry], exports: [NodeRegistry] })
export class ClusterModule {}
