import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, ValidateNested } from 'class-validator';
import { PublishMessageDto } from './publish-message.dto';

export const MAX_BATCH_MESSAGES = 500;

export class PublishBatchDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_MESSAGES)
  @ValidateNested({ each: true })
  @Type(() => PublishMessageDto)
  messages!: PublishMessageDto[];
}
