import { IsIdentifier } from '../../common/validators';

/** `data` of order:created, order:updated and delivery:updated. Other fields pass through. */
export class OrderRefDto {
  @IsIdentifier()
  orderId!: string | number;
}
