import { IsIdentifier } from '../../common/validators';
import type { OrderRef } from '../orders.events';

/** `data` of order:created, order:updated and delivery:updated. Other fields pass through. */
export class OrderRefDto implements OrderRef {
  @IsIdentifier()
  orderId!: string | number;
}
