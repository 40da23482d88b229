import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  Inject,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Put,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { describeError } from '../common/error-body';
import { ApiErrors } from '../openapi/api-errors.decorator';
import { ErrorBodySchema } from '../openapi/error-body.schema';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { BatchPutDto } from './dto/batch-put.dto';
import { BatchResultDto } from './dto/batch-result.dto';
import { BatchItemFailedDto, BatchItemResultDto, BatchItemWrittenDto, EntryDto, expiryField } from './dto/entry.dto';
import { GetQueryDto } from './dto/get-query.dto';
import { ListQueryDto } from './dto/list-query.dto';
import { PutValueDto } from './dto/put-value.dto';
import { ListPageDto } from './dto/list-page.dto';
import { KvListingService } from './kv-listing.service';
import { Entry, KvService } from './kv.service';
import { LongPoll, LongPollService } from './long-poll.service';
import { parseListRequest } from './list-request';
import { EntityTagCondition, etagOf, matchesWeakly, parseEntityTags, Preconditions } from './preconditions';
import { RequestLimits } from './request-limits';

/** What the OpenAPI document says about a key and its ETag. */
const KEY = 'The key: 1-1024 bytes of UTF-8 without U+0000, one percent-encoded path segment (a "/" in a key is %2F)';
const IF_MATCH =
  'ETags ("<version>", a list, or *): 412 unless one matches the current version (and when the key is absent)';
const ETAG = { description: 'The version, quoted: "<version>"', schema: { type: 'string', example: '"3"' } };

/** The origin system's paths, kept so its clients can switch without changes. */
@ApiTags('keys')
@ApiExtraModels(BatchItemWrittenDto, BatchItemFailedDto)
@Controller('kv-store/v1/kv')
export class KvController {
  constructor(
    private readonly kv: KvService,
    private readonly listing: KvListingService,
    private readonly longPolls: LongPollService,
    private readonly limits: RequestLimits,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Present keys by prefix or range, a page at a time, in byte order. */
  @Get()
  @ApiOperation({
    summary: 'List present keys by prefix or range, a page at a time',
    description:
      "Byte order of the keys' UTF-8. A page can hold fewer than limit items with a non-null nextCursor: follow it to the end.",
  })
  @ApiOkResponse({ type: ListPageDto })
  @ApiErrors(400, 503)
  async list(@Query() query: ListQueryDto): Promise<ListPageDto> {
    return this.listing.list(parseListRequest(query, this.config.maxKeyBytes));
  }

  /** POST .../kv/batch is the batch; the other methods on .../kv/batch address the key "batch". */
  @Post('batch')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Put several keys',
    description: 'Each item is its own quorum write (not a transaction); items for one key apply in order.',
  })
  @ApiOkResponse({ type: BatchResultDto, description: 'One result per item, in order' })
  @ApiErrors(400, 413, 415)
  async putBatch(@Body() body: BatchPutDto): Promise<BatchResultDto> {
    this.limits.checkBatchSize(body.items.length);
    body.items.forEach((item, index) => {
      this.limits.checkKey(item.key, 'body');
      this.limits.checkValue(item.value, `items[${index}].value`);
    });
    const settled = await this.kv.putMany(body.items);
    const results = settled.map((outcome, index): BatchItemResultDto => {
      const key = body.items[index]!.key;
      if (outcome.status === 'fulfilled') {
        const { entry, created } = outcome.value;
        return { key, status: created ? 201 : 200, version: entry.version, ...expiryField(entry.expiresAt) };
      }
      const { statusCode, error, message } = describeError(outcome.reason);
      return { key, status: statusCode, error, message };
    });
    return { results };
  }

  @Get(':key')
  @ApiOperation({ summary: 'Read a key (linearizable unless consistency=local), or wait for it to change' })
  @ApiParam({ name: 'key', description: KEY })
  @ApiHeader({
    name: 'If-None-Match',
    required: false,
    description: 'ETags ("<version>", a list, or *): 304 while one matches',
  })
  @ApiOkResponse({ type: EntryDto, headers: { ETag: ETAG } })
  @ApiNotModifiedResponse({ description: 'The version still matches If-None-Match', headers: { ETag: ETAG } })
  @ApiResponse({
    status: 404,
    description: 'No such key',
    headers: {
      'X-Kv-Version': {
        description: 'The version of the delete or expiry, when the key was deleted',
        schema: { type: 'integer' },
      },
    },
    content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorBodySchema) } } },
  })
  @ApiErrors(400, 414, 503)
  async get(
    @Param('key') key: string,
    @Query() query: GetQueryDto,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<EntryDto | undefined> {
    this.limits.checkKey(key);
    const cached = entityTags(ifNoneMatch, 'If-None-Match');
    const poll = longPollOf(query);
    const entry = poll ? await this.waitFor(key, poll, res) : await this.kv.get(key, query.consistency);
    if (entry === undefined) return undefined; // the client went away: nobody to answer
    res.header('ETag', etagOf(entry.version));
    if (cached && matchesWeakly(cached, entry.version)) {
      res.status(HttpStatus.NOT_MODIFIED);
      return undefined;
    }
    return toEntryDto(entry);
  }

  /** A long poll; it ends early when the client closes the connection. */
  private waitFor(key: string, poll: LongPoll, res: FastifyReply): Promise<Entry | undefined> {
    const gone = new AbortController();
    // The response's 'close': the answer went out, or the client hung up before it (then the wait ends).
    res.raw.once('close', () => gone.abort());
    return this.longPolls.wait(key, poll, gone.signal);
  }

  @Put(':key')
  @ApiOperation({ summary: 'Create or replace a key, optionally only if its version matches' })
  @ApiParam({ name: 'key', description: KEY })
  @ApiHeader({ name: 'If-Match', required: false, description: IF_MATCH })
  @ApiHeader({ name: 'If-None-Match', required: false, description: '*: create only (412 when the key exists)' })
  @ApiBody({ type: PutValueDto })
  @ApiResponse({ status: 201, description: 'Created', type: EntryDto, headers: { ETag: ETAG } })
  @ApiOkResponse({ description: 'Replaced', type: EntryDto, headers: { ETag: ETAG } })
  @ApiErrors(400, 412, 413, 414, 415, 503)
  async put(
    @Param('key') key: string,
    @Body() body: PutValueDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<EntryDto> {
    this.limits.checkKey(key);
    this.limits.checkValue(body.value);
    const conditions = preconditions(ifMatch, ifNoneMatch);
    const { entry, created } = await this.kv.put(key, body.value, conditions, body.ttlSeconds);
    res.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    res.header('ETag', etagOf(entry.version));
    return toEntryDto(entry);
  }

  @Delete(':key')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a key, optionally only if its version matches' })
  @ApiParam({ name: 'key', description: KEY })
  @ApiHeader({ name: 'If-Match', required: false, description: IF_MATCH })
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'ETags: 412 when one matches' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(400, 404, 412, 414, 503)
  async delete(
    @Param('key') key: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
  ): Promise<void> {
    this.limits.checkKey(key);
    await this.kv.delete(key, preconditions(ifMatch, ifNoneMatch));
  }
}

function toEntryDto({ key, value, version, expiresAt }: Entry): EntryDto {
  return { key, value, version, ...expiryField(expiresAt) };
}

/** The long poll a GET asks for, if any (the DTO checked each parameter and that afterVersion comes with waitSeconds). */
function longPollOf(query: GetQueryDto): LongPoll | undefined {
  if (query.waitSeconds === undefined) return undefined;
  if (query.consistency === 'local')
    throw new BadRequestException('a long poll (waitSeconds) is always linearizable: leave out consistency=local');
  return {
    waitSeconds: Number(query.waitSeconds),
    afterVersion: query.afterVersion === undefined ? undefined : Number(query.afterVersion),
  };
}

function preconditions(ifMatch: string | undefined, ifNoneMatch: string | undefined): Preconditions {
  return { ifMatch: entityTags(ifMatch, 'If-Match'), ifNoneMatch: entityTags(ifNoneMatch, 'If-None-Match') };
}

function entityTags(header: string | undefined, name: string): EntityTagCondition | undefined {
  try {
    return parseEntityTags(header);
  } catch (error) {
    throw new BadRequestException(`${name}: ${(error as Error).message}`);
  }
}
