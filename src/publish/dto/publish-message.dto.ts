import { IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsId } from '../../common/validators';

/** `^[a-z][a-z0-9-]*(:[a-z][a-z0-9-]*)+$`, e.g. `order:status-changed`. */
export const EVENT_NAME_PATTERN = /^[a-z][a-z0-9-]*(:[a-z][a-z0-9-]*)+$/;

export class PublishMessageDto {
  /** `orders` or `/orders`. */
  @IsString()
  @Matches(/^\/?[a-z][a-z0-9-]{0,63}$/, { message: 'namespace must be a namespace name such as orders' })
  namespace!: string;

  // Grammar checked by parseChannel, which names the accepted forms.
  @IsString()
  @MaxLength(128)
  channel!: string;

  @IsString()
  @MaxLength(128)
  @Matches(EVENT_NAME_PATTERN, { message: 'event must look like noun:verb, e.g. order:updated' })
  event!: string;

  /** Validated against the namespace's catalog DTO for `event`. */
  @IsObject()
  data!: Record<string, unknown>;

  /** Only platform tokens (companyId "*") need it; a tenant token may repeat its own. */
  @IsOptional()
  @IsId()
  companyId?: string;

  @IsOptional()
  @IsString()
  @Matches(/^[\x21-\x7e]{1,128}$/, { message: 'idempotencyKey must be 1-128 printable ASCII characters without spaces' })
  idempotencyKey?: string;

  @IsOptional()
  @IsString()
  @MaxLength(128)
  correlationId?: string;
}
