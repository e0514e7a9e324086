import { IsString, MaxLength, MinLength } from 'class-validator';
import { IsIdentifier } from '../../common/validators';
import type { OrderStatusChange } from '../orders.events';

/** `data` of order:status-changed. Other fields pass through. */
export class OrderStatusDto implements OrderStatusChange {
  @IsIdentifier()
  orderId!: string | number;

  @IsString()
  @MinLength(1)
  @MaxLength(64)
  status!: string;
}
