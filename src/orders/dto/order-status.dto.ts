import { IsString, MaxLength, MinLength } from 'class-validator';
import { IsIdentifier } from '../../common/validators';

/** `data` of order:status-changed. Other fields pass through. */
export class OrderStatusDto {
  @IsIdentifier()
  orderId!: string | number;

  @IsString()
  @MinLength(1)
  @MaxLength(64)
  status!: string;
}
