import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { EventBus } from '../bus/event-bus.service';
import { AppError, ErrorCode } from '../common/app.errors';
import type { Principal } from '../common/principal';

/** One user's live sessions in one company, as they stood when an admin ended them. */
export interface KickRule {
  readonly id: string;
  readonly companyId: string;
  readonly userId: string;
  /** Sessions opened after this are not touched: the user may come back at once. */
  readonly at: number;
}

const SIGNAL_KEY = '!signals/kick';
/** Kicks already applied here (ours come back through the bus too); a few suffice. */
const REMEMBERED = 256;

export function isKicked(rule: KickRule, principal: Principal, openedAt: number): boolean {
  return rule.companyId === principal.companyId && rule.userId === principal.id && openedAt <= rule.at;
}

/**
 * Ends a user's live sessions on every node, on every transport, without revoking anything: the
 * token stays valid. Unlike a revocation there is nothing to store, because only sessions open
 * at that moment are affected; the signal goes through the bus to every node.
 */
@Injectable()
export class SessionKicks implements OnModuleInit {
  private readonly logger = new Logger('SessionKicks');
  private readonly listeners = new Set<(rule: KickRule) => void>();
  private readonly applied: string[] = [];

  constructor(private readonly bus: EventBus) {}

  async onModuleInit(): Promise<void> {
    try {
      await this.bus.listen(
        SIGNAL_KEY,
        (event) => this.apply(event.data as KickRule),
        () => undefined, // a kick missed while the bus was down is not replayed: those sessions were cut anyway
      );
    } catch (error) {
      this.logger.warn(`kick signals unavailable until the bus recovers: ${(error as Error).message}`);
    }
  }

  /** Called for every kick, on every node (to end matching sessions). */
  onKick(listener: (rule: KickRule) => void): void {
    this.listeners.add(listener);
  }

  async kick(request: Pick<KickRule, 'companyId' | 'userId'>): Promise<KickRule> {
    const rule: KickRule = { ...request, id: randomUUID(), at: Date.now() };
    this.apply(rule);
    try {
      await this.bus.signal(SIGNAL_KEY, 'kicked', rule);
    } catch (error) {
      throw new AppError(
        ErrorCode.UNAVAILABLE,
        `the sessions on this node were ended, but the other nodes could not be told (${(error as Error).message}); retry`,
        undefined,
        1,
      );
    }
    return rule;
  }

  private apply(rule: KickRule): void {
    if (typeof rule?.id !== 'string' || this.applied.includes(rule.id)) return;
    this.applied.push(rule.id);
    if (this.applied.length > REMEMBERED) this.applied.shift();
    for (const listener of this.listeners) listener(rule);
  }
}
