import { Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import type { Principal } from './claims';
import { CurrentPrincipal } from './current-principal.decorator';
import { HttpAuthGuard } from './http-auth.guard';
import { StreamTickets, type IssuedTicket } from './stream-tickets.service';

/**
 * `POST /v1/stream-tickets` (Bearer token, any tenant role): a single-use ticket, valid ~30 s,
 * standing for the caller's token on a transport that cannot send headers (docs/protocol.md).
 */
@Controller('v1/stream-tickets')
@UseGuards(HttpAuthGuard)
export class StreamTicketsController {
  constructor(private readonly tickets: StreamTickets) {}

  @Post()
  @HttpCode(201)
  issue(@CurrentPrincipal() principal: Principal): Promise<IssuedTicket> {
    return this.tickets.issue(principal);
  }
}
