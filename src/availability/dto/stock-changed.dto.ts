import { IsNumber } from 'class-validator';
import { SkuDto } from './sku.dto';

/** `data` of stock:changed. Other fields pass through. */
export class StockChangedDto extends SkuDto {
  @IsNumber({ allowNaN: false, allowInfinity: false })
  quantity!: number;
}
