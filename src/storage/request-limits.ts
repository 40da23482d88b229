import {
  BadRequestException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  PayloadTooLargeException,
} from '@nestjs/common';
import { isWellFormedText } from '../common/well-formed-text';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/** The size rules of the API, checked before anything reaches the quorum. */
@Injectable()
export class RequestLimits {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * `source` says where the key came from, for the status of a key too long: in
   * the URL it is the URI that is too long (414, a GET has no payload), in a
   * batch item the payload (413).
   */
  checkKey(key: string, source: 'url' | 'body' = 'url'): void {
    if (key.length === 0) throw new BadRequestException('key must not be empty');
    const bytes = Buffer.byteLength(key, 'utf8');
    if (bytes > this.config.maxKeyBytes) {
      const message = `key is ${bytes} bytes; the limit is ${this.config.maxKeyBytes}`;
      throw source === 'url'
        ? new HttpException(message, HttpStatus.URI_TOO_LONG)
        : new PayloadTooLargeException(message);
    }
    // PostgreSQL text cannot hold NUL, and no client means one.
    if (key.includes('\u0000')) throw new BadRequestException('key must not contain U+0000');
    if (!isWellFormedText(key)) throw new BadRequestException('key must be valid Unicode (it holds a lone surrogate)');
  }

  checkValue(value: unknown, label = 'value'): void {
    const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
    if (bytes > this.config.maxValueBytes) {
      throw new PayloadTooLargeException(
        `${label} is ${bytes} bytes of JSON; the limit is ${this.config.maxValueBytes}`,
      );
    }
  }

  checkBatchSize(count: number): void {
    if (count > this.config.maxBatchItems) {
      throw new PayloadTooLargeException(`batch has ${count} items; the limit is ${this.config.maxBatchItems}`);
    }
  }
}
