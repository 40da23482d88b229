import { Body, Controller, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import { AcceptorStore } from '../core/acceptor-store';
import { AcceptReply, PeekReply, PrepareReply } from '../core/messages';
import { ClusterSecretGuard } from './cluster-secret.guard';
import { parseAcceptBody, parsePeekBody, parsePrepareBody } from './peer-messages';

export const PEER_API_PREFIX = 'internal/v1';

/**
 * The acceptor's side of the peer protocol: each request is one batch, one
 * SQL statement, answered only after it committed.
 */
@Controller(PEER_API_PREFIX)
@UseGuards(ClusterSecretGuard)
export class PeerController {
  constructor(private readonly acceptor: AcceptorStore) {}

  @Post('prepare')
  @HttpCode(HttpStatus.OK)
  async prepare(@Body() body: unknown): Promise<{ replies: PrepareReply[] }> {
    return { replies: await this.acceptor.prepare(parsePrepareBody(body).requests) };
  }

  @Post('accept')
  @HttpCode(HttpStatus.OK)
  async accept(@Body() body: unknown): Promise<{ replies: AcceptReply[] }> {
    return { replies: await this.acceptor.accept(parseAcceptBody(body).requests) };
  }

  @Post('peek')
  @HttpCode(HttpStatus.OK)
  async peek(@Body() body: unknown): Promise<{ replies: PeekReply[] }> {
    return { replies: await this.acceptor.peek(parsePeekBody(body).keys) };
  }
}
