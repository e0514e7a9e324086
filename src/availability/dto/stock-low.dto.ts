import { IsNumber } from 'class-validator';
import { StockChangedDto } from './stock-changed.dto';

/** `data` of stock:low. Other fields pass through. */
export class StockLowDto extends StockChangedDto {
  @IsNumber({ allowNaN: false, allowInfinity: false })
  threshold!: number;
}
