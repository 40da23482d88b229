import { BadRequestException, Controller, Get, Headers, Inject, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { isWellFormedText } from '../common/well-formed-text';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ApiErrors } from '../openapi/api-errors.decorator';
import { decodeFeedPosition, FeedPosition } from '../replication/core/feed-position';
import { WatchQueryDto } from './dto/watch-query.dto';
import { WatchStreams } from './watch/watch-streams';

/**
 * Changes under a prefix as Server-Sent Events (docs/protocol.md,
 * "Watching"): `event: put` / `event: delete` with the key, value and
 * version, `event: resync` where events may have been missed, an id on
 * every event; `Last-Event-ID` resumes on any node.
 */
@ApiTags('keys')
@Controller('kv-store/v1/watch')
export class WatchController {
  constructor(
    private readonly streams: WatchStreams,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Watch the changes under a prefix (Server-Sent Events)',
    description:
      'event: put / delete with data {key, value, version} (and expiresAt; value null on a delete), ' +
      'event: resync where this node cannot prove it has every change (re-list, then carry on), ' +
      'an id on every event, a comment heartbeat every 15 s.',
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: "Resume after this event id (any node's)" })
  @ApiOkResponse({
    description: 'A stream of events',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiErrors(400, 503)
  async watch(
    @Query() query: WatchQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const prefix = query.prefix ?? '';
    if (prefix.includes('\u0000') || !isWellFormedText(prefix) || Buffer.byteLength(prefix) > this.config.maxKeyBytes)
      throw new BadRequestException(
        `prefix must be valid text of at most ${this.config.maxKeyBytes} bytes without U+0000`,
      );
    const after = resumePosition(lastEventId);
    this.streams.admit();
    // From here on the response is a stream of events, written by hand.
    reply.hijack();
    await this.streams.stream(reply.raw, prefix, after);
  }
}

/** How far ahead of this node's clock an id may be and still be taken for one a node sent. */
const MAX_CLOCK_LEAD_MS = 10 * 60 * 1000;

/** Where a reconnecting client left off: the id of the last event it got (an empty id means none). */
function resumePosition(lastEventId: string | undefined): FeedPosition | undefined {
  if (lastEventId === undefined || lastEventId === '') return undefined;
  const position = decodeFeedPosition(lastEventId);
  // Stamps are microseconds of (roughly) wall time: one far ahead of every clock was not sent by any node.
  if (position === undefined || position.stamp > (Date.now() + MAX_CLOCK_LEAD_MS) * 1000)
    throw new BadRequestException('Last-Event-ID is not an id this store sent');
  return position;
}
