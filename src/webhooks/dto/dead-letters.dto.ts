import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

/** `GET /v1/webhooks/dead-letters?limit=` */
export class DeadLettersQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

/** `POST /v1/webhooks/dead-letters/:id/replay`: a delivery id, `evt_<32>.<8>` as listed. */
export class DeadLetterParamsDto {
  @IsString()
  @Matches(/^evt_[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{8}$/, {
    message: 'id must be a delivery id as listed by GET /v1/webhooks/dead-letters',
  })
  id!: string;
}
