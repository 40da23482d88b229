import { Body, Controller, Header, HttpCode, HttpStatus, Inject, OnModuleInit, Post, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AcceptorGate } from '../recovery/acceptor-gate';
import { RegisterScanner } from '../recovery/register-scanner';
import { VOTING_ACCEPTOR } from '../tokens';
import { AcceptorStore } from '../core/acceptor-store';
import { AcceptReply, PeekReply, PrepareReply } from '../core/messages';
import { ClusterSecretGuard } from '../../peer-transport/cluster-secret.guard';
import { PEER_API_PREFIX } from '../../peer-transport/peer-api-prefix';
import { PeerChannels } from '../../peer-transport/peer-channels';
import { Departure } from '../routing/departure';
import { PeerHealthMonitor } from '../routing/peer-health.monitor';
import {
  parseAcceptBody,
  parseLeavingBody,
  parseListBody,
  parsePeekBody,
  parsePrepareBody,
  parseScanBody,
} from './peer-messages';

/**
 * The acceptor's side of the peer protocol: each request is one batch, one
 * SQL statement, answered only after it committed. Prepare, accept and peek
 * are also served on the peer channel, which is how peers normally call them.
 */
// Between nodes only: not part of the client API's OpenAPI document.
@ApiExcludeController()
@Controller(PEER_API_PREFIX)
@UseGuards(ClusterSecretGuard)
export class PeerController implements OnModuleInit {
  constructor(
    @Inject(VOTING_ACCEPTOR) private readonly acceptor: AcceptorStore,
    private readonly scanner: RegisterScanner,
    private readonly gate: AcceptorGate,
    private readonly channels: PeerChannels,
    private readonly departure: Departure,
    private readonly peerHealth: PeerHealthMonitor,
  ) {}

  onModuleInit(): void {
    this.channels.handle('prepare', (body) => this.prepare(body));
    this.channels.handle('accept', (body) => this.accept(body));
    this.channels.handle('peek', (body) => this.peek(body));
    this.channels.handle('list', (body) => this.list(body));
  }

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

  /** The peer health probe: cheap, no database. */
  @Post('ping')
  @HttpCode(HttpStatus.OK)
  ping(): { voting: boolean; leaving: boolean } {
    return { voting: this.gate.isVoting, leaving: this.departure.leaving };
  }

  /** A peer is stopping (its Departure): send it no more keys to propose. */
  @Post('leaving')
  @HttpCode(HttpStatus.NO_CONTENT)
  leaving(@Body() body: unknown): void {
    this.peerHealth.markLeaving(parseLeavingBody(body).node);
  }

  /**
   * Served even while this node catches up itself: a brand-new cluster's nodes copy from each other.
   * A ScanPage, sent as the database wrote its rows' JSON (RegisterScanner.scanJson).
   */
  @Post('scan')
  @HttpCode(HttpStatus.OK)
  @Header('content-type', 'application/json; charset=utf-8')
  async scan(@Body() body: unknown): Promise<string> {
    const { after, limit } = parseScanBody(body);
    const voting = this.gate.isVoting; // read before the rows, so a page is never newer than its flag claims
    return `{"rows":${await this.scanner.scanJson(after, limit)},"voting":${voting}}`;
  }

  @Post('peek')
  @HttpCode(HttpStatus.OK)
  async peek(@Body() body: unknown): Promise<{ replies: PeekReply[] }> {
    return { replies: await this.acceptor.peek(parsePeekBody(body).keys) };
  }

  /** A page of listable registers; refused like a peek while this node catches up. */
  @Post('list')
  @HttpCode(HttpStatus.OK)
  async list(@Body() body: unknown): Promise<{ replies: PeekReply[] }> {
    const { range, limit } = parseListBody(body);
    return { replies: await this.acceptor.list(range, limit) };
  }
}
