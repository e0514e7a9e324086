import { ANY, type Principal } from '../common/principal';
import type { ChannelName } from './channel-name';

/**
 * Who may follow which channel. Denied by default: only the three rules below grant access,
 * and they only ever compare against ids inside the caller's own company (keys are company-scoped).
 */
export function canSubscribe(principal: Principal, channel: ChannelName): boolean {
  switch (channel.kind) {
    case 'company':
      return channel.id === principal.companyId;
    case 'branch':
      return (principal.branchIds.length === 1 && principal.branchIds[0] === ANY) || principal.branchIds.includes(channel.id);
    case 'user':
      return channel.id === principal.id || principal.roles.includes('admin');
  }
}
