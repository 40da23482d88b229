import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/**
 * The peer channel's wire format. A node opens the channel with an HTTP/1.1
 * upgrade on the internal API (`GET /internal/v1/channel`, `Upgrade:
 * kv-peer-channel/1`, the cluster secret as for every peer request); after
 * `101 Switching Protocols` both sides write newline-delimited JSON frames:
 *
 *   request  {"i": 7, "m": "accept", "b": {...}}     m: the peer API path after /internal/v1/
 *   reply    {"i": 7, "b": {...}}                     b: what the HTTP route answers
 *   error    {"i": 7, "e": {"statusCode": 503, "error": "...", "message": "...", "unread": true}}
 *
 * Replies come in any order, matched by `i`. `unread` marks a request the
 * peer turned away without acting on it. JSON.stringify never emits a raw
 * newline, so a newline always ends a frame.
 */
export const CHANNEL_PATH_SUFFIX = 'channel';
export const CHANNEL_PROTOCOL = 'kv-peer-channel/1';

export interface RequestFrame {
  readonly i: number;
  readonly m: string;
  readonly b: unknown;
}

export interface ErrorFrameBody {
  readonly statusCode: number;
  readonly message: string;
  readonly unread?: boolean;
}

export interface ReplyFrame {
  readonly i: number;
  readonly b?: unknown;
  readonly e?: ErrorFrameBody;
}

/**
 * Splits a socket's bytes into frames (UTF-8 characters split across reads
 * are kept whole). A frame longer than `maxFrameChars`
 * is a protocol violation: `push` throws and the caller drops the channel,
 * so a peer cannot make this node buffer without bound.
 */
class FrameReader {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  constructor(private readonly maxFrameChars: number) {}

  push(bytes: Buffer, onFrame: (frame: string) => void): void {
    const text = this.decoder.write(bytes);
    let data = this.partial.length > 0 ? this.partial + text : text;
    let newline: number;
    while ((newline = data.indexOf('\n')) >= 0) {
      const frame = data.slice(0, newline);
      data = data.slice(newline + 1);
      if (frame.length > this.maxFrameChars) throw new Error(`frame longer than ${this.maxFrameChars} characters`);
      if (frame.length > 0) onFrame(frame);
    }
    if (data.length > this.maxFrameChars) throw new Error(`frame longer than ${this.maxFrameChars} characters`);
    this.partial = data;
  }
}

/**
 * Hands every frame the stream brings, parsed, to `onFrame`, starting with
 * `head` (bytes read past the upgrade handshake). A malformed or oversized
 * frame, or one `onFrame` rejects by throwing, goes to `onViolation`
 * instead: a broken stream cannot be resynchronised, so callers drop it.
 */
export function readFrames<Frame>(
  stream: Readable,
  head: Buffer,
  maxFrameChars: number,
  onFrame: (frame: Frame) => void,
  onViolation: (error: Error) => void,
): void {
  const reader = new FrameReader(maxFrameChars);
  const onBytes = (bytes: Buffer): void => {
    try {
      reader.push(bytes, (frame) => onFrame(JSON.parse(frame) as Frame));
    } catch (error) {
      onViolation(error as Error);
    }
  };
  if (head.length > 0) onBytes(head);
  stream.on('data', onBytes);
}

/**
 * Writes frames so that those written in the same turn of the event loop
 * (the replies one statement answers, a proposer's accepts and forwarded
 * operations leaving together) leave in one system call, not one each.
 */
export class FrameWriter {
  private corked = false;

  constructor(private readonly stream: Writable) {}

  write(frame: string): void {
    if (!this.corked) {
      this.corked = true;
      this.stream.cork();
      process.nextTick(() => {
        this.corked = false;
        this.stream.uncork();
      });
    }
    this.stream.write(frame);
  }
}
