import { Inject, Injectable } from '@nestjs/common';
import { TokenVerifier } from '../auth/token-verifier.service';
import { APP_CONFIG, type AppConfig } from '../config';
import { DeliveryService } from './delivery.service';
import { NamespaceRegistry } from './namespace.registry';
import { SubscriptionService } from './subscription.service';

/**
 * Everything a namespace gateway needs, injected as one value so each gateway's constructor
 * stays a one-liner and adding shared plumbing never touches every namespace.
 */
@Injectable()
export class GatewayKit {
  constructor(
    @Inject(APP_CONFIG) readonly config: AppConfig,
    readonly verifier: TokenVerifier,
    readonly registry: NamespaceRegistry,
    readonly delivery: DeliveryService,
    readonly subscriptions: SubscriptionService,
  ) {}
}
