import { Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import type { Principal } from '../common/principal';
import { CurrentPrincipal } from './current-principal.decorator';
import { HttpAuthGuard } from './http-auth.guard';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../openapi/api-errors.decorator';
import { StreamTickets, type IssuedTicket } from './stream-tickets.service';

/**
 * `POST /v1/stream-tickets` (Bearer token, any tenant role): a single-use ticket, valid ~30 s,
 * standing for the caller's token on a transport that cannot send headers (docs/protocol.md).
 */
@ApiTags('streams')
@ApiBearerAuth()
@ApiErrors(401, 403, 503)
@Controller('v1/stream-tickets')
@UseGuards(HttpAuthGuard)
export class StreamTicketsController {
  constructor(private readonly tickets: StreamTickets) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'A single-use ticket for GET /v1/sse or /v1/ws, so the token stays out of URLs (any tenant token)' })
  @ApiResponse({
    status: 201,
    description: 'The ticket',
    schema: { type: 'object', properties: { ticket: { type: 'string' }, expiresAt: { type: 'integer' } } },
  })
  issue(@CurrentPrincipal() principal: Principal): Promise<IssuedTicket> {
    return this.tickets.issue(principal);
  }
}
